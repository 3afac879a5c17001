-- SPDX-License-Identifier: GPL-2.0-only
-- kchaos.scenario: phases that follow one another. A phase arms its rules on entry and
-- disarms them on exit, runs a workload or a body (a coroutine) for a duration or until
-- it is done, and may check results with kchaos.expect; each phase keeps a record for
-- the report. normalize is pure (busted tests it); the rest runs as tasks on kchaos's
-- event loop (kchaos._loop, from init.lua) and starts workloads through kchaos.workload.
local util = require "kchaos.util"
local workload = require "kchaos.workload"

local M = {}

local function core() return require "kchaos.core" end
local function output() return require "kchaos.output" end

local SCENARIO_FIELDS = { "name", "phases", "start", "cleanup" }
local PHASE_FIELDS = { "name", "duration", "rules", "run", "check" }
M.MAX_NAME = 64

-- Raises "where: who: msg", fit to print whatever the user's values hold.
local function fail(where, who, msg, ...)
	error(util.printable(("%s: %s: %s"):format(where or "?", who, msg:format(...))), 0)
end

local function check_fields(t, known, where, who, list_hint)
	local set = {}
	for _, k in ipairs(known) do set[k] = true end
	for k in pairs(t) do
		if type(k) == "number" and list_hint then fail(where, who, "%s", list_hint) end
		if not set[k] then
			local near = type(k) == "string" and util.suggest(k, known)
			fail(where, who, "field '%s' is unknown%s", tostring(k),
				near and (" (did you mean '%s'?)"):format(near) or "")
		end
	end
end

-- Names go into messages and the report as they are: they must be short and printable.
local function check_name(v, where, who)
	if type(v) ~= "string" or #v == 0 or #v > M.MAX_NAME then
		fail(where, who, "name must be a string of 1 to %d printable characters, not %s",
			M.MAX_NAME, util.quote(v))
	end
	local at = v:find("%c")
	if at then
		fail(where, who, "name %s holds a control character (byte %d is \\x%02x); a name "
			.. "must be printable", util.quote(v), at, v:byte(at))
	end
	return v
end

-- A phase's `run`: a command, a workload made by kchaos.spawn, or a function.
local function check_run(run, where, who, env)
	if type(run) == "function" then return { kind = "body", fn = run } end
	if type(run) == "table" and type(run.pid) == "function" then
		return { kind = "handle", proc = run }
	end
	if type(run) ~= "string" and type(run) ~= "table" then
		fail(where, who, "run must be a command (a shell string or a list of words), a "
			.. "workload made by kchaos.spawn, or a function, not a %s", type(run))
	end
	local command, options = workload.parse(run)
	if not command then fail(where, who, "run: %s", options) end
	if options.start ~= nil then
		fail(where, who, "run: option 'start' has no meaning here: the phase starts its workload")
	end
	if env and env.stat then
		local ok, err = workload.check_command(command, env)
		if not ok then fail(where, who, "run: %s", err) end
	end
	return { kind = "command", command = command, options = options }
end

local function check_rules(rules, where, who)
	if rules == nil then return {} end
	local hint = "rules must be a list of rules (made with armed = false) or rule tables, "
		.. "like rules = { r1, { site = \"slab\", ... } }"
	if type(rules) ~= "table" then fail(where, who, "%s, not a %s", hint, type(rules)) end
	for k, v in pairs(rules) do
		if type(k) ~= "number" or k % 1 ~= 0 or k < 1 or k > #rules then
			fail(where, who, "%s", hint)
		end
		if type(v) ~= "table" then fail(where, who, "rule %d is a %s; %s", k, type(v), hint) end
	end
	local out = {}
	for i = 1, #rules do out[i] = rules[i] end
	return out
end

local function check_phase(ph, i, where, sname, env)
	local who = ("%s: phase %d"):format(sname, i)
	if type(ph) ~= "table" then
		fail(where, who, "must be a table like { name = \"load\", duration = \"5s\" }, not a %s",
			type(ph))
	end
	check_fields(ph, PHASE_FIELDS, where, who)
	local p = { index = i, name = ph.name ~= nil and check_name(ph.name, where, who)
		or ("phase " .. i) }
	who = ("%s: phase %d ('%s')"):format(sname, i, p.name)
	if ph.duration ~= nil then
		local ns, err = util.duration(ph.duration, "duration")
		if not ns then fail(where, who, "%s", err) end
		if ns == 0 then fail(where, who, "duration must be more than 0") end
		p.duration = ns
	end
	if ph.run ~= nil then p.run = check_run(ph.run, where, who, env) end
	if not p.duration and not p.run then
		fail(where, who, "needs a duration, or a workload or function to wait for (run)")
	end
	p.rules = check_rules(ph.rules, where, who)
	if ph.check ~= nil and type(ph.check) ~= "function" then
		fail(where, who, "check must be a function(phase), not a %s", type(ph.check))
	end
	p.check = ph.check
	return p
