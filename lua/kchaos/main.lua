-- SPDX-License-Identifier: GPL-2.0-only
-- kchaos.main: the command line's meaning. The C host parses options into a table and
-- calls run(opts), which returns the exit status; errors propagate to the host's handler.
local core = require "kchaos.core"
local util = require "kchaos.util"

local M = {}

local USAGE = [==[
usage: kchaos-lua [options] [script.lua [args...]]

Injects kernel faults described by Lua rules (slab, page, bio, or any function on the
kernel's error-injection list), scoped to processes, and reports every injection.

options:
  -e CHUNK          run the Lua CHUNK (may be repeated; runs before the script)
  -i                interactive prompt after the script
  -l [GLOB]         list injectable functions and their error type
  -c CMD            run CMD (via /bin/sh -c) and scope unscoped rules to its process tree;
                    the exit status is CMD's
  -p PID            scope unscoped rules to process PID
  -d, --dry-run     print the generated BPF C and attach nothing (no root needed)
      --check       a dry run that also compiles the BPF C with libbcc
  -v, --verbose     more messages, and tracebacks; -vv also debugging (KCHAOS_LOG=0..4
                    sets the level: errors, warnings, hints, information, debugging)
  -q, --quiet       no per-injection notices and no summary table
  -f, --format text|json  event format; json: one JSON object per injection on stdout
  -o, --output FILE write events and the summary to FILE
      --timeout DUR end the run after DUR ("30s", "5m", or seconds); without it, a run
                    with a rule that applies to every process ends after 60s
      --lease DUR   stop injecting DUR after the event loop stops renewing (default 1s)
      --doctor      check what this kernel can do and how to fix what it cannot
      --vm          run the same command inside a guest kernel that can inject
      --vm-kernel F boot F (a bzImage) instead of the built guest kernel
      --kernelchaos FILE  run a Chaos Mesh KernelChaos manifest (YAML)
      --inject SPEC run an inject.py command line: 'MODE [-P PROB] [-c N] [-I H] SPEC'
      --cgroup PATH scope unscoped rules to the cgroup v2 PATH
      --system      let rules apply to every process without a time limit, and allow
                    rules that fail every allocation (imported rules need no -p, -c or
                    --cgroup)
  -V, --version     print the version
  -h, --help        print this help

examples:
  kchaos-lua -c 'cd /tmp && touch apples && touch bananas' scenarios/bananas.lua
  kchaos-lua -c ./myserver -e 'kchaos.slab{ probability = "5%" }'
  kchaos-lua --vm --doctor
]==]

local function usage_error(msg)
	local output = require "kchaos.output"
	output.error(msg)
	output.hint("see kchaos-lua --help")
	return 2
end

-- --vm: the same command line, minus --vm and --vm-kernel, run inside the guest.
-- Whether the command line asks for nothing to run, so the prompt opens.
local function prompt_wanted(opts)
	return #opts.rest == 0 and not opts.chunks and not opts.kernelchaos and not opts.inject
		and not (opts.doctor or opts.list or opts.version or opts.help)
end

local function run_vm(opts)
	local args = {}
	local skip = false
	for i = 1, #opts.argv do
		local a = opts.argv[i]
		if skip then
			skip = false
		elseif a == "--vm" then
		elseif a == "--vm-kernel" then
			skip = true
		elseif a:match("^%-%-vm%-kernel=") then
		elseif a == "--" then
			for j = i, #opts.argv do args[#args + 1] = opts.argv[j] end
			break
		else
			args[#args + 1] = a
		end
	end
	local runner = core.datadir .. "/src/vm/run-guest.sh"
	if opts.output then
		-- The guest writes -o FILE to the results share; the runner copies it here.
		local path = opts.output
		if path:sub(1, 1) ~= "/" then path = core.getcwd() .. "/" .. path end
		local f, err = io.open(path, "w")
		if not f then
			io.stderr:write(("kchaos-lua: error: cannot write %s\n"):format(err))
			return 1
		end
		f:close()
		core.setenv("KCHAOS_VM_OUTPUT", path)
	end
	local cmd = { runner }
	-- The prompt in the guest needs the terminal: the guest's serial line carries keys,
	-- but not the end of piped input.
	if opts.interactive or prompt_wanted(opts) then
		if not core.isatty(0) then
			return usage_error("--vm opens the prompt only at a terminal; to run piped "
				.. "statements in the guest, put them in a script: kchaos-lua --vm script.lua")
		end
		cmd[#cmd + 1] = "--interactive"
	end
	local kernel = opts.vm_kernel or os.getenv("KCHAOS_VM_KERNEL")
	if kernel and kernel ~= "" then
		cmd[#cmd + 1] = "--kernel"
		cmd[#cmd + 1] = kernel
	end
	cmd[#cmd + 1] = "--"
	cmd[#cmd + 1] = core.exe()
	for _, a in ipairs(args) do cmd[#cmd + 1] = a end
	local _, err = core.exec(cmd)
	io.stderr:write("kchaos-lua: error: cannot start the guest runner: ", err, "\n")
	return 1
end

local function list(opts)
	local kernel = require "kchaos.kernel"
	local glob = opts.rest[1] or "*"
	local l, err = kernel.injection_list()
	if not l then
		io.stderr:write("kchaos-lua: error: ", err, "\n")
		return 1
	end
	local pat = "^" .. glob:gsub("[%^%$%(%)%%%.%+%-]", "%%%0"):gsub("%*", ".*")
		:gsub("%?", ".") .. "$"
	local n = 0
	for _, name in ipairs(util.sorted_keys(l)) do
		if name:match(pat) then
			io.stdout:write(name, "\t", l[name], "\n")
			n = n + 1
		end
	end
	if n == 0 then
		io.stderr:write(("kchaos-lua: no injectable function matches '%s'\n"):format(glob))
		return 1
	end
	return 0
end

-- A script larger than this is a mistake (/dev/zero, a disk image), not Lua to read.
local MAX_SCRIPT = 16 * 1024 * 1024

local function load_chunks(opts)
	local chunks = {}
	for i, c in ipairs(opts.chunks or {}) do
		local f, err = loadstring(c, "=(command line)")
		if not f then error(err, 0) end
		chunks[#chunks + 1] = { f = f, args = {} }
		if i == 0 then break end
	end
	local script = opts.rest[1]
	if script and not opts.list then
		-- Read once, as the script may be a pipe; a signal ends the wait for its writer.
		local text, why = core.read_file(script, MAX_SCRIPT)
		if not text then
			local st = core.stat(script)
			if not st then error(("cannot open %s: no such file"):format(script), 0) end
			if not st.readable then
				error(("cannot read %s: permission denied"):format(script), 0)
			end
			error("cannot read " .. why, 0)
		end
		local f, err = loadstring(text, "@" .. script)
		if not f then error(err, 0) end
		local args = {}
		for i = 2, #opts.rest do args[#args + 1] = opts.rest[i] end
		chunks[#chunks + 1] = { f = f, args = args, script = script }
	end
	return chunks
end

local function set_arg(opts)
	local t = { [-1] = opts.argv[0], [0] = opts.rest[1] or "" }
	for i = 2, #opts.rest do t[i - 1] = opts.rest[i] end
	_G.arg = t
end

-- Option values that are wrong whatever the script: usage errors (status 2).
local function check_values(opts)
	if opts.command and opts.pid then return "-c and -p cannot be used together" end
	if opts.cgroup == "" then return "--cgroup needs a cgroup v2 path, such as /sys/fs/cgroup/test" end
	if opts.pid then
		local pid = tonumber(opts.pid)
		if not pid or pid < 1 or pid % 1 ~= 0 then
			return ("-p needs a process id, not '%s'"):format(opts.pid)
		end
		if pid == 1 then
			return "-p 1: init is never failed, so no rule would inject; give another process"
		end
	end
	for _, o in ipairs { { "timeout", "--timeout" }, { "lease", "--lease" } } do
		if opts[o[1]] then
			local ns, err = util.duration(opts[o[1]], o[2])
			if err then return err end
			if o[1] == "timeout" and ns == 0 then
				return "--timeout must be more than 0; leave it out to run without a time "
					.. "limit (rules with no scope still end the run after 60s, unless --system)"
			end
		end
	end
	if opts.lease then
		local ok, err = pcall(require("kchaos").lease, opts.lease, "--lease")
		if not ok then return err end
	end
end

local function scope_from_options(opts, kchaos)
	if opts.pid then
		local pid = tonumber(opts.pid)
		if not core.stat("/proc/" .. pid) then
			error(("-p %d: no such process"):format(pid), 0)
		end
		kchaos._state.opts.scope_default = { pid = pid }
	end
end

local function run_script(opts)
	local output = require "kchaos.output"
	output.configure(opts)
	local kchaos = require "kchaos"
	local S = kchaos._state
	S.opts = { dry_run = opts.dry_run, interactive = opts.interactive }
	_G.kchaos = kchaos
	package.loaded.kchaos = kchaos
	scope_from_options(opts, kchaos)

	local timeout_ns
	if opts.timeout then
		local err
		timeout_ns, err = util.duration(opts.timeout, "--timeout")
		if not timeout_ns then error(err, 0) end
	end

	-- -c: the workload is forked now and waits at a gate until the rules are armed; like
	-- a spawned one, it is stopped with its process group if the run ends first.
	local workload
	if opts.command and not opts.dry_run then
		workload = require("kchaos.workload").start(kchaos, opts.command, {}, "-c"):pid()
		S.opts.scope_default = { tree = workload }
	elseif opts.command then
		S.opts.scope_default = { tree = 1 }
	end
	-- --cgroup scopes unscoped rules too (with -c or -p, both must hold); --system lets
	-- imported rules go unscoped.
	if opts.cgroup then
		S.opts.scope_default = S.opts.scope_default or {}
		S.opts.scope_default.cgroup = opts.cgroup
	end
	S.opts.system = opts.system
	-- Unscoped rules end the run after a minute unless the user chose a time or --system.
	if opts.timeout or opts.system then S.system_limit_ns = nil end
	if opts.lease then kchaos.lease(opts.lease, "--lease") end

	set_arg(opts)
	require("kchaos.import").from_options(opts, kchaos)
	-- The main chunks declare; they run interpreted, so that an error in them, a stack
	-- overflow even, always names its line (compiled code can leave no room to say it).
	-- Called from C, a chunk's error at level 2 names no line of kchaos.
	if jit then jit.off() end
	for _, c in ipairs(load_chunks(opts)) do
		core.call(c.f, unpack(c.args))
	end
	if jit then jit.on() end

	-- An unscoped rule is said so in a dry run too, where scripts are checked.
	local unscoped = require("kchaos.rule").unscoped
	for _, r in ipairs(kchaos.rules()) do
		if unscoped(r) then
			output.warn(("%s: rule %s has no scope: it applies to every process on this system")
				:format(r.where or "?", r.label))
		end
	end
	if opts.dry_run and opts.interactive then return require("kchaos.repl").run {} end
	if opts.dry_run then
		io.stdout:write(require("kchaos.import").dry_run_text(kchaos.rules(), opts.command))
		io.stdout:write(kchaos.generate())
		if opts.check then
			local engine = require "kchaos.engine"
			local set = engine.compile(kchaos.rules())
			engine.close(set)
			io.stderr:write("kchaos-lua: the generated BPF C compiles\n")
		end
		return 0
	end

	local rules = kchaos.rules()
	if #rules == 0 and not workload and not opts.interactive and #S.scenarios == 0
		and not kchaos._pending() then
		output.info("no rules declared")
		return S.stopped or 0
	end
	local ok, err = pcall(kchaos._commit)
	if not ok then error(err, 0) end
	kchaos._start()
	output.info(("%d rule%s armed"):format(#rules, #rules == 1 and "" or "s"))

	local code
	ok, err = xpcall(function()
		local run = opts.interactive and require("kchaos.repl").run or kchaos._run
		code = run { workload = workload, timeout_ns = timeout_ns }
	end, kchaos._failure)
	-- A signal that came while Lua ran ends the run as an error; the loop still has it.
	-- Whichever way it came, the status is 128 plus its number.
	if not ok then pcall(kchaos._loop.step, 0) end
	local sig = core.signal()
	if sig then code = 128 + sig end
	local failed = not ok and not sig
	-- Scenarios and workloads end before the report; an error makes the status 1.
	kchaos._finish(failed and "failed" or sig and "interrupted" or "stopped",
		failed and err.msg or nil)
	local extra = { status = failed and 1 or code }
	require("kchaos.report").finish(kchaos, extra)
	output.summary(kchaos.rules(), extra)
	if failed then
		output.error(err.msg)
		output.traceback(err.traceback)
		return 1
	end
	return code or 0
end

-- Options that take no script: what follows them is a mistake, not something to ignore.
local function check_rest(opts)
	local extra, what
	if opts.version then
		extra, what = opts.rest[1], "--version takes no arguments"
	elseif opts.doctor then
		extra, what = opts.rest[1], "--doctor takes no arguments"
	elseif opts.list then
		extra, what = opts.rest[2], "-l takes one pattern at most"
	end
	if extra then return ("unexpected argument '%s': %s"):format(extra, what) end
end

function M.run(opts)
	require("kchaos.output").level = opts.log_level
	if opts.usage_error then return usage_error(opts.usage_error) end
	if opts.help then io.stdout:write(USAGE) return 0 end
	local extra = check_rest(opts)
	if extra then return usage_error(extra) end
	if opts.version then
		io.stdout:write(("kchaos-lua %s (%s, libbcc %s)\n"):format(core.version,
			jit and jit.version or _VERSION, core.libbcc_version))
		return 0
	end
	if opts.format and opts.format ~= "text" and opts.format ~= "json" then
		return usage_error(("-f takes 'text' or 'json', not '%s'"):format(opts.format))
	end
	if opts.vm then return run_vm(opts) end
	if opts.vm_kernel then return usage_error("--vm-kernel goes with --vm") end
	-- --check is a dry run that also compiles: never a live run.
	if opts.check then opts.dry_run = true end
	if opts.doctor then return require("kchaos.doctor").run(opts) end
	if opts.list then return list(opts) end
	local bad = check_values(opts)
	if bad then return usage_error(bad) end
	if prompt_wanted(opts) then opts.interactive = true end
	return run_script(opts)
end

return M
