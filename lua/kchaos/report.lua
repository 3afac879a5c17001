-- SPDX-License-Identifier: GPL-2.0-only
-- kchaos.report: what the scenarios of a run did, phase by phase (status, time, calls
-- matched, injections, workloads and how they ended): a table on stderr before
-- output.summary's table of rules, or fields of the one JSON document with -f json; and
-- a progress line on a terminal while a long phase runs.
local output = require "kchaos.output"

local M = {}

M.PROGRESS_AFTER = 2e9		-- a phase shows progress once it has run this long

local function seconds(s)
	if not s then return "-" end
	if s >= 60 then return ("%.1fm"):format(s / 60) end
	return ("%.2fs"):format(s)
end

-- The records of every scenario and workload of the run.
function M.data(K)
	local S = K._state
	local scenarios, workloads = {}, {}
	for _, sc in ipairs(S.scenarios) do scenarios[#scenarios + 1] = sc:record() end
	for _, p in ipairs(S.proc_list) do workloads[#workloads + 1] = p:record() end
	return scenarios, workloads
end

local function workloads_text(ws)
	local parts = {}
	for _, w in ipairs(ws) do
		local name = #w.name > 40 and (w.name:sub(1, 37) .. "...") or w.name
		parts[#parts + 1] = ("%s: %s"):format(name, w.status)
	end
	return table.concat(parts, "; ")
end

-- One scenario as a table on stderr.
local function write_scenario(sc)
	local rows = { { "phase", "status", "time", "matched", "injected", "workloads" } }
	for _, p in ipairs(sc.phases) do
		rows[#rows + 1] = { p.name, p.status, seconds(p.duration), tostring(p.matched),
			tostring(p.injected), workloads_text(p.workloads or {}) }
		if p.rules and #p.rules > 1 then
			for _, c in ipairs(p.rules) do
				rows[#rows + 1] = { "  rule " .. c.rule, "", "", tostring(c.matched),
					tostring(c.injected), "" }
			end
		end
	end
	local w = {}
	for _, row in ipairs(rows) do
		for i, cell in ipairs(row) do w[i] = math.max(w[i] or 0, #cell) end
	end
	output.log("", ("scenario %s: %s in %s"):format(sc.name, sc.status, seconds(sc.duration)))
	for _, row in ipairs(rows) do
		local line = ("%-" .. w[1] .. "s  %-" .. w[2] .. "s  %" .. w[3] .. "s  %" .. w[4]
			.. "s  %" .. w[5] .. "s  %s"):format(unpack(row))
		io.stderr:write((line:gsub("%s+$", "")), "\n")
	end
end

-- At the end of the run: the scenario tables on stderr, or (with -f json) the records
-- as fields `scenarios` and `workloads` of `doc`, the document output.summary writes.
function M.finish(K, doc)
	local scenarios, workloads = M.data(K)
	if #scenarios == 0 and #workloads == 0 then return end
	if output.format == "json" then
		if #scenarios > 0 then doc.scenarios = scenarios end
		if #workloads > 0 then doc.workloads = workloads end
		return
	end
	if output.quiet then return end
	for _, sc in ipairs(scenarios) do
		if sc.status ~= "pending" then write_scenario(sc) end
	end
end

-- Shows a phase's progress on a terminal once a second after PROGRESS_AFTER: name,
-- elapsed time and injections so far. Returns the function that stops it.
function M.progress(K, p)
	local core = require "kchaos.core"
	if output.quiet or output.format == "json" or not core.isatty(2) then
		return function() end
	end
	local total = p.duration and (" of " .. seconds(p.duration / 1e9)) or ""
	local h = K._loop.timer(1e9, function()
		if core.now() - p.started_at < M.PROGRESS_AFTER then return end
		output.status(("phase %s (%d/%d): %s%s, %d injected"):format(p.name, p.index,
			#p.sc.phases, seconds(p:elapsed()), total, p:injected()))
	end, true, true)
	return function()
		h.cancel()
		output.status(nil)
	end
end

return M
