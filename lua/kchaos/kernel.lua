-- SPDX-License-Identifier: GPL-2.0-only
-- kchaos.kernel: what the running kernel offers: the error-injection list, kallsyms,
-- its config, its headers for libbcc, cgroup ids and the process tree in /proc.
local core = require "kchaos.core"

local M = {}

M.INJECTION_LIST = "/sys/kernel/debug/error_injection/list"

local function read_file(path)
	local f, err = io.open(path, "rb")
	if not f then return nil, err end
	local s, rerr = f:read("*a")
	f:close()
	if not s then return nil, rerr end
	return s
end
M.read_file = read_file

local list_cache
-- name -> error type ("ERRNO", "NULL", "ERRNO_NULL", "TRUE"), or nil and why not.
function M.injection_list()
	if list_cache then return list_cache end
	local s, err = read_file(M.INJECTION_LIST)
	if not s then
		local st = core.stat("/sys/kernel/debug")
		if core.geteuid() ~= 0 then
			return nil, ("cannot read %s: run as root"):format(M.INJECTION_LIST)
		end
		if not core.stat("/sys/kernel/debug/tracing") and st then
			return nil, ("%s is missing: debugfs is not mounted, or the kernel lacks "
				.. "CONFIG_FUNCTION_ERROR_INJECTION (try --doctor, or --vm)"):format(M.INJECTION_LIST)
		end
		return nil, ("%s is missing: this kernel lacks CONFIG_FUNCTION_ERROR_INJECTION "
			.. "(try --doctor, or --vm)"):format(M.INJECTION_LIST)
	end
	local t = {}
	for name, typ in s:gmatch("([%w_%.]+)%s+([%u_]+)\n") do t[name] = typ end
	list_cache = t
	return t
end

local syms
-- true when `name` is a function in kallsyms; false and its clones when it is not;
-- nil when kallsyms cannot be read.
function M.symbol(name)
	if not syms then
		syms = read_file("/proc/kallsyms")
		if not syms then return nil end
		syms = "\n" .. syms
	end
	for _, t in ipairs { " t ", " T ", " W ", " w " } do
		if syms:find(t .. name .. "\n", 1, true) or syms:find(t .. name .. "\t", 1, true) then
			return true
		end
	end
	local clones, seen = {}, {}
	local pat = "[tT] (" .. name:gsub("%p", "%%%0") .. "%.[%w_%.]+)"
	for c in syms:gmatch(pat) do
		if not seen[c] then seen[c] = true; clones[#clones + 1] = c end
	end
	return false, clones
end

-- Kernel config as { CONFIG_X = "y" }, with where it came from; nil when unknown.
function M.config()
	local text = core.read_gz("/proc/config.gz")
	local src = "/proc/config.gz"
	if not text then
		local rel = core.uname().release
		src = "/boot/config-" .. rel
		text = read_file(src)
	end
	if not text then return nil end
	local t = {}
	for k, v in text:gmatch("(CONFIG_[%w_]+)=([^\n]*)") do t[k] = v end
	return t, src
end

-- Finds kernel headers libbcc can use; sets BCC_KERNEL_SOURCE when they are elsewhere.
-- Returns a description of what will be used, or nil and why none was found.
function M.headers()
	local env = os.getenv("BCC_KERNEL_SOURCE")
	if env and env ~= "" then return "BCC_KERNEL_SOURCE=" .. env end
	local alt = os.getenv("KCHAOS_KERNEL_HEADERS")
	if alt and alt ~= "" then
		core.setenv("BCC_KERNEL_SOURCE", alt)
		return alt
	end
	local rel = core.uname().release
	local build = "/lib/modules/" .. rel .. "/build"
	if core.stat(build .. "/include") then return build end
	if core.stat("/sys/kernel/kheaders.tar.xz") then return "/sys/kernel/kheaders.tar.xz" end
	return nil, ("no kernel headers for %s: neither %s nor /sys/kernel/kheaders.tar.xz "
		.. "(CONFIG_IKHEADERS) exists"):format(rel, build)
end

local CGROUP2_SUPER_MAGIC = 0x63677270

-- The cgroup v2 id (inode number) of a cgroup path: a directory of a cgroup2 file
-- system, whatever the path's "..".
function M.cgroup_id(path)
	local full = path
	if not path:match("^/sys/fs/cgroup") then
		full = "/sys/fs/cgroup/" .. path:gsub("^/", "")
	end
	local st, err = core.stat(full)
	if not st then return nil, err end
	if st.type ~= "directory" then return nil, full .. " is not a cgroup directory" end
	if st.fs ~= CGROUP2_SUPER_MAGIC then
		return nil, full .. " is not in a cgroup v2 file system (mount -t cgroup2 none "
			.. "/sys/fs/cgroup)"
	end
	return st.ino, full
end

-- Every live descendant of `root` (not counting root), from /proc.
function M.descendants(root)
	local parent = {}
	local p = io.popen("ls /proc 2>/dev/null")
	if not p then return {} end
	for pid in p:lines() do
		if pid:match("^%d+$") then
			local stat = read_file("/proc/" .. pid .. "/stat")
			local ppid = stat and stat:match("%) %a (%d+)")
			if ppid then parent[tonumber(pid)] = tonumber(ppid) end
		end
	end
	p:close()
	local out = {}
	for pid in pairs(parent) do
		local q, hops = parent[pid], 0
		while q and q > 1 and hops < 256 do
			if q == root then out[#out + 1] = pid break end
			q, hops = parent[q], hops + 1
		end
	end
	return out
end

local ksyms
-- Symbolizes kernel addresses given as 16-digit hex strings: { "func+0x12", ... }.
-- Addresses stay strings (fixed width compares like numbers): doubles cannot hold them.
function M.symbolize(addrs)
	if not ksyms then
		ksyms = {}
		local s = read_file("/proc/kallsyms") or ""
		for addr, name in s:gmatch("(%x+) [tTwW] ([^%s]+)") do
			if #addr == 16 and addr ~= "0000000000000000" then
				ksyms[#ksyms + 1] = { addr, name }
			end
		end
		table.sort(ksyms, function(x, y) return x[1] < y[1] end)
	end
	local out = {}
	for i, a in ipairs(addrs) do
		local lo, hi, best = 1, #ksyms, nil
		while lo <= hi do
			local mid = math.floor((lo + hi) / 2)
			if ksyms[mid][1] <= a then best, lo = mid, mid + 1 else hi = mid - 1 end
		end
		if best and a:sub(1, 8) == ksyms[best][1]:sub(1, 8) then
			local off = tonumber(a:sub(9), 16) - tonumber(ksyms[best][1]:sub(9), 16)
			out[i] = ("%s+0x%x"):format(ksyms[best][2], off)
		else
			out[i] = "0x" .. a
		end
	end
	return out
end

return M
