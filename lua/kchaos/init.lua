-- SPDX-License-Identifier: GPL-2.0-only
-- kchaos: the Lua API. Rules are values: declared by a script's main chunk they are
-- compiled together and armed when the chunk returns; made later they compile and arm
-- at once. The event loop delivers each injection to the rule's on_inject callback.
local core = require "kchaos.core"
local util = require "kchaos.util"
local rule = require "kchaos.rule"
local kernel = require "kchaos.kernel"
local output = require "kchaos.output"

local kchaos = { _VERSION = core.version }

local S = {
	rules = {},		-- every rule, by id (1-based, in declaration order)
	pending = {},		-- declared and not compiled yet
	sets = {},		-- compiled program sets
	started = false,	-- the main chunk has returned
	stopped = nil,		-- exit code once kchaos.stop() ran
	timers = {},
	opts = {},
	lease_ns = 1e9,		-- dead-man switch: injection stops this long after the last renewal
	system_limit_ns = 60e9,	-- longest run with unscoped rules (nil: --timeout or --system)
	scope_default = nil,	-- { tree = pid } with -c, { pid = pid } with -p
}
kchaos._state = S

local Rule = {}
Rule.__index = Rule

local function engine()
	return require "kchaos.engine"
end

local function env()
	return {
		injection_list = kernel.injection_list,
		symbol = not S.opts.dry_run and kernel.symbol or nil,
		stat = core.stat,
		dry_run = S.opts.dry_run,
		scope_default = S.opts.scope_default,
		system = S.opts.system,
	}
end

local function live_of(r)
	local l = r.live
	local out = {
		armed = l.armed, probability = l.probability, times = l.times,
		interval = l.interval, retval = r.retval, pid = r.scope.pid,
		cgroup = l.cgroup, tree_mask = l.tree_mask,
	}
	if l.armed_at then
		local start = l.armed_at + (r.after or 0)
		if r.after then out.not_before = start end
		if r.duration then out.not_after = start + r.duration end
	end
	return out
end

local function push_ctl(r)
	if r._set then engine().write_ctl(r._set, r.index, live_of(r)) end
end

