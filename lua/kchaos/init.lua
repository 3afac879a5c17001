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
	t0 = nil,		-- when the main chunk's rules were armed (kchaos.at counts from it)
	on_start = {},		-- functions _start calls once the rules are armed
	tasks = {},		-- running tasks (coroutines), by coroutine
	procs = {},		-- workloads (kchaos.spawn's and the -c command), by pid
	proc_list = {},		-- the same, in the order they were made
	scenarios = {},		-- every scenario, in the order they were made
}
kchaos._state = S

local Rule = {}

-- A rule's callbacks live apart from it, so that every assignment to one goes through
-- __newindex and a value that is not a function is refused at the line that sets it,
-- not at the first injection.
local CALLBACKS = { on_inject = "function(ev)", on_lost = "function(ev)" }
local callbacks = setmetatable({}, { __mode = "k" })

function Rule.__index(r, k)
	if CALLBACKS[k] then return callbacks[r][k] end
	return Rule[k]
end

function Rule.__newindex(r, k, v)
	if not CALLBACKS[k] then
		rawset(r, k, v)
	elseif v == nil or type(v) == "function" then
		callbacks[r][k] = v
	else
		error(util.printable(("%s: rule '%s': %s must be a %s, not %s"):format(util.where(2)
			or "?", r.label, k, CALLBACKS[k], util.quote(v))), 0)
	end
end

local function engine()
	return require "kchaos.engine"
end

