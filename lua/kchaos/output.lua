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

function M.encode(v)
	return encoder().encode(v)
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
function M.log(tag, msg)
	if M.status_shown then M.status(nil) end
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
		local t = {}
		for k, v in pairs(ev) do t[k] = v end
		M.out:write(encoder().encode(t), "\n")
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
		M.out:write(encoder().encode(ev), "\n")
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
		M.out:write(encoder().encode(doc), "\n")
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
