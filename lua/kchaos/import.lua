-- SPDX-License-Identifier: GPL-2.0-only
-- kchaos.import: Chaos Mesh KernelChaos manifests and BCC inject.py command lines, turned
-- into the rule tables the Lua API takes, each with the place (file:line, or the column of
-- the command line) it came from. Pure Lua apart from the YAML parser (core.yaml_load).
local rule = require "kchaos.rule"
local util = require "kchaos.util"

local M = {}

local function fail(where, fmt, ...)
	error((where and (where .. ": ") or "") .. fmt:format(...), 0)
end

-- The YAML binding: in the host it is part of kchaos.core; busted loads it as a module.
local function yaml()
	local ok, core = pcall(require, "kchaos.core")
	if ok and type(core) == "table" and core.yaml_load then return core end
	return require "kchaos.yaml"
end

-- A value as a message shows it.
local function show(v, null)
	if v == nil or (null ~= nil and v == null) then return "null" end
	if type(v) == "string" then return ("%q"):format(#v > 60 and v:sub(1, 57) .. "..." or v) end
	if type(v) == "number" then
		if v ~= v then return "NaN" end
		if v % 1 == 0 and math.abs(v) < 2 ^ 53 then return ("%d"):format(v) end
		-- The shortest form that reads back as v: 0.3, not 0.29999999999999999.
		for digits = 15, 17 do
			local s = ("%." .. digits .. "g"):format(v)
			if tonumber(s) == v then return s end
		end
	end
	if type(v) == "table" then
		return (next(v) == nil or type(next(v)) == "string") and "a mapping" or "a list"
	end
	return tostring(v)
end

local function is_map(t)
	return type(t) == "table" and (next(t) == nil or type(next(t)) == "string")
end

local function is_list(t)
	return type(t) == "table" and (next(t) == nil or type(next(t)) == "number")
end

local SCOPE_FIELDS = { "pid", "tree", "comm", "cgroup" }

-- Copies the scope fields of `scope` into `spec`; true when there was one.
local function add_scope(spec, scope)
	local any = false
	for _, k in ipairs(SCOPE_FIELDS) do
		if scope and scope[k] ~= nil then
			spec[k] = scope[k]
			any = true
		end
	end
	return any
end

local CLI_HINT = "give -p PID, -c CMD or --cgroup PATH to scope it, or --system to apply it "
	.. "to every process"

-- Refuses an import that would apply to every process without saying so.
local function check_scoped(where, why, opts, own)
	if own or opts.scoped or opts.system then return end
	fail(where, "%s; %s", why, opts.hint or CLI_HINT)
end

-- Go's time.ParseDuration, as KernelChaos's duration: "300ms", "10s", "1h30m", "1.5h".
local GO_UNITS = { ns = 1, us = 1e3, ["\194\181s"] = 1e3, ["\206\188s"] = 1e3, ms = 1e6,
	s = 1e9, m = 60e9, h = 3600e9 }

function M.go_duration(s)
	if type(s) ~= "string" or s == "" then return nil end
	if s == "0" then return 0 end
	local total, rest = 0, s
	while rest ~= "" do
		local num, unit, tail = rest:match("^(%d*%.?%d*)([^%d%.]+)(.*)$")
		if not num or not num:match("%d") or not GO_UNITS[unit] then return nil end
		total = total + tonumber(num) * GO_UNITS[unit]
		rest = tail
	end
	return math.floor(total + 0.5)
end

-- Nanoseconds in the duration syntax of rules, exactly: "90s", "250ms", "7ns".
local function duration_text(ns)
	for _, u in ipairs { { "h", 3600e9 }, { "m", 60e9 }, { "s", 1e9 }, { "ms", 1e6 },
		{ "us", 1e3 } } do
		if ns % u[2] == 0 then return ("%d%s"):format(ns / u[2], u[1]) end
	end
	return ("%dns"):format(ns)
end

----------------------------------------------------------------------------------------
-- KernelChaos manifests

local SPEC_FIELDS = { "selector", "mode", "value", "failKernRequest", "duration",
	"scheduler", "remoteCluster", "containerNames" }
local REQUEST_FIELDS = { "failtype", "headers", "callchain", "probability", "times" }
local FRAME_FIELDS = { "funcname", "parameters", "predicate" }

local function known(k, list)
	for _, f in ipairs(list) do if f == k then return true end end
	return false
end

local function unknown_field(where, path, k, list)
	local s = type(k) == "string" and util.suggest(k, list)
	fail(where, "%s has unknown field '%s'%s", path, tostring(k),
		s and (" (did you mean '" .. s .. "'?)") or (" (it takes " .. table.concat(list, ", ")
		.. ")"))
end

-- A reader of one parsed stream: values without nulls, and where each one is.
local function reader(src, marks, null)
	local R = {}
	function R.get(t, k)
		local v = t[k]
		if v == null then return nil end
		return v
	end
	-- "file:line" of key k of t, or of t itself.
	function R.at(t, k)
		local m = marks[t]
		local line = m and (k ~= nil and m.lines[k] or m.line)
		return line and ("%s:%d"):format(src, line) or src
	end
	return R
end

-- A whole number field of the manifest from min to max, or nil when absent.
local function whole(R, t, k, path, min, max, desc)
	local v = R.get(t, k)
	if v == nil then return nil end
	if type(v) ~= "number" or v ~= v or v % 1 ~= 0 or v < min or v > max then
		fail(R.at(t, k), "%s must be %s, not %s", path, desc, show(v))
	end
	return v
end

local function string_field(R, t, k, path)
	local v = R.get(t, k)
	if v ~= nil and type(v) ~= "string" then
		fail(R.at(t, k), "%s must be a string, not %s", path, show(v))
	end
	return v
end

local function read_frames(R, req, path)
	local chain = R.get(req, "callchain")
	if chain == nil then return nil, nil end
	if not is_list(chain) then
		fail(R.at(req, "callchain"), "%s.callchain must be a list of frames "
			.. "({funcname, parameters, predicate}), not %s", path, show(chain))
	end
	local frames, wheres = {}, {}
	for i, fr in ipairs(chain) do
		local fpath = ("%s.callchain[%d]"):format(path, i - 1)
		local where = R.at(chain, i)
		if not is_map(fr) then fail(where, "%s must be a mapping, not %s", fpath, show(fr)) end
		for k in pairs(fr) do
			if not known(k, FRAME_FIELDS) then unknown_field(where, fpath, k, FRAME_FIELDS) end
		end
		local f = {}
		-- An empty string is Go's zero value: the same as leaving the field out.
		for _, k in ipairs(FRAME_FIELDS) do
			local v = string_field(R, fr, k, fpath .. "." .. k)
			if v ~= nil and v ~= "" then
				f[({ funcname = "func", parameters = "params", predicate = "predicate" })[k]] = v
			end
		end
		frames[i], wheres[i] = f, where
	end
	return frames, wheres
end

-- One KernelChaos spec (from a KernelChaos, or wrapped in a Schedule or Workflow) as an
-- import entry: { spec =, where =, fields =, what =, warnings = }.
local function from_spec(R, spec, name, what, where, opts, extra)
	if not is_map(spec) then fail(where, "%s: spec must be a mapping, not %s", what, show(spec)) end
	for k in pairs(spec) do
		if not known(k, SPEC_FIELDS) then unknown_field(R.at(spec, k), "spec", k, SPEC_FIELDS) end
	end
	local req = R.get(spec, "failKernRequest")
	if req == nil then
		fail(where, "%s has no spec.failKernRequest, the fault to inject", what)
	end
	local path = "spec.failKernRequest"
	if not is_map(req) then
		fail(R.at(spec, "failKernRequest"), "%s must be a mapping, not %s", path, show(req))
	end
	for k in pairs(req) do
		if not known(k, REQUEST_FIELDS) then
			unknown_field(R.at(req, k), path, k, REQUEST_FIELDS)
		end
	end
	local e = { what = what, where = R.at(spec, "failKernRequest"), warnings = {}, fields = {} }
	local s = { name = name }
	e.spec = s

	-- failtype: Kubernetes stores an absent int32 as 0, so absent is slab.
	local ft = R.get(req, "failtype")
	if ft ~= nil and (type(ft) ~= "number" or not rule.FAILTYPES[ft]) then
		fail(R.at(req, "failtype"), "%s.failtype must be 0 (slab), 1 (page) or 2 (bio), not %s",
			path, show(ft))
	end
	s.failtype = ft or 0
	e.fields.failtype = R.at(req, "failtype")

	local hs = R.get(req, "headers")
	if hs ~= nil then
		if not is_list(hs) then
			fail(R.at(req, "headers"), "%s.headers must be a list of header names like "
				.. "linux/fs.h, not %s", path, show(hs))
		end
		for i, h in ipairs(hs) do
			if type(h) ~= "string" then
				fail(R.at(hs, i), "%s.headers[%d] must be a string, not %s", path, i - 1, show(h))
			end
		end
		if #hs > 0 then s.headers = hs end
		e.fields.headers = R.at(req, "headers")
	end

	local frames, wheres = read_frames(R, req, path)
	if frames and #frames > 0 then s.callchain = frames end
	e.fields.frames = wheres or {}

	-- probability: percent. 0 and absent are one value in Kubernetes (omitempty), and
	-- Chaos Mesh's backend then skips its probability test: every matching call fails.
	local p = whole(R, req, "probability", path .. ".probability", 0, 100,
		"a whole number of percent from 0 to 100 (1 means 1%)")
	if p and p > 0 and p < 100 then s.probability = ("%d%%"):format(p) end
	if p == 0 then
		e.warnings[#e.warnings + 1] = ("%s: %s.probability 0 means that every matching call "
			.. "fails, as in Chaos Mesh, where 0 and an absent probability are the same; write "
			.. "1 for 1%%"):format(R.at(req, "probability"), path)
	end
	e.fields.probability = R.at(req, "probability")

	-- times: 0 and absent mean no limit, as in Chaos Mesh.
	local n = whole(R, req, "times", path .. ".times", 0, 2 ^ 32 - 1,
		"a whole number from 0 (no limit) to 4294967295")
	if n and n > 0 then s.times = n end
	e.fields.times = R.at(req, "times")

	local d = R.get(spec, "duration") or (extra and extra.deadline)
	if d ~= nil then
		local dwhere = R.get(spec, "duration") and R.at(spec, "duration") or extra.deadline_at
		local ns = M.go_duration(d)
		if not ns then
			fail(dwhere, "%s %s is not a duration like \"30s\", \"5m\" or \"1h30m\"",
				R.get(spec, "duration") and "spec.duration" or "deadline", show(d))
		end
		s.duration = duration_text(ns)
		e.fields.duration = dwhere
	end

	local sched = R.get(spec, "scheduler")
	if sched ~= nil then
		e.warnings[#e.warnings + 1] = ("%s: %s: its spec.scheduler is not followed: the "
			.. "experiment runs once, now"):format(R.at(spec, "scheduler"), what)
	end

	-- The selector names pods; here, the scope comes from the command line or options.
	local own = add_scope(s, opts.scope)
	check_scoped(e.where, ("%s selects pods (spec.selector), which cannot be resolved without "
		.. "a cluster"):format(what), opts, own)
	return e
end

local function name_of(R, doc, i)
	local md = R.get(doc, "metadata")
	local name = is_map(md) and R.get(md, "name") or nil
	if name ~= nil and type(name) ~= "string" then
		fail(R.at(md, "name"), "document %d: metadata.name must be a string, not %s", i,
			show(name))
	end
	return name
end

local function label(kind, name, i)
	return name and ("%s '%s'"):format(kind, name) or ("%s (document %d)"):format(kind, i)
end

-- The KernelChaos spec a Schedule or Workflow embeds, under either spelling.
local function embedded(R, t)
	local v = R.get(t, "kernelChaos")
	if v == nil then v = R.get(t, "kernel_chaos") end
	return v, R.at(t, R.get(t, "kernelChaos") ~= nil and "kernelChaos" or "kernel_chaos")
end

local function from_schedule(R, doc, name, i, opts)
	local what = label("Schedule", name, i)
	local spec = R.get(doc, "spec")
	if not is_map(spec) then fail(R.at(doc), "%s has no spec mapping", what) end
	local typ = R.get(spec, "type")
	if typ ~= "KernelChaos" then
		fail(R.at(spec, "type"), "%s schedules %s, not a KernelChaos; kchaos-lua runs "
			.. "KernelChaos experiments only", what, typ == nil and "nothing (no spec.type)"
			or ("a " .. tostring(typ)))
	end
	local ks, at = embedded(R, spec)
	if ks == nil then fail(R.at(spec), "%s has no spec.kernelChaos", what) end
	local e = from_spec(R, ks, name, what, at, opts)
	local cron = R.get(spec, "schedule")
	table.insert(e.warnings, 1, ("%s: %s: the KernelChaos it wraps runs once, now; its "
		.. "schedule %s is not followed"):format(R.at(spec, "schedule"), what, show(cron)))
	return e
end

local function from_workflow(R, doc, name, i, opts)
	local what = label("Workflow", name, i)
	local spec = R.get(doc, "spec")
	local ts = is_map(spec) and R.get(spec, "templates") or nil
	if not is_list(ts) then fail(R.at(doc), "%s has no spec.templates list", what) end
	local found = {}
	for _, t in ipairs(ts) do
		local typ = is_map(t) and R.get(t, "templateType") or nil
		if typ == "KernelChaos" then
			found[#found + 1] = t
		elseif type(typ) == "string" and typ:match("Chaos$") then
			fail(R.at(t), "%s: template '%s' is a %s; kchaos-lua runs KernelChaos only, so it "
				.. "cannot run this workflow", what, tostring(R.get(t, "name")), typ)
		end
	end
	if #found ~= 1 then
		fail(R.at(doc), "%s has %d KernelChaos templates; kchaos-lua takes a workflow with "
			.. "exactly one (put each experiment in a KernelChaos document of its own: the "
			.. "documents of one file run together)", what, #found)
	end
	local t = found[1]
	local tname = R.get(t, "name")
	local ks, at = embedded(R, t)
	if ks == nil then fail(R.at(t), "%s: its KernelChaos template has no kernelChaos", what) end
	what = ("%s, template '%s'"):format(what, tostring(tname))
	local e = from_spec(R, ks, type(tname) == "string" and tname or name, what, at, opts,
		{ deadline = R.get(t, "deadline"), deadline_at = R.at(t, "deadline") })
	table.insert(e.warnings, 1, ("%s: %s: the rest of the workflow (its order, its other "
		.. "steps) is not followed"):format(R.at(doc), what))
	return e
end

-- Parses a manifest: text, and options { name = "file.yaml" (for locations), scope =
-- { pid =, tree =, comm =, cgroup = }, scoped = true when a default scope will apply,
-- system = true to allow no scope, hint = how to scope }. Returns a list of entries
-- { spec = rule table, where = "file:line", what =, fields = { field = "file:line" },
-- warnings = { messages } }; raises an error naming the file, line and field.
function M.kernelchaos(text, opts)
	opts = opts or {}
	local src = opts.name or "(manifest)"
	if type(text) ~= "string" then fail(src, "a manifest must be YAML text, not %s", show(text)) end
	local Y = yaml()
	local docs, marks, line, col = Y.yaml_load(text)
	if not docs then
		if line == 0 then fail(src, "%s", marks) end
		fail(("%s:%d:%d"):format(src, line, col), "malformed YAML: %s", marks)
	end
	local R = reader(src, marks, Y.yaml_null)
	local out = {}
	for i, doc in ipairs(docs) do
		if doc ~= Y.yaml_null then
			if not is_map(doc) or next(doc) == nil then
				fail(type(doc) == "table" and R.at(doc) or src, "document %d is not a Kubernetes "
					.. "object (a mapping with kind and spec), but %s", i, show(doc, Y.yaml_null))
			end
			local kind = R.get(doc, "kind")
			local name = name_of(R, doc, i)
			if kind == "KernelChaos" then
				local what = label(kind, name, i)
				out[#out + 1] = from_spec(R, R.get(doc, "spec"), name, what, R.at(doc, "spec"),
					opts)
			elseif kind == "Schedule" then
				out[#out + 1] = from_schedule(R, doc, name, i, opts)
			elseif kind == "Workflow" then
				out[#out + 1] = from_workflow(R, doc, name, i, opts)
			elseif kind == nil then
				fail(R.at(doc), "document %d has no kind; kchaos-lua runs KernelChaos "
					.. "manifests", i)
			else
				fail(R.at(doc, "kind"), "%s is not a KernelChaos: kchaos-lua runs KernelChaos "
					.. "experiments only (alone, or wrapped in a Schedule or a Workflow)",
					label(tostring(kind), name, i))
			end
		end
	end
	if #out == 0 then fail(src, "has no KernelChaos document") end
	return out
end

----------------------------------------------------------------------------------------
-- inject.py command lines

local MODES = { kmalloc = "slab", bio = "bio", alloc_page = "page" }
local MODE_NAMES = { "kmalloc", "bio", "alloc_page" }
local FLAGS = { ["-P"] = "probability", ["--probability"] = "probability",
	["-c"] = "count", ["--count"] = "count", ["-I"] = "include", ["--include"] = "include",
	["-v"] = "verbose", ["--verbose"] = "verbose" }

-- Splits a command line into words as a shell would (quotes, backslashes), keeping for
-- each character of each word its column in the line.
local function words(line, at)
	local out, i, n = {}, 1, #line
	while i <= n do
		while i <= n and line:sub(i, i):match("%s") do i = i + 1 end
		if i > n then break end
		local w = { text = {}, cols = {}, col = i }
		while i <= n and not line:sub(i, i):match("%s") do
			local c = line:sub(i, i)
			if c == "'" or c == '"' then
				local q, start = c, i
				i = i + 1
				while i <= n and line:sub(i, i) ~= q do
					-- In double quotes, a backslash escapes only " \ $ and `.
					local esc = line:sub(i, i) == "\\" and line:sub(i + 1, i + 1):match('["\\$`]')
					if q == '"' and esc then i = i + 1 end
					w.text[#w.text + 1], w.cols[#w.cols + 1] = line:sub(i, i), i
					i = i + 1
				end
				if i > n then fail(at(start), "this quote is never closed") end
			elseif c == "\\" and i < n then
				i = i + 1
				w.text[#w.text + 1], w.cols[#w.cols + 1] = line:sub(i, i), i
			else
				w.text[#w.text + 1], w.cols[#w.cols + 1] = c, i
			end
			i = i + 1
		end
		w.s = table.concat(w.text)
		out[#out + 1] = w
	end
	return out
end

-- The end of the bracketed group that opens at s[i] ('('), skipping string and character
-- literals; nil when it never closes.
local function group_end(s, i)
	local depth, n = 0, #s
	while i <= n do
		local c = s:sub(i, i)
		if c == '"' or c == "'" then
			local j = i + 1
			while j <= n and s:sub(j, j) ~= c do
				if s:sub(j, j) == "\\" then j = j + 1 end
				j = j + 1
			end
			i = j
		elseif c == "(" then
			depth = depth + 1
		elseif c == ")" then
			depth = depth - 1
			if depth == 0 then return i end
		end
		i = i + 1
	end
	return nil
end

-- Splits a spec at the '=>' outside brackets and literals; checks that brackets balance.
local function split_frames(s, at)
	local pieces, start, depth, opens, i, n = {}, 1, 0, {}, 1, #s
	while i <= n do
		local c = s:sub(i, i)
		if c == '"' or c == "'" then
			local j = i + 1
			while j <= n and s:sub(j, j) ~= c do
				if s:sub(j, j) == "\\" then j = j + 1 end
				j = j + 1
			end
			if j > n then
				fail(at(i), "the spec is unbalanced: this %s literal is never closed",
					c == '"' and "string" or "character")
			end
			i = j
		elseif c == "(" then
			depth = depth + 1
			opens[depth] = i
		elseif c == ")" then
			if depth == 0 then fail(at(i), "the spec is unbalanced: this ')' closes nothing") end
			depth = depth - 1
		elseif c == "=" and s:sub(i + 1, i + 1) == ">" and depth == 0 then
			pieces[#pieces + 1] = { from = start, to = i - 1 }
			start = i + 2
			i = i + 1
		end
		i = i + 1
	end
	if depth > 0 then fail(at(opens[depth]), "the spec is unbalanced: this '(' is never closed") end
	pieces[#pieces + 1] = { from = start, to = n }
	return pieces
end

-- inject.py's STRCMP(ptr, literal) takes the literal as bare text; a quoted literal is
-- taken as what it quotes. Both become the generator's STRCMP(ptr, "literal").
-- The next STRCMP( of a test from index i on, outside string and character literals.
local function find_strcmp(test, i)
	local n = #test
	while i <= n do
		local c = test:sub(i, i)
		if c == '"' or c == "'" then
			i = i + 1
			while i <= n and test:sub(i, i) ~= c do
				if test:sub(i, i) == "\\" then i = i + 1 end
				i = i + 1
			end
		elseif c == "S" and not test:sub(i - 1, i - 1):match("[%w_]") then
			local _, e = test:find("^STRCMP%s*%(", i)
			if e then return i, e end
		end
		i = i + 1
	end
end

local function convert_strcmp(test, col0, at)
	local out, pos = {}, 1
	while true do
		local s, e = find_strcmp(test, pos)
		if not s then break end
		out[#out + 1] = test:sub(pos, s - 1)
		local close = group_end(test, e)
		if not close then fail(at(col0 + e - 1), "this STRCMP( is never closed") end
		local inner = test:sub(e + 1, close - 1)
		local args, depth, last, j = {}, 0, 1, 1
		while j <= #inner do
			local c = inner:sub(j, j)
			if c == '"' or c == "'" then
				local k = j + 1
				while k <= #inner and inner:sub(k, k) ~= c do
					if inner:sub(k, k) == "\\" then k = k + 1 end
					k = k + 1
				end
				local q = inner:sub(j + 1, k - 1)
				if q:find(",", 1, true) and depth == 0 then
					fail(at(col0 + e + j + q:find(",", 1, true) - 1), "STRCMP's string may not "
						.. "contain a comma in an inject.py spec (inject.py splits STRCMP's "
						.. "arguments at commas); write this rule in Lua to compare such a string")
				end
				j = k
			elseif c == "(" then depth = depth + 1
			elseif c == ")" then depth = depth - 1
			elseif c == "," and depth == 0 then
				args[#args + 1] = { text = inner:sub(last, j - 1), col = col0 + e + last - 1 }
				last = j + 1
				if #args == 2 then
					fail(at(col0 + e + j - 1), "STRCMP's string may not contain a comma in an "
						.. "inject.py spec (inject.py splits STRCMP's arguments at commas); "
						.. "write this rule in Lua to compare such a string")
				end
			end
			j = j + 1
		end
		args[#args + 1] = { text = inner:sub(last), col = col0 + e + last - 1 }
		if #args ~= 2 then
			fail(at(col0 + s - 1), "STRCMP takes a pointer and a string: STRCMP(ptr, text)")
		end
		local lit = args[2].text:match("^%s*(.-)%s*$")
		local body = lit:match('^"(.*)"$') or lit:match("^'(.*)'$")
		if lit:match('^"(.*)"$') then
			body = lit
		else
			body = '"' .. (body or lit):gsub('[\\"]', "\\%0") .. '"'
		end
		out[#out + 1] = ("STRCMP(%s, %s)"):format(args[1].text:match("^%s*(.-)%s*$"), body)
		pos = close + 1
	end
	out[#out + 1] = test:sub(pos)
	return table.concat(out)
end

-- One frame of a spec: FUNC(ARGS), FUNC(ARGS)(TEST) or (TEST).
local function parse_frame(s, from, to, at, k)
	local text = s:sub(from, to)
	local lead = #text:match("^%s*")
	local body = text:match("^%s*(.-)%s*$")
	local c0 = from + lead		-- index in s of the frame's first character
	if body == "" then
		fail(at(math.min(c0, #s)), "frame %d is empty ('=>' must stand between two frames)", k)
	end
	local fr = { col = at(c0), index = k }
	local i = 1
	if body:sub(1, 1) ~= "(" then
		local name = body:match("^([^%(]*)")
		local clean = name:match("^(.-)%s*$")
		if clean:match("^[%a_][%w_]*$") == nil then
			fail(at(c0), "frame %d: %q is not a function name (a C identifier)", k, clean)
		end
		if #name == #body then
			fail(at(c0), "frame %d: '%s' needs parentheses: write %s() or %s(ARGS)", k, clean,
				clean, clean)
		end
		fr.func = clean
		i = #name + 1
		local close = group_end(body, i)
		local args = body:sub(i + 1, close - 1):match("^%s*(.-)%s*$")
		if args ~= "" then fr.params, fr.params_col = args, c0 + i end
		i = close + 1
		i = i + #body:sub(i):match("^%s*")
	end
	if i <= #body then
		if body:sub(i, i) ~= "(" then
			fail(at(c0 + i - 1), "frame %d: unexpected %q after the frame (a frame is FUNC(ARGS), "
				.. "FUNC(ARGS)(TEST) or (TEST))", k, body:sub(i))
		end
		local close = group_end(body, i)
		local rest = body:sub(close + 1)
		if rest:match("%S") then
			fail(at(c0 + close + #rest:match("^%s*")), "frame %d: unexpected %q after its test "
				.. "(a frame is FUNC(ARGS), FUNC(ARGS)(TEST) or (TEST))", k,
				rest:match("^%s*(.-)$"))
		end
		local test = body:sub(i + 1, close - 1)
		local tcol = c0 + i		-- index in s of the test's first character
		local t = test:match("^%s*(.-)%s*$")
		if t ~= "true" and t ~= "1" then
			fr.predicate = convert_strcmp(test, tcol, at):match("^%s*(.-)%s*$")
			fr.predicate_col = tcol + #test:match("^%s*")
		end
	end
	return fr
end

-- Parses an inject.py command line (the words after inject.py) with options { name =
-- "--inject" (for locations), scope =, scoped =, system =, hint = } as for kernelchaos.
-- Returns one entry { spec =, where =, fields = { frames = { [i] = where } }, what = }.
function M.inject(line, opts)
	opts = opts or {}
	local src = opts.name or "--inject"
	if type(line) ~= "string" then
		fail(src, "expects an inject.py command line (a string), not %s", show(line))
	end
	local function at(col) return ("%s: column %d"):format(src, col) end
	local ws = words(line, at)

	-- Options, the mode, and the words of the spec.
	local o = { include = {} }
	local mode, specw, i = nil, {}, 1
	while i <= #ws do
		local w = ws[i]
		local flag, val = w.s:match("^(%-%-%a+)=(.*)$")
		local started = mode and #specw > 0
		if not flag and not started then
			flag, val = w.s:match("^(%-[PcI])(.+)$")
		end
		flag = flag or w.s
		-- Once the spec has begun, only a whole flag word is an option.
		if FLAGS[flag] then
			local what = FLAGS[flag]
			if what ~= "verbose" and val == nil then
				i = i + 1
				if not ws[i] then fail(at(w.col), "option %s needs a value", flag) end
				val = ws[i].s
			end
			if what == "include" then
				o.include[#o.include + 1] = val
				o.include_col = o.include_col or w.col
			elseif what ~= "verbose" then
				o[what], o[what .. "_col"], o[what .. "_flag"] = val, w.col, flag
			end
		elseif not started and w.s:match("^%-") then
			fail(at(w.col), "unknown option '%s' (inject.py takes -P PROBABILITY, -c COUNT, "
				.. "-I HEADER and -v)", w.s)
		elseif not mode then
			mode = w
		else
			specw[#specw + 1] = w
		end
		i = i + 1
	end
	if not mode then
		fail(src, "needs a mode and a spec, like: kmalloc 'd_alloc_parallel(struct dentry "
			.. "*parent, const struct qstr *name)(STRCMP(name->name, bananas))'")
	end
	if not MODES[mode.s] then
		local s = util.suggest(mode.s, MODE_NAMES)
		fail(at(mode.col), "mode '%s' is unknown%s; inject.py's modes are kmalloc, bio and "
			.. "alloc_page", mode.s, s and (" (did you mean '" .. s .. "'?)") or "")
	end
	if #specw == 0 then
		fail(at(mode.col + #mode.s), "needs a spec after the mode %s, like 'd_alloc_parallel()'",
			mode.s)
	end

	-- The spec: its words joined by spaces, each character keeping its column.
	local chars, cols = {}, {}
	for k, w in ipairs(specw) do
		if k > 1 then chars[#chars + 1], cols[#cols + 1] = " ", w.col - 1 end
		for j = 1, #w.text do chars[#chars + 1], cols[#cols + 1] = w.text[j], w.cols[j] end
	end
	local s = table.concat(chars)
	local function sat(idx) return at(cols[math.max(1, math.min(idx, #cols))] or 1) end
	local site = rule.SITES[MODES[mode.s]]
	local frames = {}
	for k, p in ipairs(split_frames(s, sat)) do
		frames[k] = parse_frame(s, p.from, p.to, sat, k)
	end

	-- Innermost first in inject.py; outermost first here. A frame on the fault site (a
	-- bare test, or the site named) may only be the innermost, and becomes the last.
	local spec = { site = MODES[mode.s] }
	local chain, wheres = {}, {}
	for k = #frames, 1, -1 do
		local fr = frames[k]
		local on_site = fr.func == nil or fr.func == site.func
		if on_site and k ~= 1 then
			fail(fr.col, "frame %d is on the fault site %s, so it must come first: inject.py "
				.. "lists frames innermost first", k, site.func)
		end
		chain[#chain + 1] = { func = fr.func, params = fr.params, predicate = fr.predicate }
		wheres[#chain] = fr.col
		if fr.predicate then
			local ok, err = rule.check_predicate(fr.predicate)
			if not ok then
				fail(sat(fr.predicate_col), "frame %d: test %s", k, (err:gsub("column (%d+)",
					function(c)
						return "column " .. cols[math.min(#cols, fr.predicate_col + c - 1)]
					end)))
			end
		end
	end
	-- A frame on the fault site with nothing in it ('(true)') adds nothing.
	local last = chain[#chain]
	if last and (not last.func or last.func == site.func) and not last.predicate
		and not last.params then
		chain[#chain], wheres[#chain] = nil, nil
	end
	if #chain > 0 then spec.callchain = chain end
	if #o.include > 0 then spec.headers = o.include end

	if o.probability then
		local p = tonumber(o.probability)
		if not p or p ~= p then
			fail(at(o.probability_col), "%s needs a probability from 0 to 1, not '%s'",
				o.probability_flag, o.probability)
		end
		if p < 0 or p > 1 then
			fail(at(o.probability_col), "%s %s is out of range: inject.py takes a probability "
				.. "from 0 to 1", o.probability_flag, o.probability)
		end
		if p < 1 then spec.probability = p end
	end
	if o.count then
		local c = tonumber(o.count)
		if not c or c % 1 ~= 0 or (c < 1 and c ~= -1) then
			fail(at(o.count_col), "%s needs a whole number of failures, 1 or more (or -1 for no "
				.. "limit), not '%s'", o.count_flag, o.count)
		end
		if c > 0 then spec.times = c end
	end

	local e = { spec = spec, where = src, what = "inject.py spec", warnings = {},
		fields = { frames = wheres, headers = o.include_col and at(o.include_col),
			probability = o.probability_col and at(o.probability_col),
			times = o.count_col and at(o.count_col) }, inject = true, nframes = #frames }
	local own = add_scope(spec, opts.scope)
	check_scoped(src, "an inject.py spec applies to every process", opts, own)
	return e
end

----------------------------------------------------------------------------------------
-- Shared by both: errors from kchaos.rule pointed at their place, and the Lua form.

-- Rewrites an error of rule.normalize(entry.spec, entry.where) so that it names the
-- place of the field at fault (a manifest's line, a spec's column).
function M.locate(e, err)
	if type(err) ~= "string" then return err end
	local prefix = e.where .. ": "
	if err:sub(1, #prefix) ~= prefix then return err end
	local rest = err:sub(#prefix + 1)
	local who, msg = rest:match("^(rule[^:]*: )(.*)$")
	if not who then return err end
	local n = tonumber(msg:match("^callchain frame (%d+)"))
	if n and e.fields.frames[n] then
		if e.inject then
			-- Frames count innermost first in a spec, as the user wrote them.
			local k = e.nframes - n + 1
			msg = msg:gsub("^callchain frame %d+", ("frame %d"):format(k))
		end
		return e.fields.frames[n] .. ": " .. who .. msg
	end
	local field = msg:match("^(%a+)")
	local where = field and e.fields[field]
	if where then return where .. ": " .. who .. msg end
	return err
end

-- Normalizes an entry the way kchaos.rule does, with errors at their place.
function M.normalize(e, env)
	local ok, r = pcall(rule.normalize, e.spec, e.where, env)
	if not ok then error(M.locate(e, r), 0) end
	return r
end

local function quote(s)
	return '"' .. s:gsub('[%c"\\]', function(c)
		local named = ({ ["\n"] = "\\n", ["\t"] = "\\t", ["\r"] = "\\r", ['"'] = '\\"',
			["\\"] = "\\\\" })[c]
		return named or ("\\%03d"):format(c:byte())
	end) .. '"'
end

local function value(v)
	if type(v) == "string" then return quote(v) end
	if type(v) == "number" then return show(v) end
	return tostring(v)
end

local ORDER = { "name", "site", "failtype", "callchain", "headers", "probability", "times",
	"duration", "pid", "tree", "comm", "cgroup" }
local FRAME_ORDER = { "func", "params", "predicate" }

-- A rule table in Lua form, as a script would declare it.
function M.to_lua(spec)
	local out = { "kchaos.rule{" }
	for _, k in ipairs(ORDER) do
		local v = spec[k]
		if k == "callchain" and v then
			out[#out + 1] = "\tcallchain = {"
			for _, fr in ipairs(v) do
				local parts = {}
				for _, fk in ipairs(FRAME_ORDER) do
					if fr[fk] ~= nil then parts[#parts + 1] = fk .. " = " .. value(fr[fk]) end
				end
				out[#out + 1] = "\t\t{ " .. table.concat(parts, ", ") .. " },"
			end
			out[#out + 1] = "\t},"
		elseif k == "headers" and v then
			local hs = {}
			for _, h in ipairs(v) do hs[#hs + 1] = value(h) end
			out[#out + 1] = "\theaders = { " .. table.concat(hs, ", ") .. " },"
		elseif v ~= nil then
			out[#out + 1] = ("\t%s = %s,"):format(k, value(v))
		end
	end
	out[#out + 1] = "}"
	return table.concat(out, "\n")
end

----------------------------------------------------------------------------------------
-- The API (kchaos.kernelchaos, kchaos.inject) and the command line (--kernelchaos, --inject)

local API_HINT = "give pid, tree, comm or cgroup in the options (or -p, -c or --cgroup on "
	.. "the command line), or system = true to apply it to every process"
local OPTION_FIELDS = { "pid", "tree", "comm", "cgroup", "system", "name" }

-- A manifest larger than this is a mistake (/dev/zero, a disk image), not YAML to parse.
local MAX_MANIFEST = 16 * 1024 * 1024

local function read_file(path, where)
	local f, err = io.open(path, "rb")
	if not f then fail(where, "cannot open %s", err or path) end
	local text, rerr = f:read(MAX_MANIFEST + 1)
	f:close()
	if not text and rerr then fail(where, "cannot read %s: %s", path, rerr) end
	if text and #text > MAX_MANIFEST then
		fail(where, "cannot read %s: it is larger than %d MiB", path, MAX_MANIFEST / 1048576)
	end
	return text or ""
end

local function api_opts(kchaos, opts, where, cli)
	if opts ~= nil and type(opts) ~= "table" then
		fail(where, "options must be a table like { tree = pid }, not %s", show(opts))
	end
	opts = opts or {}
	for k in pairs(opts) do
		if not known(k, OPTION_FIELDS) then unknown_field(where, "options", k, OPTION_FIELDS) end
	end
	local S = kchaos._state
	return {
		scope = opts, system = opts.system or S.opts.system, scoped = S.opts.scope_default ~= nil,
		hint = cli and CLI_HINT or API_HINT,
	}
end

-- Declares the rules of entries through kchaos.rule; returns them.
local function declare(kchaos, entries)
	local output = require "kchaos.output"
	local rules = {}
	for _, e in ipairs(entries) do
		for _, w in ipairs(e.warnings) do output.warn(w) end
		local ok, r = pcall(kchaos.rule, e.spec, e.where)
		if not ok then error(M.locate(e, r), 0) end
		r.import = e
		rules[#rules + 1] = r
	end
	return rules
end

-- kchaos.kernelchaos(path_or_text [, opts]): a string with a newline is YAML text,
-- any other a path.
function M.declare_kernelchaos(kchaos, src, opts, where, cli)
	if type(src) ~= "string" then
		fail(where, "kchaos.kernelchaos expects a manifest's path or YAML text, not %s", show(src))
	end
	local o = api_opts(kchaos, opts, where, cli)
	local text = src
	if cli or not src:find("\n") then
		text = read_file(src, cli and "--kernelchaos" or where)
		o.name = (opts and opts.name) or src
	else
		o.name = (opts and opts.name) or (where .. ": manifest")
	end
	return declare(kchaos, M.kernelchaos(text, o))
end

-- kchaos.inject(command_line [, opts])
function M.declare_inject(kchaos, line, opts, where, cli)
	local o = api_opts(kchaos, opts, where, cli)
	o.name = (opts and opts.name) or (cli and "--inject" or (where .. ": inject"))
	return declare(kchaos, { M.inject(line, o) })[1]
end

-- --kernelchaos FILE and --inject SPEC: declares their rules.
function M.from_options(opts, kchaos)
	if opts.kernelchaos then
		M.declare_kernelchaos(kchaos, opts.kernelchaos, nil, "--kernelchaos", true)
	end
	if opts.inject then M.declare_inject(kchaos, opts.inject, nil, "--inject", true) end
end

-- For --dry-run: each imported rule in Lua form, as comments before the BPF C. With -c,
-- `command` names the process tree that stands for the workload's (not yet started).
function M.dry_run_text(rules, command)
	local out = {}
	for _, r in ipairs(rules) do
		local e = r.import
		if e then
			out[#out + 1] = ("// %s: %s, as a rule:"):format(e.where, e.what)
			for l in (M.to_lua(e.spec) .. "\n"):gmatch("(.-)\n") do
				out[#out + 1] = "// " .. l:gsub("\t", "    ")
			end
			if r.default_scope then
				local sc = {}
				for _, k in ipairs(SCOPE_FIELDS) do
					local v = r.scope[k]
					if k == "tree" and command and v ~= nil then
						sc[#sc + 1] = "tree = <the process tree of -c's command>"
					elseif v ~= nil then
						sc[#sc + 1] = k .. " = " .. value(v)
					end
				end
				out[#out + 1] = "// with the command line's scope: " .. table.concat(sc, ", ")
			end
		end
	end
	if #out == 0 then return "" end
	return table.concat(out, "\n") .. "\n\n"
end

return M
