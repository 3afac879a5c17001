-- SPDX-License-Identifier: GPL-2.0-only
-- kchaos.output: what the user sees: one notice per injection on stderr, JSON lines
-- with -f json, the program's own messages by level (KCHAOS_LOG, -v), and the summary
-- table at exit.
local util = require "kchaos.util"

-- The levels of the program's own messages, numbered as KCHAOS_LOG and kc_log.h number
-- them; `level` is the highest shown (the host sets it from KCHAOS_LOG and -v).
local M = { format = "text", quiet = false, out = io.stdout,
	ERROR = 0, WARN = 1, HINT = 2, INFO = 3, DEBUG = 4 }
M.level = M.HINT

local json
local function encoder()
	if not json then
		local ok, cjson = pcall(require, "cjson")
		if not ok then
			error("JSON output needs lua-cjson; fix: apt-get install lua-cjson", 0)
		end
		json = cjson.new()
		json.encode_sparse_array(true)
	end
	return json
end

function M.configure(opts)
	M.format = opts.format or "text"
	M.quiet = opts.quiet or false
	M.level = opts.log_level or M.level
	if M.format == "json" then encoder() end
	if opts.output then
		-- Under --vm the host's file is out of reach: the guest writes the results
		-- share, and the runner copies it to the file named on the host.
		local path = opts.output
		local share = os.getenv("KCHAOS_VM_RESULTS")
		if os.getenv("KCHAOS_VM_OUTPUT") and share then path = share .. "/output" end
		local f, err = io.open(path, "w")
		if not f then error(("cannot write %s"):format(err), 0) end
		f:setvbuf("line")
		M.out = f
	end
end

-- Whether s is UTF-8 (lead and continuation bytes; overlong forms are not looked for).
local function utf8_valid(s)
	local i, n = 1, #s
	while i <= n do
		local c = s:byte(i)
		local len = c < 0x80 and 1 or (c >= 0xc2 and c <= 0xdf) and 2
			or (c >= 0xe0 and c <= 0xef) and 3 or (c >= 0xf0 and c <= 0xf4) and 4
		if not len then return false end
		for k = i + 1, i + len - 1 do
			local b = s:byte(k)
			if not b or b < 0x80 or b > 0xbf then return false end
		end
		i = i + len
	end
	return true
end

