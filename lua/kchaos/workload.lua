-- SPDX-License-Identifier: GPL-2.0-only
-- kchaos.workload: the processes a script starts with kchaos.spawn, and the command of -c.
-- Each leads a process group of its own, so it can be stopped whole; one made before the
-- rules are armed waits at a gate until they are; its exit status, its signal and (with
-- capture) its output are kept. Waiting yields inside a task and turns the event loop in
-- place outside one (the loop is kchaos._loop, from init.lua). parse and check_command
-- are pure.
local util = require "kchaos.util"

local M = {}

local function core() return require "kchaos.core" end

M.SIGNALS = {
	HUP = 1, INT = 2, QUIT = 3, ILL = 4, TRAP = 5, ABRT = 6, BUS = 7, FPE = 8, KILL = 9,
	USR1 = 10, SEGV = 11, USR2 = 12, PIPE = 13, ALRM = 14, TERM = 15, CHLD = 17, CONT = 18,
	STOP = 19, TSTP = 20,
}
local SIGNAME = {}
for k, v in pairs(M.SIGNALS) do SIGNAME[v] = "SIG" .. k end

-- "SIGTERM" for 15, or "signal 40".
function M.signal_name(n)
	return SIGNAME[n] or ("signal %d"):format(n)
end

-- The number of a signal given as 15, "TERM", "SIGTERM" or "term"; or nil, message.
function M.signal_number(sig)
	if type(sig) == "number" and sig % 1 == 0 and sig >= 0 and sig <= 64 then return sig end
	if type(sig) == "string" then
		local n = M.SIGNALS[sig:upper():gsub("^SIG", "")]
		if n then return n end
	end
	return nil, ("%s is not a signal; give a name like \"TERM\" or \"KILL\", or a number")
		:format(type(sig) == "string" and ("%q"):format(sig) or tostring(sig))
end

local OPTIONS = { capture = true, start = true, name = true }
local OPTION_LIST = { "capture", "start", "name" }

-- Splits spawn's arguments into a command (a shell string or a list of words) and its
-- options, which may also sit in the list itself: { "ls", "-l", capture = true }.
function M.parse(cmd, opts)
	local words, options = nil, {}
	if type(cmd) == "string" then
		if cmd:match("^%s*$") then return nil, "the command is empty" end
		words = cmd
	elseif type(cmd) == "table" then
		words = {}
		for i = 1, #cmd do
			if type(cmd[i]) ~= "string" then
				return nil, ("word %d of the command is a %s, not a string"):format(i, type(cmd[i]))
			end
			words[i] = cmd[i]
		end
		if #words == 0 then return nil, "the command has no words" end
		for k, v in pairs(cmd) do
			if type(k) ~= "number" then options[k] = v end
		end
	else
		return nil, "expects a command: a shell string or a list of words"
	end
	if opts ~= nil and type(opts) ~= "table" then
		return nil, ("options must be a table like { capture = true }, not a %s"):format(type(opts))
	end
	for k, v in pairs(opts or {}) do options[k] = v end
	for k in pairs(options) do
		if not OPTIONS[k] then
			local near = util.suggest(tostring(k), OPTION_LIST)
			return nil, ("option '%s' is unknown%s"):format(tostring(k),
				near and (" (did you mean '%s'?)"):format(near) or "")
		end
	end
	for _, k in ipairs { "capture", "start" } do
		if options[k] ~= nil and type(options[k]) ~= "boolean" then
			return nil, ("option '%s' must be true or false, not %s"):format(k, tostring(options[k]))
		end
	end
	if options.name ~= nil and type(options.name) ~= "string" then
		return nil, ("option 'name' must be a string, not a %s"):format(type(options.name))
	end
	return words, options
end