end

-- Checks a scenario: a table of fields or a function (one phase, "main", running it).
-- `env` (stat, path) checks that commands exist; without it they are taken on trust.
-- Returns { name, phases = { { index, name, duration (ns), rules, run, check } }, start,
-- cleanup }, or raises an error that starts with `where`.
function M.normalize(spec, where, env)
	if type(spec) == "function" then spec = { phases = { { name = "main", run = spec } } } end
	if type(spec) ~= "table" then
		fail(where, "scenario", "expects a table like { name = ..., phases = { ... } } or a "
			.. "function, not a %s", type(spec))
	end
	-- The name is checked first: the messages that follow quote it.
	if spec.name ~= nil then check_name(spec.name, where, "scenario") end
	local sname = spec.name ~= nil and ("scenario %s"):format(util.quote(spec.name)) or "scenario"
	check_fields(spec, SCENARIO_FIELDS, where, sname,
		"phases go in a list under 'phases': kchaos.scenario{ phases = { { ... }, { ... } } }")
	-- Unnamed, a scenario takes the name of its script ("ramp" for ramp.lua:3).
	local n = { name = spec.name or tostring(where):match("([^/]+)%.lua:%d+$") or "scenario" }
	if type(spec.phases) ~= "table" or #spec.phases == 0 then
		fail(where, sname, "phases must be a list of one phase or more, like phases = { { name "
			.. "= \"load\", duration = \"5s\" } }")
	end
	for k in pairs(spec.phases) do
		if type(k) ~= "number" or k % 1 ~= 0 or k < 1 or k > #spec.phases then
			fail(where, sname, "phases must be a list (phase %s is not a position in it)",
				tostring(k))
		end
	end
	n.phases = {}
	local seen = {}
	for i, ph in ipairs(spec.phases) do
		local p = check_phase(ph, i, where, sname, env)
		if seen[p.name] then
			fail(where, sname, "phase %d is named '%s' like phase %d; phase names must be unique",
				i, p.name, seen[p.name])
		end
		seen[p.name] = i
		n.phases[i] = p
	end
	if spec.start ~= nil and type(spec.start) ~= "boolean" then
		fail(where, sname, "start must be true or false, not %s", tostring(spec.start))
	end
	n.start = spec.start ~= false
	if spec.cleanup ~= nil and type(spec.cleanup) ~= "function" then
		fail(where, sname, "cleanup must be a function, not a %s", type(spec.cleanup))
	end
	n.cleanup = spec.cleanup
	return n
end

local Scenario = {}
Scenario.__index = Scenario
local Phase = {}
Phase.__index = Phase
M.Scenario, M.Phase = Scenario, Phase

-- A rule of a phase: a rule value, or a table of fields made into a disarmed rule.
local function phase_rule(K, x, where)
	if type(x.arm) == "function" then
		if not x._set then x.start_armed = false end
		return x
	end
	local spec = {}
	for k, v in pairs(x) do spec[k] = v end
	if spec.armed == nil then spec.armed = false end
	return K.rule(spec, where)
end

