-- SPDX-License-Identifier: GPL-2.0-only
-- kchaos.util: small pure helpers shared by the library: durations, probabilities,
-- errno names, "did you mean" suggestions and where-in-the-script locations.
local M = {}

local UNITS = { ns = 1, us = 1e3, ms = 1e6, s = 1e9, m = 60e9, h = 3600e9 }

-- Nothing waits longer than a year: a bigger duration is a mistake.
M.MAX_DURATION = 365 * 86400e9

local function parse_duration(v, what)
	if type(v) == "number" then
		if v ~= v or v < 0 or v == math.huge then
			return nil, ("%s must be a non-negative number of seconds, not %s"):format(what, v)
		end
		return math.floor(v * 1e9 + 0.5)
	end
	if type(v) ~= "string" then
		return nil, ("%s must be a number of seconds or a string like \"500ms\", not a %s")
			:format(what, type(v))
	end
	local num, unit = v:match("^%s*(%d+%.%d+)%s*(%a*)%s*$")
	if not num then num, unit = v:match("^%s*(%d+)%s*(%a*)%s*$") end
	local n = tonumber(num)
	if not n or not UNITS[unit ~= "" and unit or "s"] then
		return nil, ("%s %q is malformed; write it like \"500ms\", \"2s\", \"1m\" or \"1h\"")
			:format(what, v)
	end
	return math.floor(n * UNITS[unit ~= "" and unit or "s"] + 0.5)
end

-- Parses "250ms", "2s", "1m", "1.5h" or a number of seconds into nanoseconds, at most a
-- year. A string is digits, with a fraction only if digits follow its point ("1.5s", not
-- "5." or ".5s"), then a unit (seconds when there is none).
function M.duration(v, what)
	what = what or "duration"
	local ns, err = parse_duration(v, what)
	if ns and ns > M.MAX_DURATION then
		return nil, ("%s must be at most a year (365 days)"):format(what)
	end
	return ns, err
end

-- Parses 0..1, or "25%", into a fraction.
function M.probability(v)
	local p = v
	if type(v) == "string" then
		local pct = v:match("^%s*([%d%.]+)%s*%%%s*$")
		p = pct and tonumber(pct) and tonumber(pct) / 100 or tonumber(v)
		if not p then
			return nil, ("probability %q is malformed; write 0.25 or \"25%%\""):format(v)
		end
	elseif type(v) ~= "number" then
		return nil, ("probability must be a number from 0 to 1 or a string like \"25%%\", "
			.. "not a %s"):format(type(v))
	end
	if p ~= p or p < 0 or p > 1 then
		return nil, ("probability %s is out of range; it must lie between 0 and 1 "
			.. "(or \"0%%\" and \"100%%\")"):format(tostring(v))
	end
	return p
end

M.errno = {
	EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, ENXIO = 6, E2BIG = 7,
	ENOEXEC = 8, EBADF = 9, ECHILD = 10, EAGAIN = 11, ENOMEM = 12, EACCES = 13,
	EFAULT = 14, EBUSY = 16, EEXIST = 17, EXDEV = 18, ENODEV = 19, ENOTDIR = 20,
	EISDIR = 21, EINVAL = 22, ENFILE = 23, EMFILE = 24, ENOTTY = 25, EFBIG = 27,
	ENOSPC = 28, ESPIPE = 29, EROFS = 30, EMLINK = 31, EPIPE = 32, ERANGE = 34,
	EDEADLK = 35, ENAMETOOLONG = 36, ENOSYS = 38, ENOTEMPTY = 39, ELOOP = 40,
	ENODATA = 61, ETIME = 62, EOVERFLOW = 75, EILSEQ = 84, ENOTSOCK = 88,
	EOPNOTSUPP = 95, EADDRINUSE = 98, ECONNRESET = 104, ENOBUFS = 105,
	ETIMEDOUT = 110, ECONNREFUSED = 111, EALREADY = 114, EDQUOT = 122, ECANCELED = 125,
}

local errname = {}
for k, v in pairs(M.errno) do errname[v] = k end

-- Name of an errno value ("ENOMEM" for 12 or -12), or nil.
function M.errname(n)
	return type(n) == "number" and errname[math.abs(n)] or nil
end

