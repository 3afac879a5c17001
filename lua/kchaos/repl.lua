-- SPDX-License-Identifier: GPL-2.0-only
-- kchaos.repl: the interactive prompt. Statements come from the terminal (edited through
-- libedit, see src/kc_repl.c) or, when stdin is not a terminal, line by line with no
-- prompts; the event loop keeps delivering injections and firing timers meanwhile.
-- Expressions print their values; dot commands answer the common questions.
local core = require "kchaos.core"
local output = require "kchaos.output"

local M = {
	PROMPT = "> ",
	PROMPT2 = ">> ",	-- a statement goes on
	HISTORY = ".kchaos_history",	-- in $HOME
	HISTORY_MAX = 1000,
	DEPTH = 3,		-- table nesting the printer shows
	WIDTH = 78,		-- a table shorter than this prints on one line
	ITEMS = 40,		-- entries shown per table
	CANDIDATES = 100,	-- completions listed at most
}

local KEYWORDS = {}
for w in ([[and break do else elseif end false for function if in local nil not or
	repeat return then true until while]]):gmatch("%a+") do KEYWORDS[w] = true end

-- Printing ---------------------------------------------------------------------------------

local function is_name(k)
	return type(k) == "string" and k:match("^[%a_][%w_]*$") ~= nil and not KEYWORDS[k]
end

local function scalar(v)
	if type(v) == "string" then
		return (("%q"):format(v):gsub("\\\n", "\\n"))
	elseif type(v) == "number" and v == math.floor(v) and math.abs(v) < 2 ^ 63 then
		return ("%d"):format(v)
	end
	return tostring(v)
end

local function key_order(a, b)
	local ta, tb = type(a), type(b)
	if ta ~= tb then return ta == "number" or (ta == "string" and tb ~= "number") end
	if ta == "number" or ta == "string" then return a < b end
	return tostring(a) < tostring(b)
end