-- A copy of v that cjson writes as valid, exact JSON. cjson writes strings byte for byte
-- and numbers with 14 significant digits: a string that is not UTF-8 has its bytes from
-- 0x80 written as \xNN, and an integer of 15 digits or more (an event's time in
-- nanoseconds, after a day of uptime) becomes a marker that M.encode replaces by its
-- digits. `big` collects those.
local MARK = "\1kcnum"
local function prepare(v, big)
	local t = type(v)
	if t == "number" and v % 1 == 0 and math.abs(v) >= 1e14 and math.abs(v) < 2 ^ 63 then
		big[#big + 1] = ("%.0f"):format(v)
		return MARK .. #big .. "\1"
	elseif t == "string" then
		if v:find("[\128-\255]") and not utf8_valid(v) then
			v = v:gsub("[\128-\255]", function(c) return ("\\x%02x"):format(c:byte()) end)
		end
		if v:find(MARK, 1, true) then v = v:gsub("\1", "\\x01") end
		return v
	elseif t == "table" then
		local out = {}
		for k, x in pairs(v) do out[k] = prepare(x, big) end
		return out
	end
	return v
end

function M.encode(v)
	local big = {}
	local text = encoder().encode(prepare(v, big))
	if #big > 0 then
		text = text:gsub('"\\u0001kcnum(%d+)\\u0001"', function(i) return big[tonumber(i)] end)
	end
	return text
end

-- A status line on a terminal (a phase's progress), redrawn in place; nil clears it.
-- Messages and print() clear it first, so it never mixes with them.
local plain_print
function M.status(text)
	if M.status_shown then io.stderr:write("\r\27[K") end
	M.status_shown = text ~= nil
	if not text then return end
	io.stderr:write("kchaos-lua: ", text)
	io.stderr:flush()
	if not plain_print then
		plain_print = print
		_G.print = function(...)
			if M.status_shown then M.status(nil) end
			return plain_print(...)
		end
	end
end

-- A line on stderr with the program's prefix and `tag` ("warning: "), whatever the level.
-- Bytes outside printable ASCII, but tabs and line ends, are written as \xNN (as kc_log
-- does): a message may carry what a script wrote, and none may drive the terminal.
function M.log(tag, msg)
	if M.status_shown then M.status(nil) end
	msg = tostring(msg):gsub("[^\t\n\32-\126]", function(c)
		return ("\\x%02x"):format(c:byte())
	end)
	io.stderr:write("kchaos-lua: ", tag, msg, "\n")
end

local function at_level(level, tag, msg)
	if M.level >= level then M.log(tag, msg) end
end

function M.error(msg) M.log("error: ", msg) end
function M.warn(msg) at_level(M.WARN, "warning: ", msg) end
function M.hint(msg) at_level(M.HINT, "hint: ", msg) end
function M.info(msg) at_level(M.INFO, "", msg) end

-- The traceback of an error, from the information level up.
function M.traceback(tb)
	if tb and M.level >= M.INFO then io.stderr:write(tb, "\n") end
end

local function retval_text(v)
	local name = v < 0 and util.errname(v)
	return name and ("%s (%d)"):format(name, v) or tostring(v)
end

function M.event(ev, r)
	if M.format == "json" then
		M.out:write(M.encode(ev), "\n")
		M.out:flush()
	elseif M.out ~= io.stdout then
		M.out:write(("%.6f rule %s %s %s[%d/%d] retval %s count %d\n"):format(ev.time / 1e9,
			tostring(ev.rule), ev.func, ev.comm, ev.pid, ev.tid, retval_text(ev.retval), ev.count))
		M.out:flush()
	end
	if not M.quiet and M.format ~= "json" then
		M.log("", ("rule %s: %s returned %s to %s[%d] (injection %d)"):format(r.label,
			ev.func, retval_text(ev.retval), ev.comm, ev.pid, ev.count))
		if ev.stack then
			for _, fr in ipairs(ev.stack) do io.stderr:write("    ", fr, "\n") end
		end
	end
end

-- Events lost: one warning per turn and rule (even with -q), or a JSON line with -f json.
-- ev: { time, rule, lost (new losses), total }.
function M.lost(ev, r)
	if M.format == "json" then
		M.out:write(M.encode(ev), "\n")
		M.out:flush()
		return
	end
	if M.out ~= io.stdout then
		M.out:write(("%.6f rule %s lost %d events (%d in all)\n"):format(ev.time / 1e9,
			tostring(ev.rule), ev.lost, ev.total))
		M.out:flush()
	end
	M.warn(("rule %s: %d event%s lost (%d in all): the ring buffer was full; the "
		.. "injections happened and are counted"):format(r.label, ev.lost,
		ev.lost == 1 and "" or "s", ev.total))
end

-- The summary at exit: one row per rule.
function M.summary(rules, extra)
	local rows = {}
	for _, r in ipairs(rules) do
		local st = r:stats()
		rows[#rows + 1] = {
			rule = r.name or r.id, site = r.site.kind == "func" and r.site.func or r.site.kind,
			chain = require("kchaos.rule").chain_text(r), matched = st.matched,
			injected = st.injected, lost = st.lost, events = r.events or 0,
			where = r.where, label = r.label or tostring(r.name or r.id),
		}
	end
	if M.format == "json" then
		local doc = { summary = rows }
		for k, v in pairs(extra or {}) do doc[k] = v end
		M.out:write(M.encode(doc), "\n")
		M.out:flush()
		return rows
	end
	if M.quiet or #rows == 0 then return rows end
	local w = { 4, 4, 5, 7, 8 }
	for _, row in ipairs(rows) do
		w[1] = math.max(w[1], #row.label)
		w[2] = math.max(w[2], #row.site)
		w[3] = math.max(w[3], #row.chain)
	end
	local fmt = ("%%-%ds  %%-%ds  %%-%ds  %%%ds  %%%ds\n"):format(w[1], w[2], w[3], w[4], w[5])
	io.stderr:write(fmt:format("rule", "site", "chain", "matched", "injected"))
	for _, row in ipairs(rows) do
		io.stderr:write(fmt:format(row.label, row.site, row.chain, row.matched,
			row.injected))
		if row.lost > 0 then
			io.stderr:write(("  (%d events lost: the ring buffer was full)\n"):format(row.lost))
		end
	end
	return rows
end

return M