local function distance(a, b)
	local d, prev = {}, {}
	for j = 0, #b do prev[j] = j end
	for i = 1, #a do
		d = { [0] = i }
		for j = 1, #b do
			local cost = a:sub(i, i) == b:sub(j, j) and 0 or 1
			d[j] = math.min(prev[j] + 1, d[j - 1] + 1, prev[j - 1] + cost)
		end
		prev = d
	end
	return prev[#b]
end

-- The closest of `names` to `word`, when it is close enough to be a likely typo.
function M.suggest(word, names)
	local best, bestd
	for _, n in ipairs(names) do
		local d = distance(word, n)
		if not bestd or d < bestd then best, bestd = n, d end
	end
	if best and bestd <= math.max(1, math.floor(#word / 3)) then return best end
end

-- "script.lua:12" for the Lua function `level` frames above the caller, or nil.
function M.where(level)
	local info = debug.getinfo(level + 1, "Sl")
	while info and (info.what == "C" or info.currentline < 0) do
		level = level + 1
		info = debug.getinfo(level + 1, "Sl")
	end
	if not info then return nil end
	return ("%s:%d"):format(info.short_src, info.currentline)
end

-- The arguments of a timer call such as kchaos.after(t, fn), `name` being the function the
-- script called: returns t in nanoseconds, or raises the error at the script's line
-- (`level` as for M.where, from the caller of this function).
function M.timer_args(name, t, fn, level)
	local ns, err = M.duration(t, name .. " time")
	if not ns then error(("%s: %s"):format(M.where(level + 1) or "?", err), 0) end
	if type(fn) ~= "function" then
		error(("%s: %s expects a function to call, not %s"):format(M.where(level + 1) or "?",
			name, fn == nil and "nil" or "a " .. type(fn)), 0)
	end
	return ns
end

-- A message made fit to print: the same on every run (a table shows as "a table", not its
-- address), in ASCII (other bytes as \xNN; tabs and newlines kept) and short: past `max`
-- bytes (600) only the first max - 100 are kept, so a huge value cannot flood the terminal.
function M.printable(text, max)
	max = max or 600
	text = text:gsub("cdata<[^>]*>: 0x%x+", "a cdata")
	for _, t in ipairs { "table", "function", "userdata", "thread" } do
		text = text:gsub(t .. ": 0x%x+", "a " .. t)
	end
	text = text:gsub("[^\t\n\32-\126]", function(c) return ("\\x%02x"):format(c:byte()) end)
	if #text > max then
		text = ("%s... (%d more bytes)"):format(text:sub(1, max - 100), #text - (max - 100))
	end
	return text
end

-- A user's string as a message quotes it: 'text', on one line (every byte outside
-- printable ASCII as \xNN) and cut after `max` bytes (40). Other values show as
-- M.printable shows them (a number as itself, a table as "a table").
function M.quote(v, max)
	if type(v) ~= "string" then return M.printable(tostring(v)) end
	max = max or 40
	local s = v:sub(1, max):gsub("[^\32-\126]", function(c)
		return ("\\x%02x"):format(c:byte())
	end)
	return ("'%s'%s"):format(s, #v > max and ("... (%d bytes)"):format(#v) or "")
end

-- Raises "where: NAME is a method: call it as OBJ:NAME(...)" unless `self` has the
-- metatable `mt`: a method called with '.' gets its first argument as self, and would
-- fail inside kchaos instead of at the caller's line. `call` is how the call should read.
function M.check_self(self, mt, call)
	if getmetatable(self) == mt then return end
	local name = call:match(":([%w_]+)")
	error(("%s: %s is a method: call it as %s"):format(M.where(3) or "?", name, call), 0)
end

-- The end of the C string or character literal opening at text[i] (its closing quote,
-- escapes skipped), or nil when it is not closed.
function M.literal_end(text, i)
	local q, j = text:sub(i, i), i + 1
	while j <= #text do
		local c = text:sub(j, j)
		if c == "\\" then
			j = j + 1
		elseif c == q then
			return j
		end
		j = j + 1
	end
	return nil
end

-- Sorted keys of a table, for stable output.
function M.sorted_keys(t)
	local keys = {}
	for k in pairs(t) do keys[#keys + 1] = k end
	table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
	return keys
end

-- Formats nanoseconds for humans.
function M.fmt_ns(ns)
	if ns >= 60e9 then return ("%.1fm"):format(ns / 60e9) end
	if ns >= 1e9 then return ("%.2fs"):format(ns / 1e9) end
	if ns >= 1e6 then return ("%.1fms"):format(ns / 1e6) end
	return ("%dus"):format(math.floor(ns / 1e3))
end

return M