-- Makes a scenario (kchaos.scenario); it starts once the rules are armed unless
-- start = false.
function M.new(K, spec, where)
	local n = M.normalize(spec, where, { stat = core().stat, path = os.getenv("PATH") })
	local sc = setmetatable({ K = K, name = n.name, where = where, state = "pending",
		cleanup = n.cleanup, phases = {}, by_name = {} }, Scenario)
	for i, np in ipairs(n.phases) do
		local p = setmetatable({ sc = sc, index = i, name = np.name, duration = np.duration,
			run = np.run, check = np.check, rules = {}, workloads = {}, state = "pending",
			where = where }, Phase)
		for j, x in ipairs(np.rules) do p.rules[j] = phase_rule(K, x, where) end
		sc.phases[i] = p
		sc.by_name[p.name] = p
	end
	local S = K._state
	S.scenarios[#S.scenarios + 1] = sc
	if n.start then sc:start() end
	return sc
end

local function now() return core().now() end

-- Seconds to the millisecond, for reports.
local function round3(x) return math.floor(x * 1000 + 0.5) / 1000 end

-- Starts the scenario at the next turn of the loop (or once the rules are armed).
function Scenario:start()
	util.check_self(self, Scenario, "sc:start()")
	if self.state ~= "pending" then return self end
	self.state = "starting"
	self.K._loop.timer(0, function() self:_begin() end, false, true)
	return self
end

function Scenario:_begin()
	if self.state ~= "starting" then return end
	self.state = "running"
	self.started_at = now()
	for _, p in ipairs(self.phases) do
		for _, r in ipairs(p.rules) do
			if r.live.armed then r:disarm() end
		end
	end
	for _, h in ipairs(self.ats or {}) do self:_schedule(h) end
	self.task = self.K._loop.start_task(function() self:_main() end, { scenario = self })
end

function Scenario:_say(msg, ...)
	local out = output()
	if out.quiet or out.format == "json" then return end
	out.log("", ("scenario %s: " .. msg):format(self.name, ...))
end

function Scenario:_main()
	for _, p in ipairs(self.phases) do
		if self.stopping then break end
		self:_phase(p)
	end
	self:_end(self.stopping and "stopped" or "passed")
end

-- Ends the current phase now; the next one begins.
function Scenario:next()
	util.check_self(self, Scenario, "sc:next()")
	if self.current then self.current:stop() end
	return self
end

-- Ends the current phase now and skips the rest.
function Scenario:stop()
	util.check_self(self, Scenario, "sc:stop()")
	if self.state == "starting" or self.state == "pending" then
		self.state = "stopped"
		return self
	end
	self.stopping = true
	return self:next()
end

function Scenario:phase(name)
	util.check_self(self, Scenario, "sc:phase(name)")
	return self.by_name[name]
end

function Scenario:current_phase()
	util.check_self(self, Scenario, "sc:current_phase()")
	return self.current
end

-- sc:at(t, fn): calls fn(sc), as a task, at t after the scenario began (kchaos.at counts
-- from the start of the run instead). Returns a handle with cancel().
function Scenario:at(t, fn)
	util.check_self(self, Scenario, "sc:at(t, fn)")
	local ns = util.timer_args("sc:at", t, fn, 2)
	local h = { delay = ns, fn = fn }
	function h.cancel()
		h.cancelled = true
		if h.timer then h.timer.cancel() end
	end
	self.ats = self.ats or {}
	self.ats[#self.ats + 1] = h
	if self.started_at then self:_schedule(h) end
	return h
end

function Scenario:_schedule(h)
	local loop = self.K._loop
	local wait = math.max(0, self.started_at + h.delay - now())
	h.timer = loop.timer(wait, function()
		if not h.cancelled and self.state == "running" then loop.start_task(h.fn, nil, self) end
	end, false, true)
end

-- Seconds since the scenario began.
function Scenario:elapsed()
	util.check_self(self, Scenario, "sc:elapsed()")
	return self.started_at and ((self.ended_at or now()) - self.started_at) / 1e9 or 0
end

-- Runs one phase in the scenario's task, from entry to exit.
function Scenario:_phase(p)
	local loop = self.K._loop
	local task = loop.current_task()
	task.phase = p
	self.current = p

	-- What ends the phase: its duration, its workload's exit, its body's return, or stop().
	function p._end(why)
		if p.ended_by then return end
		p.ended_by = why
		loop.wake(task)
	end
	local timer = p.duration and loop.timer(p.duration, function() p._end("duration") end,
		false, true)
	self:_enter(p)
	local progress = require("kchaos.report").progress(self.K, p)
	if p.run and p.run.kind == "body" then
		p.body = loop.start_task(p.run.fn, { phase = p, on_done = function() p._end("body") end },
			p, self)
	end
	if not p.ended_by then loop.suspend(function() end) end
	p.ended_at = now()
	if timer then timer.cancel() end
	progress()
	self:_leave(p)
end

-- Entry: the rules' counts are noted and the rules armed; the workload starts.
function Scenario:_enter(p)
	p.state = "running"
	p.started_at = now()
	p.base = {}
	for _, r in ipairs(p.rules) do p.base[r] = r:stats() end
	for _, r in ipairs(p.rules) do r:arm() end
	self:_say("phase %s (%d/%d) begins", p.name, p.index, #self.phases)
	local run = p.run
	if run and run.kind == "command" then
		p.workload = workload.spawn(self.K, run.command, run.options, p.where)
	elseif run and run.kind == "handle" then
		p.workload = run.proc
		p.workload.phase = p
		p.workloads[#p.workloads + 1] = run.proc
		p.workload:start()
	end
	if p.workload then p.workload:_on_exit(function() p._end("workload") end) end
end

-- Exit: rules off first, then the body and the workloads stop; then the counts and the
-- check.
function Scenario:_leave(p)
	local loop = self.K._loop
	for _, r in ipairs(p.rules) do r:disarm() end
	if p.body then loop.cancel_task(p.body) end
	for _, w in ipairs(p.workloads) do w:_stop(1) end
	loop.step(0)
	self:_count(p)
	if p.workload and p.workload:status() == 127 then
		error(("%s: scenario '%s': phase '%s': workload '%s' exited with status 127: its "
			.. "command was not found"):format(p.where, self.name, p.name, p.workload.name), 0)
	end
	-- A stopped scenario skips the check: its phase did not run its course.
	if self.stopping then
		p.state = "stopped"
		return
	end
	if p.check then p.check(p, self) end
	p.state = "done"
	output().info(("scenario %s: phase %s ends (%s) after %s: %d injected"):format(self.name,
		p.name, p.ended_by, util.fmt_ns(p.ended_at - p.started_at), p.totals.injected))
end

-- Freezes a phase's counts: per rule, what changed since the phase began.
function Scenario:_count(p)
	p.ended_at = p.ended_at or now()
	p.counts = {}
	p.totals = { matched = 0, injected = 0 }
	for _, r in ipairs(p.rules) do
		local st, base = r:stats(), (p.base or {})[r] or { matched = 0, injected = 0 }
		local c = { rule = r.label, matched = st.matched - base.matched,
			injected = st.injected - base.injected }
		p.counts[#p.counts + 1] = c
		p.totals.matched = p.totals.matched + c.matched
		p.totals.injected = p.totals.injected + c.injected
	end
end

function Scenario:_end(status)
	self.state = status
	self.ended_at = now()
	self.current = nil
	for _, p in ipairs(self.phases) do
		if p.state == "pending" then p.state = "skipped" end
	end
	if self.cleanup then
		local cleanup = self.cleanup
		self.cleanup = nil
		cleanup(self)
	end
	output().info(("scenario %s: %s in %s"):format(self.name, status,
		util.fmt_ns(self.ended_at - self.started_at)))
	-- The run ends with the last scenario that runs (not a session at the prompt).
	if self.K._state.opts.interactive then return end
	for _, other in ipairs(self.K._state.scenarios) do
		if other.state == "running" or other.state == "starting" then return end
	end
	self.K.stop(0)
end

-- Ends the scenario as the run ends (kchaos._finish): a phase still running ends with
-- `status`, and `msg` when it failed; cleanup runs, protected.
function Scenario:_finish(status, msg)
	if self.state == "starting" then self.state = "pending" end
	if self.state ~= "running" then return end
	local p = self.current
	if p and p.state == "running" then
		for _, r in ipairs(p.rules) do pcall(r.disarm, r) end
		self:_count(p)
		p.state = status
		p.error = status == "failed" and msg or nil
		p.ended_by = p.ended_by or status
	end
	self.current = nil
	for _, q in ipairs(self.phases) do
		if q.state == "pending" then q.state = "skipped" end
	end
	self.state = status
	self.ended_at = now()
	self.error = msg
	if self.cleanup then
		local cleanup = self.cleanup
		self.cleanup = nil
		local ok, err = pcall(cleanup, self)
		if not ok then output().warn(("scenario %s: cleanup failed: %s"):format(self.name,
			tostring(err))) end
	end
end

-- Phase methods, for bodies, checks and callbacks.

-- Ends the phase now (it is over at the next turn of the loop).
function Phase:stop()
	util.check_self(self, Phase, "phase:stop()")
	if self.state == "running" and self._end then self._end("stop") end
	return self
end

function Phase:elapsed()
	util.check_self(self, Phase, "phase:elapsed()")
	return self.started_at and ((self.ended_at or now()) - self.started_at) / 1e9 or 0
end

-- Counts since the phase began: total, or of one rule.
local function delta(p, r, field)
	if not p.started_at then return 0 end
	if p.counts and p.ended_at then
		for _, c in ipairs(p.counts) do
			if c.rule == r.label then return c[field] end
		end
	end
	local base = p.base and p.base[r]
	return r:stats()[field] - (base and base[field] or 0)
end

function Phase:injected(r)
	util.check_self(self, Phase, "phase:injected()")
	if r then return delta(self, r, "injected") end
	local n = 0
	for _, x in ipairs(self.rules) do n = n + delta(self, x, "injected") end
	return n
end

function Phase:matched(r)
	util.check_self(self, Phase, "phase:matched()")
	if r then return delta(self, r, "matched") end
	local n = 0
	for _, x in ipairs(self.rules) do n = n + delta(self, x, "matched") end
	return n
end

-- A table for the report.
function Phase:record()
	local ws = {}
	for _, w in ipairs(self.workloads) do ws[#ws + 1] = w:record() end
	return {
		name = self.name, status = self.state, ended_by = self.ended_by,
		duration = self.started_at and round3(self:elapsed()) or nil,
		matched = self.totals and self.totals.matched or 0,
		injected = self.totals and self.totals.injected or 0,
		rules = self.counts and #self.counts > 0 and self.counts or nil,
		workloads = #ws > 0 and ws or nil, error = self.error,
	}
end

function Scenario:record()
	local ps = {}
	for _, p in ipairs(self.phases) do ps[#ps + 1] = p:record() end
	return { name = self.name, status = self.state, duration = self.started_at and
		round3(self:elapsed()) or nil, phases = ps, error = self.error }
end

return M