-- Words a shell runs itself: no program of that name needs to exist.
local SHELL_WORDS = {}
for w in ([[! { } case do done elif else esac fi for if in then until while . : [ alias bg
	break cd command continue echo eval exec exit export false fg getopts hash jobs kill
	local printf pwd read readonly return set shift test times trap true type ulimit umask
	unalias unset wait]]):gmatch("%S+") do
	SHELL_WORDS[w] = true
end

-- The program a command starts, when it can be known before running it: the first word
-- of a list, or of a shell string that starts with a plain word.
local function program(cmd)
	if type(cmd) == "table" then return cmd[1] end
	local word = cmd:match("^%s*([^%s;&|<>()]+)")
	if not word or SHELL_WORDS[word] or word:find("[=$`'\"*?%[~\\]") then return nil end
	return word
end

-- Whether the program of `cmd` exists: true, or nil and a message. `env.stat(path)` is
-- core.stat; `env.path` is $PATH.
function M.check_command(cmd, env)
	local prog = program(cmd)
	if not prog then return true end
	if prog:find("/", 1, true) then
		local st = env.stat(prog)
		if not st then return nil, ("'%s' does not exist"):format(prog) end
		if st.type == "directory" then return nil, ("'%s' is a directory"):format(prog) end
		return true
	end
	for dir in (env.path or ""):gmatch("[^:]+") do
		local st = env.stat(dir .. "/" .. prog)
		if st and st.type ~= "directory" then return true end
	end
	return nil, ("command '%s' not found (searched $PATH)"):format(prog)
end

-- A short label for reports: the command, cut to `max` characters.
function M.label(cmd, max)
	max = max or 40
	local s = type(cmd) == "table" and table.concat(cmd, " ") or cmd
	s = s:gsub("%s+", " "):gsub("^ ", "")
	if #s > max then s = s:sub(1, max - 3) .. "..." end
	return s
end

-- Seconds to the millisecond, for reports.
local function round3(x) return math.floor(x * 1000 + 0.5) / 1000 end

local Proc = {}
Proc.__index = Proc
M.Proc = Proc

-- Starts a workload; see kchaos.spawn. `where` is the script line that asked.
function M.spawn(K, cmd, opts, where)
	local command, options = M.parse(cmd, opts)
	if not command then error(("%s: spawn: %s"):format(where, options), 0) end
	local ok, err = M.check_command(command, { stat = core().stat, path = os.getenv("PATH") })
	if not ok then error(("%s: spawn: %s"):format(where, err), 0) end
	return M.start(K, command, options, where)
end

-- Starts a command M.parse accepted, unchecked (the -c command of the command line goes
-- here: a missing program is the shell's status 127, as under sh -c). `where` names who
-- asked, in messages.
function M.start(K, command, options, where)
	local S = K._state

	-- Held at the gate until the rules are armed, or until p:start() with start = false.
	local gated = not S.started or options.start == false
	local pid, fd = core().spawn(command, gated, { group = true, capture = options.capture })
	if not pid then error(("%s: cannot start the workload: %s"):format(where, fd), 0) end
	local task = K._loop.current_task()
	local p = setmetatable({
		_pid = pid, _fd = fd, _capture = options.capture == true, _gated = gated,
		_held = options.start == false, _waiters = {}, _K = K,
		name = options.name or M.label(command), command = command, where = where,
		phase = task and task.phase, spawned_at = core().now(),
	}, Proc)
	if not gated then p.started_at = p.spawned_at end
	S.procs[pid] = p
	S.proc_list[#S.proc_list + 1] = p
	if gated and not p._held and not S.release_hooked then
		S.release_hooked = true
		S.on_start[#S.on_start + 1] = function() M.release_all(K) end
	end
	if p.phase then p.phase.workloads[#p.phase.workloads + 1] = p end
	return p
end

-- Lets every workload the main chunk made start (called once the rules are armed).
function M.release_all(K)
	for _, p in ipairs(K._state.proc_list) do
		if p._gated and not p._held then p:start() end
	end
end

function Proc:pid()
	util.check_self(self, Proc, "w:pid()")
	return self._pid
end

-- Starts a workload held with start = false (or made before the rules were armed).
function Proc:start()
	util.check_self(self, Proc, "w:start()")
	if self._gated and not self._exit then
		core().release(self._pid)
		self._gated = false
		self.started_at = core().now()
	end
	return self
end

function Proc:running()
	util.check_self(self, Proc, "w:running()")
	return not self._exit and not self._gated
end

-- The exit status (128 + N when killed by signal N) and the signal's name; nil while
-- the workload runs.
function Proc:status()
	util.check_self(self, Proc, "w:status()")
	local ex = self._exit
	if not ex then return nil end
	return ex.code, ex.signal and M.signal_name(ex.signal) or nil
end

-- The name of the signal that killed the workload, or nil.
function Proc:signal()
	util.check_self(self, Proc, "w:signal()")
	local ex = self._exit
	return ex and ex.signal and M.signal_name(ex.signal) or nil
end

local function read_fd(fd)
	local f = io.open("/proc/self/fd/" .. fd, "rb")
	if not f then return "" end
	local s = f:read("*a") or ""
	f:close()
	return s
end

-- What the workload wrote on stdout and stderr so far (with capture = true).
function Proc:output()
	util.check_self(self, Proc, "w:output()")
	if not self._capture then
		error(("%s: workload '%s' has no captured output; spawn it with capture = true")
			:format(util.where(2) or "?", self.name), 0)
	end
	return self._out or read_fd(self._fd)
end

-- Sends a signal (default SIGTERM) to the workload's whole process group. False when
-- it has already exited.
function Proc:kill(sig)
	util.check_self(self, Proc, "w:kill(signal)")
	local n, err = M.signal_number(sig == nil and "TERM" or sig)
	if not n then error(("%s: kill: %s"):format(util.where(2) or "?", err), 0) end
	if self._exit then return false end
	if not core().kill(-self._pid, n) then core().kill(self._pid, n) end
	-- A stopped process acts on the signal only once continued.
	if n ~= 9 and n ~= 18 then core().kill(-self._pid, 18) end
	return true
end

-- Waits until the workload exits, at most `timeout` (a duration) when given; returns its
-- exit status and signal name, or nil and "timeout". A held workload is started first.
function Proc:wait(timeout)
	util.check_self(self, Proc, "w:wait(timeout)")
	local K = self._K
	local loop = K._loop
	local ns
	if timeout ~= nil then
		local err
		ns, err = util.duration(timeout, "wait")
		if not ns then error(("%s: %s"):format(util.where(2) or "?", err), 0) end
	end
	self:start()
	local task = loop.current_task()
	if not self._exit and task then
		local function waker() loop.wake(task) end
		self._waiters[#self._waiters + 1] = waker
		local h = ns and loop.timer(ns, waker, false, true)
		local function forget()
			if h then h.cancel() end
			for i, w in ipairs(self._waiters) do
				if w == waker then table.remove(self._waiters, i) break end
			end
		end
		loop.suspend(forget)
		forget()
	elseif not self._exit then
		local deadline = ns and core().now() + ns
		loop.turn_until(function() return self._exit ~= nil end, deadline,
			"waiting for a workload")
	end
	if not self._exit then return nil, "timeout" end
	return self:status()
end

-- Calls fn once the workload has exited (at once if it has).
function Proc:_on_exit(fn)
	if self._exit then fn() else self._waiters[#self._waiters + 1] = fn end
end

-- Called by the loop when the workload has exited: keeps its status and output and
-- wakes the tasks that wait for it.
function Proc:_exited(ex)
	self._exit = ex
	self.ended_at = core().now()
	if self._fd then
		self._out = read_fd(self._fd)
		core().close(self._fd)
		self._fd = nil
	end
	local waiters = self._waiters
	self._waiters = {}
	for _, w in ipairs(waiters) do w() end
end

-- "running", "held", "exited 0", "killed by SIGTERM", "exited 127 (command not found)".
function Proc:describe()
	util.check_self(self, Proc, "w:describe()")
	if self._gated then return "held (never started)" end
	local ex = self._exit
	if not ex then return "running" end
	if ex.signal then return "killed by " .. M.signal_name(ex.signal) end
	if ex.code == 127 then return "exited 127 (command not found)" end
	return ("exited %d"):format(ex.code or 0)
end

function Proc:__tostring()
	return ("workload %d (%s): %s"):format(self._pid, self.name, self:describe())
end

-- A table for the report.
function Proc:record()
	local ex = self._exit
	return {
		pid = self._pid, name = self.name, status = self:describe(),
		code = ex and ex.code or nil, signal = self:signal(),
		phase = self.phase and self.phase.name or nil,
		duration = self.started_at and
			round3(((self.ended_at or core().now()) - self.started_at) / 1e9) or nil,
	}
end

-- Stops one workload from inside a task: SIGTERM, up to `grace` for it to exit, then
-- SIGKILL. Returns once it has exited.
function Proc:_stop(grace)
	if self._exit then return end
	self:kill("TERM")
	if self:wait(grace or 1) == nil then
		self:kill("KILL")
		self:wait(1)
	end
end

-- Stops every workload still running and reaps it, without yielding (the run is over):
-- SIGTERM to each group, up to a second, then SIGKILL.
function M.stop_all(K)
	local loop = K._loop
	local live = {}
	for _, p in ipairs(K._state.proc_list) do
		if not p._exit then
			p:kill("TERM")
			live[#live + 1] = p
		end
	end
	local function all_gone()
		for _, p in ipairs(live) do if not p._exit then return false end end
		return true
	end
	for round = 1, 100 do
		loop.step(0)
		if all_gone() then return end
		if round == 50 then
			for _, p in ipairs(live) do p:kill("KILL") end
		end
		core().sleep(20)
	end
end

return M