local function env()
	return {
		injection_list = kernel.injection_list,
		symbol = not S.opts.dry_run and kernel.symbol or nil,
		symbol_here = S.opts.dry_run and kernel.symbol or nil,
		warn = output.warn,
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
	-- A name picks one rule out (reports, .c NAME, phase counts). A rule that was not
	-- kept, as one the prompt could not arm, leaves its name free.
	for _, o in pairs(S.rules) do
		if r.name and o.name == r.name then
			error(("%s: a rule named '%s' already exists (made at %s); give each rule its "
				.. "own name"):format(where or "?", r.name, o.where or "?"), 0)
		end
	end
	r.id = #S.rules + 1
	r.label = r.name or ("#" .. r.id)
	r.live = {
		armed = false, probability = r.probability, times = r.times,
		interval = r.interval,
	}
	callbacks[r] = { on_inject = r.on_inject, on_lost = r.on_lost }
	r.on_inject, r.on_lost = nil, nil
	setmetatable(r, Rule)
	S.rules[r.id] = r
	if r.filters.gfp and r.filters.gfp:find("%f[%w_]__GFP_NOFAIL%f[^%w_]") and not r.nofail then
		output.warn(("%s: rule %s: its gfp asks for __GFP_NOFAIL, and such allocations are "
			.. "never failed without nofail = true: the rule matches nothing")
			:format(where or "?", r.label))
	end
	if r.filters.device and r.filters.device.absent then
		output.warn(("%s: rule %s: no block device %s exists now (no /sys/dev/block/%s); "
			.. "the rule matches nothing until one does (lsblk lists devices)")
			:format(where or "?", r.label, r.filters.device.text, r.filters.device.text))
	end
	if S.opts.scope_default then
		if rule.unscoped(r) then
			for k, v in pairs(S.opts.scope_default) do r.scope[k] = v end
			r.default_scope = true
		end
	end
	S.pending[#S.pending + 1] = r
	if S.started and not S.opts.dry_run then
		-- A rule that cannot be armed is not kept: it would look like a disarmed one.
		local ok, err = pcall(kchaos._commit)
		if not ok then
			S.rules[r.id] = nil
			error(err, 0)
		end
	end
	return r
end

-- Shorthands; none is a tail call, so the rule's location is the caller's line.
local function shorthand(site, spec)
	spec = spec or {}
	if type(spec) ~= "table" then
		error(("%s: rule: expects a table of fields, not a %s"):format(util.where(3) or "?",
			type(spec)), 0)
	end
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
	util.check_self(self, Rule, "r:arm()")
	self.live.armed = true
	self.live.armed_at = core.now()
	push_ctl(self)
	return self
end

function Rule:disarm()
	util.check_self(self, Rule, "r:disarm()")
	self.live.armed = false
	push_ctl(self)
	return self
end

local SETTABLE = { probability = true, times = true, interval = true }
-- Changes probability, times or interval live: a map write, no recompile.
function Rule:set(t)
	util.check_self(self, Rule, "r:set{ ... }")
	local where = util.where(2)
	if type(t) ~= "table" then
		error(("%s: rule '%s': set expects a table like { probability = 0.5 }")
			:format(where, self.label), 0)
	end
	-- Checked as a rule of the same site and retval, changed as asked.
	local spec = { site = self.site.func, retval = self.retval }
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
	util.check_self(self, Rule, "r:stats()")
	local st = self._set and engine().read_stats(self._set, self.index)
		or { matched = 0, injected = 0, lost = 0 }
	-- Events the host had to drop count as lost too (see check_lost).
	st.lost = st.lost + (self.dropped or 0)
	st.armed = self.live.armed
	return st
end

function Rule:generated()
	util.check_self(self, Rule, "r:generated()")
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
	-- Compiling blocks the event loop for seconds: meanwhile a thread of the host renews
	-- the lease of the rules already armed (the process is busy, not stuck).
	E.preflight(rules[1])
	local set = E.compile(rules, S.lease_ns)
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
		if rule.unscoped(r) and S.system_limit_ns and not S.system_deadline then
			S.system_deadline = core.now() + S.system_limit_ns
			output.warn(("rule %s applies to every process: the run ends in %s (give "
				.. "--timeout DUR to choose the time, or --system to run without a limit)")
				:format(r.label, ("%gs"):format(S.system_limit_ns / 1e9)))
		end
	end
end

-- Marks the end of the main chunk: timers made so far start counting now, and held
-- workloads and scenarios start.
function kchaos._start()
	S.started = true
	local now = core.now()
	S.t0 = now
	for _, h in ipairs(S.timers) do
		if h.due == math.huge then h.due = now + h.delay end
	end
	for _, fn in ipairs(S.on_start) do fn() end
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

-- Whether this is a dry run (-d): rules are printed, nothing runs or is attached.
function kchaos.dry_run()
	return S.opts.dry_run == true
end

-- Ends the run after the current callback; `code` (0 to 255, default 0) becomes the
-- exit status. The check is here: an exit status out of range would be cut modulo 256.
function kchaos.stop(code)
	if code ~= nil and (type(code) ~= "number" or code % 1 ~= 0 or code < 0 or code > 255) then
		error(("%s: stop: the exit status must be a whole number from 0 to 255, not %s")
			:format(util.where(2) or "?", util.quote(code)), 0)
	end
	S.stopped = code or 0
end

-- Tasks: timer callbacks, scenario bodies and phases run as coroutines, so kchaos.sleep
-- and p:wait() in them yield to the event loop instead of holding it up. An error in a
-- task goes up to the loop's caller as a Failure, which keeps the task's own traceback.
local Failure = {}
Failure.__index = Failure
function Failure:__tostring() return self.msg end

-- The error handler of the run: turns any error into a Failure with its traceback.
function kchaos._failure(e)
	if getmetatable(e) == Failure then return e end
	local msg = tostring(e)
	-- After a stack overflow the traceback itself may overflow: keep the message then.
	local ok, tb = pcall(debug.traceback, msg, 3)
	return setmetatable({ msg = msg, traceback = ok and tb or msg }, Failure)
end

local function current_task()
	local co = coroutine.running()
	return co and S.tasks[co]
end

local function resume(task, ...)
	local ok, err = coroutine.resume(task.co, ...)
	if coroutine.status(task.co) == "dead" then
		S.tasks[task.co] = nil
		task.done = true
	end
	if not ok then
		if getmetatable(err) ~= Failure then
			local msg = tostring(err)
			err = setmetatable({ msg = msg, traceback = debug.traceback(task.co, msg) }, Failure)
		end
		error(err, 0)
	end
	if task.done and task.on_done then task.on_done() end
end

-- Starts fn(...) as a task at once; `fields` (phase, on_done) go into the task. A task
-- made by another inherits its phase.
local function start_task(fn, fields, ...)
	local parent = current_task()
	-- The traceback is taken where the error happens, inside the task.
	local co = coroutine.create(function(...)
		local ok, err = xpcall(fn, kchaos._failure, ...)
		if not ok then error(err, 0) end
	end)
	local task = { co = co, phase = parent and parent.phase }
	for k, v in pairs(fields or {}) do task[k] = v end
	S.tasks[task.co] = task
	resume(task, ...)
	return task
end

-- Suspends the running task until wake(task); `cancel` undoes its wake-up sources
-- should the task be cancelled meanwhile.
local function suspend(cancel)
	local task = current_task()
	task.waiting = true
	task.cancel_wait = cancel
	coroutine.yield()
	task.cancel_wait = nil
end

-- Stops a task for good: it is never resumed again.
local function cancel_task(task)
	if task.done then return end
	task.cancelled = true
	task.done = true
	S.tasks[task.co] = nil
	if task.cancel_wait then task.cancel_wait() end
end

-- Timers: after(t, fn), every(t, fn), at(t, fn); each returns a handle with :cancel().
-- A raw timer calls fn directly (the loop's own wake-ups); others run fn as a task.
local function new_timer(ns, fn, period, raw)
	-- Made by the main chunk, a timer counts from the moment the rules are armed.
	local h = { delay = ns, due = S.started and core.now() + ns or math.huge, fn = fn,
		period = period and ns or nil, raw = raw }
	function h.cancel() h.cancelled = true end
	S.timers[#S.timers + 1] = h
	return h
end

-- `name` is the function the script called ("kchaos.after"), for its messages.
local function add_timer(name, t, fn, period, level)
	local ns = util.timer_args(name, t, fn, level)
	if period and ns == 0 then
		error(("%s: %s needs a period of 1 ns or more"):format(util.where(level), name), 0)
	end
	return new_timer(ns, fn, period, false)
end
-- Not tail calls, so that level 3 is the caller's line.
function kchaos.after(t, fn) local h = add_timer("kchaos.after", t, fn, false, 3) return h end
function kchaos.every(t, fn) local h = add_timer("kchaos.every", t, fn, true, 3) return h end

-- at(t, fn): calls fn at t after the start of the run (when the rules were armed).
function kchaos.at(t, fn)
	local h = add_timer("kchaos.at", t, fn, false, 3)
	if S.t0 then h.due = S.t0 + h.delay end
	return h
end

-- Resumes a suspended task at the next turn of the loop; nothing if it is not waiting.
local function wake(task)
	if not task.waiting or task.done then return end
	task.waiting = false
	new_timer(0, function()
		if not task.done then resume(task) end
	end, false, true)
end

local function run_timers(now)
	local due = {}
	for i = #S.timers, 1, -1 do
		local h = S.timers[i]
		if h.cancelled then
			table.remove(S.timers, i)
		elseif h.due <= now then
			due[#due + 1] = { h = h, when = h.due, seq = i }
			if h.period then h.due = now + h.period else table.remove(S.timers, i) end
		end
	end
	-- The earliest first; timers due at the same time in the order they were made.
	table.sort(due, function(a, b)
		if a.when ~= b.when then return a.when < b.when end
		return a.seq < b.seq
	end)
	for _, d in ipairs(due) do
		local h = d.h
		if not h.cancelled then
			if h.raw then h.fn() else start_task(h.fn) end
		end
	end
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
	-- While the run ends (kchaos._finish), events are counted but call nothing.
	if r.on_inject and not S.finishing then r.on_inject(ev) end
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
		if r._set and rule.unscoped(r) then r:disarm() end
	end
	output.warn(("ending the run: rules without a scope ran for %s, the limit for them "
		.. "(give --timeout DUR to choose the time, or --system to run without a limit)")
		:format(("%gs"):format(S.system_limit_ns / 1e9)))
	if S.stopped == nil then S.stopped = 0 end
end

-- Whether every armed rule has a window that has closed; the second result says whether
-- any rule has been compiled and armed at all.
local function all_windows_over(now)
	local any = false
	for _, r in ipairs(S.rules) do
		if r._set then
			any = true
			local l = r.live
			if not (r.duration and l.armed_at and now >= l.armed_at + (r.after or 0) + r.duration) then
				return false, true
			end
		end
	end
	return any, any
end

-- Whether something is still to come: a timer that has not fired (an `every` until it is
-- cancelled) or a task that has not ended. Either can make rules, so the run waits.
function kchaos._pending()
	if next(S.tasks) then return true end
	for _, h in ipairs(S.timers) do
		if not h.cancelled then return true end
	end
	return false
end

-- One turn of the event loop: waits up to `wait_ms`, renews the lease, delivers events
-- and records exited children in S.exited. Returns the signal that arrived, if any, and
-- (with `watch_stdin`) whether stdin has input. `before_output` runs before any event.
local function step(wait_ms, watch_stdin, before_output)
	-- Wake up at least four times per lease, so one late turn does not let it lapse.
	wait_ms = math.min(wait_ms, math.max(1, math.floor(S.lease_ns / 4e6)))
	local events, exits, sig, ready = core.poll(wait_ms, watch_stdin)
	local now = core.now()
	for _, set in ipairs(S.sets) do engine().set_global(set, now + S.lease_ns) end
	if before_output and #events > 0 then before_output() end
	for _, ev in ipairs(events) do dispatch(ev) end
	check_lost(now)
	check_system_limit(now)
	for _, ex in ipairs(exits) do
		S.exited[ex.pid] = ex
		if S.procs[ex.pid] then S.procs[ex.pid]:_exited(ex) end
	end
	return sig, ready
end
S.exited = {}

-- Runs the loop in place until `done()` or `deadline` (outside a task, where a wait
-- cannot yield); `what` names the wait if a signal cuts it short.
local function turn_until(done, deadline, what)
	while not done() do
		local now = core.now()
		if deadline and now >= deadline then return end
		local wait = 200
		local nt = next_timer(now)
		if nt then wait = math.min(wait, math.ceil(nt / 1e6)) end
		if deadline then wait = math.min(wait, math.ceil((deadline - now) / 1e6)) end
		if step(wait) then error("interrupted while " .. what, 0) end
		run_timers(core.now())
	end
end

-- The loop's pieces the workload and scenario modules build on.
kchaos._loop = {
	current_task = current_task, start_task = start_task, cancel_task = cancel_task,
	suspend = suspend, wake = wake, timer = new_timer, step = step,
	turn_until = turn_until,
}

-- Workloads: kchaos.spawn{ "cmd", "arg", capture = true } or kchaos.spawn("shell command").
function kchaos.spawn(cmd, opts)
	return require("kchaos.workload").spawn(kchaos, cmd, opts, util.where(2))
end

-- sleep(t): inside a task (a timer callback, a scenario or phase body) lets the loop run
-- for t, then goes on; elsewhere after the start runs the loop in place.
function kchaos.sleep(t)
	local where = util.where(2)
	local ns, err = util.duration(t, "sleep")
	if not ns then error(where .. ": " .. err, 0) end
	local task = current_task()
	if task then
		local h = new_timer(ns, function() wake(task) end, false, true)
		suspend(h.cancel)
		h.cancel()
		return
	end
	if not S.started then
		error(where .. ": kchaos.sleep cannot run in the main chunk, before the rules are "
			.. "armed; put it in a scenario (kchaos.scenario(function() ... end)) or a timer", 0)
	end
	local due = core.now() + ns
	turn_until(function() return core.now() >= due end, due, "sleeping")
end

-- expect(cond, msg, ...): fails the run (or scenario) at this line when cond is false;
-- msg may be a format for the remaining arguments.
function kchaos.expect(cond, msg, ...)
	if cond then return cond, msg, ... end
	local text = msg == nil and "" or tostring(msg)
	if select("#", ...) > 0 then text = text:format(...) end
	error(("%s: expectation failed%s%s"):format(util.where(2), text ~= "" and ": " or "", text), 0)
end

-- scenario{ name =, phases = { ... } } or scenario(function() ... end); see docs/scenarios.md.
function kchaos.scenario(spec)
	return require("kchaos.scenario").new(kchaos, spec, util.where(2))
end

-- Ends what the run leaves going, before the report: scenarios (a phase still running
-- ends as `status`: "failed", "interrupted" or "stopped"; `msg` says why it failed) and
-- workloads (stopped and reaped). Events that arrive meanwhile are counted; no callback
-- runs.
function kchaos._finish(status, msg)
	S.finishing = true
	for _, sc in ipairs(S.scenarios) do sc:_finish(status, msg) end
	for co, task in pairs(S.tasks) do
		S.tasks[co] = nil
		cancel_task(task)
	end
	if package.loaded["kchaos.workload"] then require("kchaos.workload").stop_all(kchaos) end
end

-- Runs the event loop until stop(), the workload ends, the timeout, a signal, or nothing
-- is left to wait for (no timer or task, and no rule whose window is open). Returns the
-- exit code.
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
		if sig then code = 128 + core.signal(); break end
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
		if not workload and not kchaos._pending() then
			local over, any = all_windows_over(now)
			if over or not any then
				output.info(any and "every rule's window is over" or "no rule, timer or task left")
				code = 0
				break
			end
		end
	end
	-- Deliver what is left in the ring buffers (and record exits).
	step(0)
	return code
end

-- One turn of the event loop for the REPL: waits up to `wait_ms` (less when a timer is due)
-- for events, a signal or input on stdin, then fires due timers. `before_output` runs
-- before the first event or timer, so the prompt can get out of the way. Returns the
-- signal that arrived, if any, and whether stdin has input.
function kchaos._turn(wait_ms, before_output)
	local nt = next_timer(core.now())
	if nt then wait_ms = math.min(wait_ms, math.ceil(nt / 1e6)) end
	local sig, ready = step(wait_ms, true, before_output)
	if sig then return sig, ready end
	local now = core.now()
	if before_output and next_timer(now) == 0 then before_output() end
	run_timers(now)
	return nil, ready
end

kchaos.util = util
kchaos.kernel = kernel
return kchaos