local function fmt(v, depth, seen, indent)
	if type(v) ~= "table" then return scalar(v) end
	local mt = getmetatable(v)
	if mt and mt.__tostring then return tostring(v) end	-- rules, and the like
	if seen[v] then return "{...} (cycle)" end
	if depth >= M.DEPTH then return next(v) == nil and "{}" or "{...}" end

	-- The list part first, then the other keys in order.
	seen[v] = true
	local parts, n = {}, #v
	for i = 1, n do parts[#parts + 1] = fmt(rawget(v, i), depth + 1, seen, indent .. "  ") end
	local keys = {}
	for k in pairs(v) do
		if not (type(k) == "number" and k >= 1 and k <= n and k % 1 == 0) then
			keys[#keys + 1] = k
		end
	end
	table.sort(keys, key_order)
	for _, k in ipairs(keys) do
		if #parts > M.ITEMS then break end
		local ks = is_name(k) and k or "[" .. fmt(k, M.DEPTH, seen, "") .. "]"
		parts[#parts + 1] = ks .. " = " .. fmt(rawget(v, k), depth + 1, seen, indent .. "  ")
	end
	seen[v] = nil

	local total = n + #keys
	if total > M.ITEMS then
		while #parts > M.ITEMS do parts[#parts] = nil end
		parts[#parts + 1] = ("... (%d more)"):format(total - M.ITEMS)
	end
	if #parts == 0 then return "{}" end
	local one = "{ " .. table.concat(parts, ", ") .. " }"
	if #one + #indent <= M.WIDTH and not one:find("\n", 1, true) then return one end
	local inner = indent .. "  "
	return "{\n" .. inner .. table.concat(parts, ",\n" .. inner) .. "\n" .. indent .. "}"
end

-- The text of a value as the prompt shows it: tables pretty, with a depth limit.
function M.show(v)
	return fmt(v, 0, {}, "")
end

-- What a statement returned, as lua.c prints it: strings as they are, tab-separated.
local function print_results(res)
	if res.n == 0 then return end
	local out = {}
	for i = 1, res.n do
		local v = res[i]
		out[i] = type(v) == "string" and v or M.show(v)
	end
	io.stdout:write(table.concat(out, "\t"), "\n")
end

-- Evaluation -------------------------------------------------------------------------------

-- Compiles what was typed so far: an expression first (so `1+1` prints 2), then a
-- statement. Returns the function; or nil and the error; or nil, nil when more is needed.
-- The expression is an argument rather than `return expr`, whose tail call would hide the
-- line from error() and from the location of a rule; the closing bracket goes on a line
-- of its own only when a comment would swallow it (the line of an error may then be off).
-- `line` is the input line src starts on (1 if not given): blank lines put in front make
-- Lua's own positions read that line. They cost a pass over their length, so they are
-- added only once the form that compiles (or the error) is known.
function M.compile(src, line)
	if src:sub(1, 1) == "=" then src = src:sub(2) end
	local wrap = "return (function(...) return ... end)("
	local text = wrap .. src .. ")"
	local f, err = loadstring(text, "=stdin")
	if not f then
		text = wrap .. src .. "\n)"
		f = loadstring(text, "=stdin")
	end
	if not f then
		text = src
		f, err = loadstring(text, "=stdin")
		if not f and err:sub(-7) == "'<eof>'" then return nil, nil end
	end
	if line and line > 1 then f, err = loadstring(("\n"):rep(line - 1) .. text, "=stdin") end
	if f then return f end
	return nil, err
end

local function pack(...) return { n = select("#", ...), ... } end

local interactive = false	-- at a terminal, where Ctrl-C interrupts only a statement
local errors = 0		-- reported in this session

local function report(msg, traceback)
	errors = errors + 1
	if type(msg) == "table" and type(rawget(msg, "traceback")) == "string" then
		traceback = msg.traceback	-- a failure of a timer or a callback
	end
	if type(msg) ~= "string" then
		local mt = getmetatable(msg)
		msg = mt and mt.__tostring and tostring(msg)
			or ("(error object is a %s value)"):format(type(msg))
	end
	io.stdout:flush()
	output.error(msg)
	output.traceback(traceback)
end

-- Runs a compiled statement and prints what it returned, or its error. Code typed here
-- runs in the interpreter: Ctrl-C's hook is never called from JIT-compiled loops.
local function execute(f)
	if jit then jit.off(f, true) end
	local traceback
	local res = pack(xpcall(f, function(e)
		traceback = debug.traceback(tostring(e), 2)
		return e
	end))
	if res[1] then
		print_results(pack(unpack(res, 2, res.n)))
	else
		if interactive and core.clear_interrupt() then io.stdout:write("\n") end
		report(res[2], traceback)
	end
	io.stdout:flush()
end

-- Dot commands -----------------------------------------------------------------------------

local function kchaos() return require "kchaos" end

local function find_rule(arg)
	local rules = kchaos().rules()
	if #rules == 0 then error("no rules yet", 0) end
	local id = tonumber(arg)
	for _, r in ipairs(rules) do
		if r.id == id or r.name == arg or r.label == arg then return r end
	end
	error(("no rule '%s' (.rules lists them)"):format(arg), 0)
end

local COMMANDS, ORDER = {}, {}
local function command(names, args, help, fn)
	for _, n in ipairs(names) do COMMANDS[n] = fn end
	ORDER[#ORDER + 1] = { names = names, args = args, help = help }
end

command({ "rules" }, "", "list the rules with their state and counts", function()
	local rules = kchaos().rules()
	if #rules == 0 then print("no rules yet") end
	for _, r in ipairs(rules) do print(tostring(r)) end
end)

command({ "disarm" }, "", "disarm every rule (r:arm() arms one again)", function()
	local n = 0
	for _, r in ipairs(kchaos().rules()) do
		if r.live.armed then r:disarm(); n = n + 1 end
	end
	print(("%d rule%s disarmed"):format(n, n == 1 and "" or "s"))
end)

command({ "c", "bpf" }, "[N]", "show the BPF C of rule N (a number or name), or of all rules",
	function(arg)
		if arg ~= "" then
			io.stdout:write(find_rule(arg):generated())
			return
		end
		local rules = kchaos().rules()
		if #rules == 0 then error("no rules yet", 0) end
		io.stdout:write(require("kchaos.codegen").generate(rules).text)
	end)

command({ "help" }, "", "this help", function()
	print("Lua statements run as typed; an expression prints its value (`=` in front works too).")
	print("A rule made here is compiled and armed at once: r = kchaos.slab{ ... }, then")
	print("r:set{ probability = 0.5 }, r:disarm(), r:arm(), r:stats(). Tab completes names,")
	print("and kernel functions inside strings (kchaos.func(\"...\"), func = \"...\").")
	print("Ctrl-C interrupts a statement; Ctrl-D or .exit disarms everything and leaves.")
	print("commands:")
	for _, c in ipairs(ORDER) do
		local names = {}
		for i, n in ipairs(c.names) do names[i] = "." .. n .. (c.args ~= "" and " " .. c.args or "") end
		print(("  %-18s %s"):format(table.concat(names, ", "), c.help))
	end
end)

command({ "exit", "quit" }, "", "disarm everything, print the summary and leave", function()
	return "exit"
end)

-- A line that starts with a dot and a letter is a command: no Lua statement starts so.
local function run_command(line)
	local name, arg = line:match("^%.(%a+)%s*(.-)%s*$")
	local fn = COMMANDS[name]
	if not fn then
		report(("unknown command '.%s' (.help lists them)"):format(name))
		return
	end
	local ok, res = pcall(fn, arg)
	io.stdout:flush()
	if not ok then report(res) end
	return ok and res or nil
end

-- Completion -------------------------------------------------------------------------------

local function common_prefix(a, b)
	local n = 0
	while n < #a and a:byte(n + 1) == b:byte(n + 1) do n = n + 1 end
	return a:sub(1, n)
end

-- The fields a value offers: its own keys and those of its metatable's __index tables.
-- Behind an __index function, the methods are taken to be in the metatable itself (as
-- with kchaos's rules, whose __index serves their callbacks and then the methods).
local function fields(v)
	local out, hops = {}, 0
	if type(v) == "string" then v = string end
	while v ~= nil and hops < 8 do
		if type(v) == "table" then
			for k, x in pairs(v) do
				if is_name(k) and out[k] == nil then out[k] = x end
			end
		end
		local mt = getmetatable(v)
		local index = type(mt) == "table" and rawget(mt, "__index")
		v = type(index) == "table" and index or type(index) == "function" and mt or nil
		hops = hops + 1
	end
	return out
end

local function field(v, k)
	local f = fields(v)
	return f[k]
end

-- Names that complete `word`: globals, keywords, fields after '.', methods after ':'.
local function lua_names(word)
	local path, sep, part = word:match("^(.-)([%.:])([%w_]*)$")
	local pool, prefix = {}, ""
	if path and path ~= "" then
		if not path:match("^[%a_][%w_]*$") and not path:match("^[%a_][%w_%.]*[%w_]$") then
			return {}
		end
		local v = _G
		for seg in path:gmatch("[^%.]+") do
			v = field(v, seg)
			if v == nil then return {} end
		end
		for k, x in pairs(fields(v)) do
			if sep == "." or type(x) == "function" then pool[#pool + 1] = k end
		end
		prefix = path .. sep
	elseif path then
		return {}
	else
		if not word:match("^[%a_]?[%w_]*$") then return {} end
		part = word
		for k in pairs(fields(_G)) do pool[#pool + 1] = k end
		for k in pairs(KEYWORDS) do pool[#pool + 1] = k end
	end
	local out = {}
	local hidden = part:sub(1, 1) ~= "_"
	for _, k in ipairs(pool) do
		if k:sub(1, #part) == part and not (hidden and k:sub(1, 1) == "_") then
			out[#out + 1] = prefix .. k
		end
	end
	return out
end

local kallsyms
-- Every function name in /proc/kallsyms, sorted and unique (read once).
local function functions()
	if kallsyms then return kallsyms end
	kallsyms = {}
	local f = io.open("/proc/kallsyms", "rb")
	if not f then return kallsyms end
	local s = f:read("*a") or ""
	f:close()
	local seen = {}
	for name in s:gmatch("%x+ [tT] ([%a_][%w_%.]*)") do
		if not seen[name] then seen[name] = true; kallsyms[#kallsyms + 1] = name end
	end
	table.sort(kallsyms)
	return kallsyms
end

-- Where a string was opened and not closed in `s`, if it was: the quote's position.
local function open_quote(s)
	local i, q, at = 1, nil, nil
	while i <= #s do
		local c = s:sub(i, i)
		if q then
			if c == "\\" then i = i + 1 elseif c == q then q = nil end
		elseif c == '"' or c == "'" then
			q, at = c, i
		elseif s:sub(i, i + 1) == "--" then
			return nil
		end
		i = i + 1
	end
	return q and at
end

-- Kernel function names that complete `word` in a string after `ctx`, or nil when the
-- string is not where a function name goes.
local function kernel_names(ctx, word)
	local list
	if ctx:match("func%s*%(%s*$") or ctx:match("%.func%s*$") or ctx:match("site%s*=%s*$") then
		list = {}
		local inj = require("kchaos.kernel").injection_list() or {}
		for name in pairs(inj) do list[#list + 1] = name end
		if ctx:match("site%s*=%s*$") then
			for _, s in ipairs { "slab", "page", "bio" } do list[#list + 1] = s end
		end
		table.sort(list)
	elseif ctx:match("func%s*=%s*$") or ctx:match("funcname%s*=%s*$") then
		list = functions()
	else
		return nil
	end

	-- The list is sorted: the matches are one run, found by bisection.
	local lo, hi = 1, #list + 1
	while lo < hi do
		local mid = math.floor((lo + hi) / 2)
		if list[mid] < word then lo = mid + 1 else hi = mid end
	end
	local out = {}
	local i = lo
	while list[i] and list[i]:sub(1, #word) == word do
		out[#out + 1] = list[i]
		i = i + 1
	end
	return out
end

-- completer(line, start, stop): the candidates for the word line:sub(start + 1, stop),
-- each replacing the whole word, and the prefix they share. Called by libedit on Tab.
function M.complete(line, start, stop)
	local word = line:sub(start + 1, stop)
	local before = line:sub(1, start)
	local q = open_quote(before)
	local cands
	if q then
		cands = kernel_names(before:sub(1, q - 1), word) or {}
	elseif before:match("^%s*$") and word:match("^%.%a*$") then
		cands = {}
		for n in pairs(COMMANDS) do
			if ("." .. n):sub(1, #word) == word then cands[#cands + 1] = "." .. n end
		end
	else
		cands = lua_names(word)
	end
	table.sort(cands)
	if #cands == 0 then return {}, word end

	-- The shared prefix of a sorted list is that of its first and last entries.
	local prefix = common_prefix(cands[1], cands[#cands])
	if #cands > M.CANDIDATES then
		local more = #cands - M.CANDIDATES
		for i = #cands, M.CANDIDATES + 1, -1 do cands[i] = nil end
		cands[#cands + 1] = ("...and %d more"):format(more)
	end
	return cands, prefix
end

-- Input ------------------------------------------------------------------------------------

local function history_path()
	local home = os.getenv("HOME")
	if not home or home == "" then return nil end
	return home .. "/" .. M.HISTORY
end

-- The terminal: libedit edits the line while the event loop runs.
local function terminal()
	local t = { up = false, shown = false }
	local hist = history_path()
	core.rl_init(M.complete)
	if hist then
		-- A history that cannot be loaded is not saved over: it may be someone else's.
		local ok, err = core.rl_history_load(hist, M.HISTORY_MAX)
		if not ok then
			output.warn(err .. "; it is left as it is, and this session's history will not be saved")
			hist = nil
		end
	end

	function t.prompt(p)
		if not t.up then
			io.stdout:flush()
			core.rl_install(p)
			t.up, t.shown = true, true
		end
	end
	function t.hide()
		io.stdout:flush()
		if t.up and t.shown then core.rl_hide(); t.shown = false end
	end
	function t.show()
		if t.up and not t.shown then core.rl_show(); t.shown = true end
	end
	function t.read()
		local line = core.rl_read_char()
		if line ~= nil then t.up = false end
		if line == false then io.stdout:write("\n") end
		return line
	end
	function t.cancel()
		core.rl_remove()
		io.stdout:write("\n")
		t.up = false
	end
	function t.remember(line)
		if line:match("%S") then
			core.rl_history_add(line)
			if hist then core.rl_history_save(hist) end
		end
	end
	function t.close()
		core.rl_remove()
		t.up = false
		if hist then core.rl_history_save(hist) end
	end
	return t
end

-- A pipe or a file: lines as they come, no prompts, no editing.
local function plain()
	local p = { buf = "", eof = false }
	function p.prompt() end
	function p.hide() io.stdout:flush() end
	function p.show() end
	function p.cancel() end
	function p.remember() end
	function p.close() end
	-- The next complete line, false at the end of input, nil when more must be read.
	function p.pending()
		local nl = p.buf:find("\n", 1, true)
		if nl then
			local line = p.buf:sub(1, nl - 1)
			p.buf = p.buf:sub(nl + 1)
			return (line:gsub("\r$", ""))
		end
		if p.eof then
			if p.buf == "" then return false end
			local line = p.buf
			p.buf = ""
			return line
		end
		return nil
	end
	function p.read()
		local s, err = core.stdin_read()
		if not s then output.warn(err) end
		if not s or s == "" then p.eof = true else p.buf = p.buf .. s end
		return p.pending()
	end
	return p
end

-- The session ------------------------------------------------------------------------------

-- Runs the prompt until Ctrl-D, .exit, kchaos.stop(), the timeout or a signal; then
-- disarms every rule and returns the exit status. opts: workload, timeout_ns.
function M.run(opts)
	opts = opts or {}
	local kc = kchaos()
	local S = kc._state
	if not S.started then kc._start() end
	local tty = core.isatty(0) and core.isatty(1)
	interactive = tty
	errors = 0
	local input = tty and terminal() or plain()
	local deadline = opts.timeout_ns and core.now() + opts.timeout_ns
	local buffer		-- the statement so far, while it goes on over several lines
	local lines = 0		-- input lines read (counted without a terminal)
	local first = 1		-- the input line the statement starts on
	local code
	local workload_seen = false

	if tty then
		print(("kchaos-lua %s (%s): Lua with the kchaos API; .help for commands, Ctrl-D to leave")
			:format(core.version, jit and jit.version or _VERSION))
	end

	-- One line: a command, or part of a statement. Without a terminal, a statement's
	-- lines are numbered as in the input; at the prompt, from 1 in each statement.
	local function handle(line)
		input.remember(line)
		if not tty then lines = lines + 1 end
		if not buffer then first = tty and 1 or lines end
		if not buffer and line:match("^%s*%.%a") then
			if run_command(line:match("^%s*(.*)$")) == "exit" then code = 0 end
			return
		end
		local src = buffer and buffer .. "\n" .. line or line
		local f, err = M.compile(src, first)
		if not f and not err then
			buffer = src
			return
		end
		buffer = nil
		if f then execute(f) else report(err) end
		if tty then core.clear_interrupt() end
	end

	-- One turn: lets events and timers through (waiting for input when none is buffered),
	-- then takes the next line.
	local function turn()
		local line = input.pending and input.pending()
		if line == nil then input.prompt(buffer and M.PROMPT2 or M.PROMPT) end
		local wait = line == nil and 200 or 0
		if deadline then
			wait = math.min(wait, math.max(0, math.ceil((deadline - core.now()) / 1e6)))
		end
		local sig, ready = kc._turn(wait, input.hide)
		input.show()
		if sig and tty and core.clear_interrupt() then
			input.cancel()
			buffer = nil
			return
		elseif sig then
			input.cancel()
			code = 128 + (core.signal() or 0)
			return
		end
		local ex = opts.workload and S.exited[opts.workload]
		if ex and not workload_seen then
			workload_seen = true
			output.info(("workload exited with status %d"):format(ex.code or 0))
		end
		if S.stopped then code = S.stopped; input.cancel() return end
		if deadline and core.now() >= deadline then
			input.cancel()
			output.info("timeout reached")
			code = 0
			return
		end
		if line == nil then
			if not ready then return end
			line = input.read()
		end
		if line == false then
			-- The input ended in the middle of a statement: say so, as lua does.
			if buffer then
				report(select(2, loadstring(("\n"):rep(first - 1) .. buffer, "=stdin")))
				code = tty and 0 or 1
				return
			end
			code = 0
			return
		end
		if line then handle(line) end
		if S.stopped and not code then code = S.stopped end
	end

	while not code do
		local ok, err = pcall(turn)
		if not ok then
			-- A Ctrl-C between statements, or an error from a timer or a callback.
			if tty and core.clear_interrupt() then
				input.cancel()
				buffer = nil
			else
				report(err)
				input.show()
			end
		end
	end

	-- Without a terminal, errors make a status of 0 one of 1, so that a script driving
	-- the prompt sees them; one that kchaos.stop(code) or a signal gave stays.
	if not tty and code == 0 and errors > 0 then code = 1 end

	-- Leaving: nothing stays armed.
	input.close()
	for _, r in ipairs(kc.rules()) do
		if r.live.armed then pcall(r.disarm, r) end
	end
	return code
end

return M