-- Makes a rule from a table of fields; see docs/rules.md. `level` is the stack level of
-- the declaring line, or the location itself ("file.yaml:12") for imported rules.
function kchaos.rule(spec, level)
	local where = type(level) == "string" and level or util.where((level or 1) + 1)
	if #S.rules >= rule.MAX_RULES then
		error(("%s: rule: too many rules (at most %d in one run); one rule covers many "
			.. "processes and call paths through its scope and callchain")
			:format(where or "?", rule.MAX_RULES), 0)
	end
	local r = rule.normalize(spec, where, env())
	r.id = #S.rules + 1
	r.label = r.name or ("#" .. r.id)
	r.live = {
		armed = false, probability = r.probability, times = r.times,
		interval = r.interval,
	}
	setmetatable(r, Rule)
	S.rules[r.id] = r
	if S.opts.scope_default then
		local sc = r.scope
		if not (sc.pid or sc.tree or sc.comm or sc.cgroup) then
			for k, v in pairs(S.opts.scope_default) do sc[k] = v end
			r.default_scope = true
		end
	end
	S.pending[#S.pending + 1] = r
	if S.started and not S.opts.dry_run then kchaos._commit() end
	return r
end

-- Shorthands; none is a tail call, so the rule's location is the caller's line.
local function shorthand(site, spec)
	spec = spec or {}
	spec.site = site
	local r = kchaos.rule(spec, 3)
	return r
end
function kchaos.slab(spec) local r = shorthand("slab", spec) return r end
function kchaos.page(spec) local r = shorthand("page", spec) return r end
function kchaos.bio(spec) local r = shorthand("bio", spec) return r end
function kchaos.func(name, spec)
	if type(name) ~= "string" then
		error(util.where(2) .. ": kchaos.func expects a function name first", 0)
	end
	local r = shorthand(name, spec)
	return r
end

-- Importers: a KernelChaos manifest (a path, or YAML text) and an inject.py command line
-- become rules; see docs/import.md.
function kchaos.kernelchaos(src, opts)
	local rules = require("kchaos.import").declare_kernelchaos(kchaos, src, opts, util.where(2))
	return rules
end
function kchaos.inject(line, opts)
	local r = require("kchaos.import").declare_inject(kchaos, line, opts, util.where(2))
	return r
end

function Rule:arm()
	self.live.armed = true
	self.live.armed_at = core.now()
	push_ctl(self)
	return self
end

function Rule:disarm()
	self.live.armed = false
	push_ctl(self)
	return self
end

local SETTABLE = { probability = true, times = true, interval = true }
-- Changes probability, times or interval live: a map write, no recompile.
function Rule:set(t)
	local where = util.where(2)
	if type(t) ~= "table" then
		error(("%s: rule '%s': set expects a table like { probability = 0.5 }")
			:format(where, self.label), 0)
	end
	local spec = { site = self.site.func }
	for k, v in pairs(t) do
		if not SETTABLE[k] then
			error(("%s: rule '%s': set cannot change '%s' live; it changes probability, "
				.. "times and interval (make a new rule for the rest)")
				:format(where, self.label, tostring(k)), 0)
		end
		spec[k] = v
	end
	local ok, n = pcall(rule.normalize, spec, where, { dry_run = true, partial = true })
	if ok then
		-- The rule as it would be: it must not become one that fails every call.
		local view = setmetatable({ probability = self.live.probability,
			times = self.live.times, interval = self.live.interval }, { __index = self })
		for k in pairs(t) do view[k] = n[k] end
		local bok, berr = pcall(rule.check_broad, view, where, { system = S.opts.system })
		if not bok then ok, n = false, berr end
	end
	if not ok then error((n:gsub("rule: ", ("rule '%s': "):format(self.label), 1)), 0) end
	for k in pairs(t) do self.live[k] = n[k] end
	push_ctl(self)
	return self
end

function Rule:stats()
	local st = self._set and engine().read_stats(self._set, self.index)
		or { matched = 0, injected = 0, lost = 0 }
	-- Events the host had to drop count as lost too (see check_lost).
	st.lost = st.lost + (self.dropped or 0)
	st.armed = self.live.armed
	return st
end

function Rule:generated()
	local cg = require "kchaos.codegen"
	return cg.generate({ self }).text
end

function Rule:__tostring()
	local st = self:stats()
	local p = self.live.probability
	return ("rule %s: %s%s, p=%s%s%s, %s, matched %d, injected %d"):format(self.label,
		rule.chain_text(self), self.site_pred and self.site_pred.predicate and " (when "
		.. self.site_pred.predicate .. ")" or "",
		p == 1 and "1" or ("%g"):format(p),
		self.live.times and (", times=" .. self.live.times) or "",
		self.live.interval and (", interval=" .. self.live.interval) or "",
		self.live.armed and "armed" or "disarmed", st.matched, st.injected)
end

-- Compiles and arms every pending rule as one program set.
function kchaos._commit()
	local rules = S.pending
	if #rules == 0 then return end
	S.pending = {}
	for i, r in ipairs(rules) do r.index = i - 1 end
	local E = engine()
	local set = E.compile(rules)
	local ok, err = pcall(function()
		E.set_global(set, core.now() + S.lease_ns)
		for _, r in ipairs(rules) do
			r._set = set
			E.write_ctl(set, r.index, live_of(r))
		end
		-- Trees: one bit per distinct root; existing descendants join at once.
		if set.gen.tree then
			local bits, nbits = {}, 0
			for _, r in ipairs(rules) do
				local root = r.scope.tree
				if root then
					if not bits[root] then
						if nbits == 32 then
							error(("%s: too many distinct process trees in one program set "
								.. "(limit 32)"):format(r.where), 0)
						end
						bits[root] = 2 ^ nbits
						nbits = nbits + 1
					end
					r.live.tree_mask = bits[root]
				end
			end
			for root, b in pairs(bits) do
				E.tree_add(set, root, b)
				for _, pid in ipairs(kernel.descendants(root)) do E.tree_add(set, pid, b) end
			end
		end
		for _, r in ipairs(rules) do
			if r.scope.cgroup then
				local id, cerr = kernel.cgroup_id(r.scope.cgroup)
				if not id then
					error(("%s: rule '%s': cgroup %s"):format(r.where, r.label, cerr), 0)
				end
				r.live.cgroup = id
			end
		end
		E.attach(set)
	end)
	if not ok then
		set.ps:close()
		for _, r in ipairs(rules) do r._set = nil end
		error(err, 0)
	end
	S.sets[#S.sets + 1] = set
	for _, r in ipairs(rules) do
		if r.start_armed then r:arm() end
	end
	for _, r in ipairs(rules) do
		local sc = r.scope
		if not (sc.pid or sc.tree or sc.comm or sc.cgroup) and S.system_limit_ns
			and not S.system_deadline then
			S.system_deadline = core.now() + S.system_limit_ns
			output.warn(("rule %s applies to every process: the run ends in %s (give "
				.. "--timeout DUR to choose the time, or --system to run without a limit)")
				:format(r.label, ("%gs"):format(S.system_limit_ns / 1e9)))
		end
	end
end

-- Marks the end of the main chunk: timers made so far start counting now.
function kchaos._start()
	S.started = true
	local now = core.now()
	for _, h in ipairs(S.timers) do
		if h.due == math.huge then h.due = now + h.delay end
	end
end

-- The generated BPF C of every rule declared so far, as one program set.
function kchaos.generate()
	local cg = require "kchaos.codegen"
	local all = {}
	for i, r in ipairs(S.rules) do r.index = i - 1; all[#all + 1] = r end
	return cg.generate(all).text
end

function kchaos.rules()
	local out = {}
	for _, r in ipairs(S.rules) do out[#out + 1] = r end
	return out
end

-- The process id of kchaos-lua itself (never failed; its children can be).
function kchaos.pid()
	return core.getpid()
end

function kchaos.compiles()
	return core.compile_count()
end

-- lease(t): how long injection goes on once the event loop stops renewing its lease
-- (stopped, hung in a callback, starved); 50ms to 1h, default 1s. Returns it in seconds.
function kchaos.lease(t, what)
	if t ~= nil then
		local ns, err = util.duration(t, what or "lease")
		if ns and (ns < 50e6 or ns > 3600e9) then
			err = ("%s must be between 50ms and 1h, not %s"):format(what or "lease",
				type(t) == "string" and ("%q"):format(t) or tostring(t))
		end
		if err then error(what and err or (util.where(2) .. ": " .. err), 0) end
		S.lease_ns = ns
		local now = core.now()
		for _, set in ipairs(S.sets) do engine().set_global(set, now + ns) end
	end
	return S.lease_ns / 1e9
end

-- ring_pages(n): the size, in pages (a power of two up to 16384), of the event ring
-- buffer of program sets compiled from now on (default 256). Returns it.
function kchaos.ring_pages(n)
	local cg = require "kchaos.codegen"
	if n ~= nil then
		if type(n) ~= "number" or n < 1 or n > 16384 or n % 1 ~= 0 or
			2 ^ math.floor(math.log(n) / math.log(2) + 0.5) ~= n then
			error(("%s: ring_pages must be a power of two from 1 to 16384, not %s")
				:format(util.where(2), tostring(n)), 0)
		end
		cg.RING_PAGES = n
	end
	return cg.RING_PAGES
end

-- Ends the run after the current callback; `code` becomes the exit status.
function kchaos.stop(code)
	S.stopped = code or 0
end

-- Timers: after(t, fn), every(t, fn); each returns a handle with :cancel().
local function add_timer(t, fn, period, level)
	local ns, err = util.duration(t, "time")
	if not ns then error(util.where(level) .. ": " .. err, 0) end
	if type(fn) ~= "function" then
		error(util.where(level) .. ": expects a function to call", 0)
	end
	if period and ns == 0 then error(util.where(level) .. ": every needs a period above 0", 0) end
	-- Made by the main chunk, a timer counts from the moment the rules are armed.
	local h = { delay = ns, due = S.started and core.now() + ns or math.huge, fn = fn,
		period = period and ns or nil }
	function h.cancel() h.cancelled = true end
	S.timers[#S.timers + 1] = h
	return h
end
function kchaos.after(t, fn) return add_timer(t, fn, false, 3) end
function kchaos.every(t, fn) return add_timer(t, fn, true, 3) end

local function run_timers(now)
	local due = {}
	for i = #S.timers, 1, -1 do
		local h = S.timers[i]
		if h.cancelled then
			table.remove(S.timers, i)
		elseif h.due <= now then
			due[#due + 1] = h
			if h.period then h.due = now + h.period else table.remove(S.timers, i) end
		end
	end
	for _, h in ipairs(due) do h.fn() end
end

local function next_timer(now)
	local best
	for _, h in ipairs(S.timers) do
		if not h.cancelled and (not best or h.due < best) then best = h.due end
	end
	return best and math.max(0, best - now)
end

local function dispatch(ev)
	local r = S.rules[ev.rule_id]
	if not r then return end
	ev.rule_id = nil
	ev.rule = r.name or r.id
	ev.site = r.site.kind == "func" and r.site.func or r.site.kind
	ev.func = r.site.func
	if ev.stack_id and r._set then
		ev.stack = engine().stack(r._set, ev.stack_id)
	end
	ev.stack_id = nil
	r.events = (r.events or 0) + 1
	output.event(ev, r)
	if r.on_inject then r.on_inject(ev) end
end

-- Events the ring buffer had no room for (counted by the kernel, per rule) and events the
-- host could not queue: each new loss is reported and passed to the rule's on_lost.
local function check_lost(now)
	local dropped = core.dropped()
	for _, set in ipairs(S.sets) do
		local total = engine().read_lost(set)
		if total ~= (set.lost_seen or 0) or next(dropped) then
			set.lost_seen = total
			for _, r in ipairs(set.rules) do
				r.dropped = (r.dropped or 0) + (dropped[r.id] or 0)
				local n = r:stats().lost
				if n > (r.lost_seen or 0) then
					local ev = { time = now, rule = r.name or r.id, lost = n - (r.lost_seen or 0),
						total = n }
					r.lost_seen = n
					output.lost(ev, r)
					if r.on_lost and not S.finishing then r.on_lost(ev) end
				end
			end
		end
	end
end

-- Ends the run once unscoped rules have run for the default limit: they are disarmed at
-- once and the loop stops as after kchaos.stop().
local function check_system_limit(now)
	if not S.system_deadline or now < S.system_deadline or S.system_ended then return end
	S.system_ended = true
	for _, r in ipairs(S.rules) do
		local sc = r.scope
		if r._set and not (sc.pid or sc.tree or sc.comm or sc.cgroup) then r:disarm() end
	end
	output.warn(("ending the run: rules without a scope ran for %s, the limit for them "
		.. "(give --timeout DUR to choose the time, or --system to run without a limit)")
		:format(("%gs"):format(S.system_limit_ns / 1e9)))
	if S.stopped == nil then S.stopped = 0 end
end

-- Whether every armed rule has a window that has closed.
local function all_windows_over(now)
	local any = false
	for _, r in ipairs(S.rules) do
		if r._set then
			any = true
			local l = r.live
			if not (r.duration and l.armed_at and now >= l.armed_at + (r.after or 0) + r.duration) then
				return false
			end
		end
	end
	return any
end

-- One turn of the event loop: waits up to `wait_ms`, renews the lease, delivers events
-- and records exited children in S.exited. Returns the signal that arrived, if any.
local function step(wait_ms)
	-- Wake up at least four times per lease, so one late turn does not let it lapse.
	wait_ms = math.min(wait_ms, math.max(1, math.floor(S.lease_ns / 4e6)))
	local events, exits, sig = core.poll(wait_ms)
	local now = core.now()
	for _, set in ipairs(S.sets) do engine().set_global(set, now + S.lease_ns) end
	for _, ev in ipairs(events) do dispatch(ev) end
	check_lost(now)
	check_system_limit(now)
	for _, ex in ipairs(exits) do S.exited[ex.pid] = ex end
	return sig
end
S.exited = {}

-- Workloads: kchaos.spawn{ "cmd", "arg" } or kchaos.spawn("shell command").
local Proc = {}
Proc.__index = Proc
function kchaos.spawn(cmd)
	if type(cmd) ~= "string" and type(cmd) ~= "table" then
		error(util.where(2) .. ": spawn expects a command: a shell string or a list of words", 0)
	end
	local pid, err = core.spawn(cmd, false)
	if not pid then error(util.where(2) .. ": cannot start the workload: " .. err, 0) end
	return setmetatable({ _pid = pid }, Proc)
end
function Proc:pid() return self._pid end
-- Waits for the process while the event loop keeps running; returns its exit status.
function Proc:wait()
	while not S.exited[self._pid] do
		local sig = step(200)
		if sig then error("interrupted while waiting for a workload", 0) end
		run_timers(core.now())
	end
	self.status = S.exited[self._pid]
	return self.status.code
end
function Proc:kill(sig)
	return core.kill(self._pid, sig or 15)
end

-- Runs the event loop until stop(), the workload ends, the timeout or a signal.
-- Returns the exit code.
function kchaos._run(opts)
	opts = opts or {}
	local deadline = opts.timeout_ns and core.now() + opts.timeout_ns
	local workload = opts.workload
	local code
	while true do
		local now = core.now()
		local wait = 200
		local nt = next_timer(now)
		if nt then wait = math.min(wait, math.ceil(nt / 1e6)) end
		if deadline then wait = math.min(wait, math.max(0, math.ceil((deadline - now) / 1e6))) end
		local sig = step(wait)
		now = core.now()
		if sig then code = sig:match("[Ii]nterrupt") and 130 or 143; break end
		local ex = workload and S.exited[workload]
		if ex then
			output.info(("workload exited with status %d"):format(ex.code or 0))
			kchaos._workload_status = ex
			code = ex.code or 0
			break
		end
		run_timers(now)
		if S.stopped then code = S.stopped; break end
		if deadline and now >= deadline then
			output.info("timeout reached")
			code = 0
			break
		end
		if not workload and #S.timers == 0 and all_windows_over(now) then
			output.info("every rule's window is over")
			code = 0
			break
		end
	end
	-- Deliver what is left in the ring buffers.
	local events = core.poll(0)
	for _, ev in ipairs(events) do dispatch(ev) end
	return code
end

kchaos.util = util
kchaos.kernel = kernel
return kchaos
