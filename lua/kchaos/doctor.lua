-- SPDX-License-Identifier: GPL-2.0-only
-- kchaos.doctor: --doctor, the checks of what this machine's kernel offers for fault
-- injection, each with a verdict and a fix; relies on kchaos.kernel and kchaos.core.
local core = require "kchaos.core"
local kernel = require "kchaos.kernel"
local rule = require "kchaos.rule"

local M = {}

local DEBUGFS = "/sys/kernel/debug"
local MOUNT_CMD = "mount -t debugfs debugfs " .. DEBUGFS
local KPROBE_PMU = "/sys/bus/event_source/devices/kprobe/type"
local KPROBES_ENABLED = DEBUGFS .. "/kprobes/enabled"

-- Capability bits from linux/capability.h.
local CAPS = { { "CAP_BPF", 39 }, { "CAP_PERFMON", 38 }, { "CAP_SYS_ADMIN", 21 } }

-- The options injection depends on, each with what it provides and what it needs.
local CONFIGS = {
	{ "CONFIG_BPF_SYSCALL", "bpf() system call" },
	{ "CONFIG_KPROBES", "kernel probes", "CONFIG_MODULES" },
	{ "CONFIG_KPROBE_EVENTS", "kprobe perf events", "CONFIG_KPROBES" },
	{ "CONFIG_BPF_EVENTS", "BPF programs on kprobes",
		"CONFIG_BPF_SYSCALL, CONFIG_KPROBE_EVENTS and CONFIG_PERF_EVENTS" },
	{ "CONFIG_FUNCTION_ERROR_INJECTION", "error-injection list", "CONFIG_KPROBES" },
	{ "CONFIG_BPF_KPROBE_OVERRIDE", "bpf_override_return",
		"CONFIG_BPF_EVENTS and CONFIG_FUNCTION_ERROR_INJECTION" },
	{ "CONFIG_DEBUG_FS", "debugfs (it holds the error-injection list)" },
}

local SITE_KINDS = { "slab", "page", "bio" }

local TAGS = { ok = "[ ok ]", fail = "[FAIL]", warn = "[warn]", unknown = "[ ?? ]" }

local function check(name, verdict, detail, fix, missing)
	return { name = name, verdict = verdict, detail = detail, fix = fix, missing = missing }
end

-- Whether the known config already names a missing option among `names` (so a check
-- that follows from it need not add a missing piece of its own).
local function explained(ctx, names)
	if not ctx.config then return false end
	for _, n in ipairs(names) do
		if ctx.config[n] ~= "y" then return true end
	end
	return false
end

-- Whether capability `bit` is set in a CapEff hex mask of any length.
local function has_cap(hex, bit)
	local i = #hex - math.floor(bit / 4)
	if i < 1 then return false end
	local d = tonumber(hex:sub(i, i), 16) or 0
	return math.floor(d / 2 ^ (bit % 4)) % 2 == 1
end

local function kernel_version(release)
	local major, minor = release:match("^(%d+)%.(%d+)")
	return tonumber(major) or 0, tonumber(minor) or 0
end

local function at_least(ctx, major, minor)
	return ctx.major > major or (ctx.major == major and ctx.minor >= minor)
end

local function check_privileges(ctx)
	local status = kernel.read_file("/proc/self/status") or ""
	local hex = status:match("CapEff:%s*(%x+)")
	if not hex then
		ctx.privileged = ctx.euid == 0
		if ctx.privileged then return check("privileges", "ok", "running as root") end
		return check("privileges", "fail", "not root, and CapEff is unreadable",
			"run as root: sudo kchaos-lua --doctor", "root privileges")
	end

	-- Kernels before 5.8 have no CAP_BPF or CAP_PERFMON; CAP_SYS_ADMIN covers both.
	local lacking = {}
	for _, c in ipairs(CAPS) do
		if not has_cap(hex, c[2]) and (c[1] == "CAP_SYS_ADMIN" or at_least(ctx, 5, 8)) then
			lacking[#lacking + 1] = c[1]
		end
	end
	local who = ctx.euid == 0 and "root" or ("uid " .. ctx.euid)
	ctx.privileged = #lacking == 0
	if #lacking == 0 then
		return check("privileges", "ok", ("%s with %s"):format(ctx.euid == 0 and
			"running as root" or who, at_least(ctx, 5, 8) and
			"CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN" or "CAP_SYS_ADMIN"))
	end
	return check("privileges", "fail", ("%s without %s"):format(who,
		table.concat(lacking, ", ")), "run as root (sudo kchaos-lua ...), or grant "
		.. "CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN", "root privileges")
end

local function check_kernel(ctx)
	local what = ("Linux %s on %s"):format(ctx.release, ctx.machine)
	if not at_least(ctx, 4, 16) then
		return check("kernel", "fail", what .. ": bpf_override_return needs 4.16 or later",
			"boot Linux 5.8 or later", "Linux 5.8 or later")
	end
	if not at_least(ctx, 5, 8) then
		return check("kernel", "fail", what .. ": the BPF ring buffer kchaos-lua reports "
			.. "injections through needs 5.8 or later", "boot Linux 5.8 or later",
			"Linux 5.8 or later (BPF ring buffer)")
	end
	if ctx.machine ~= "x86_64" then
		return check("kernel", "warn", what .. ": bpf_override_return depends on the "
			.. "architecture; the checks below decide")
	end
	return check("kernel", "ok", what .. " (override needs 4.16, ring buffer 5.8)")
end

local function check_config_source(ctx)
	if ctx.config then
		return check("kernel config", "ok", "read from " .. ctx.config_src)
	end
	return check("kernel config", "unknown", ("neither /proc/config.gz nor /boot/config-%s "
		.. "exists; the checks below decide"):format(ctx.release),
		"modprobe configs (CONFIG_IKCONFIG_PROC), or install /boot/config-" .. ctx.release)
end

local function check_option(ctx, opt)
	local name, what, needs = opt[1], opt[2], opt[3]
	local v = ctx.config[name]
	if v == "y" then return check(name, "ok", ("%s=y: %s"):format(name, what)) end

	local state = v and v ~= "n" and (name .. "=" .. v) or (name .. " is not set")
	local dep = needs and (" (it depends on " .. needs .. ")") or ""
	return check(name, "fail", ("%s: no %s"):format(state, what),
		("rebuild the kernel with %s=y%s"):format(name, dep), name)
end

local function is_mounted()
	local mounts = kernel.read_file("/proc/mounts") or ""
	return ("\n" .. mounts):find("\n%S+ " .. DEBUGFS .. " debugfs ") ~= nil
end

local function check_debugfs(ctx)
	if is_mounted() then return check("debugfs", "ok", "mounted at " .. DEBUGFS) end
	if ctx.euid ~= 0 then
		return check("debugfs", "fail", "not mounted at " .. DEBUGFS,
			"as root: " .. MOUNT_CMD)
	end

	-- Root: mount it now, as the error-injection list and kprobes/enabled live there.
	local rc = os.execute(MOUNT_CMD .. " 2>/dev/null")
	if (rc == 0 or rc == true) and is_mounted() then
		return check("debugfs", "ok", "was not mounted; mounted it now (" .. MOUNT_CMD .. ")")
	end
	return check("debugfs", "fail", "not mounted at " .. DEBUGFS .. ", and " .. MOUNT_CMD
		.. " failed", "check that the kernel has CONFIG_DEBUG_FS=y and that this mount "
		.. "namespace allows mounts")
end

-- The three fault sites found in the list, as { kind = { func =, type = } }.
local function find_sites(ctx, list)
	local found, text = {}, {}
	for _, kind in ipairs(SITE_KINDS) do
		local func = rule.SITES[kind].func
		if list[func] then
			found[#found + 1] = kind
			ctx.sites[kind] = { func = func, type = list[func] }
			text[#text + 1] = func .. " " .. list[func]
		else
			text[#text + 1] = func .. " absent"
		end
	end
	return found, table.concat(text, ", ")
end

local function list_unreadable(ctx)
	local miss = "the error-injection list"
	local _, _, errno = core.stat(kernel.INJECTION_LIST)
	if errno == 13 or (ctx.euid ~= 0 and not is_mounted()) then
		return check("injection list", "fail", kernel.INJECTION_LIST .. " is not readable",
			"run as root", ctx.privileged and miss or nil)
	end
	if not is_mounted() then
		return check("injection list", "fail", "cannot be read: debugfs is not mounted",
			"mount debugfs: " .. MOUNT_CMD, miss)
	end
	if explained(ctx, { "CONFIG_FUNCTION_ERROR_INJECTION" }) then miss = nil end
	return check("injection list", "fail", kernel.INJECTION_LIST .. " does not exist: "
		.. "no CONFIG_FUNCTION_ERROR_INJECTION", "rebuild the kernel with "
		.. "CONFIG_FUNCTION_ERROR_INJECTION=y", miss)
end

local function check_list(ctx)
	local list = kernel.injection_list()
	if not list then return list_unreadable(ctx) end

	local n = 0
	for _ in pairs(list) do n = n + 1 end
	local found, text = find_sites(ctx, list)
	local detail = ("%d functions; %s"):format(n, text)
	if #found == #SITE_KINDS then return check("injection list", "ok", detail) end
	if #found > 0 then
		return check("injection list", "warn", detail, "rules on the absent sites fail "
			.. "before attaching; those present work (should_fail_bio needs CONFIG_BLOCK)")
	end
	return check("injection list", "fail", detail, "rebuild the kernel with "
		.. "CONFIG_FUNCTION_ERROR_INJECTION=y",
		"should_failslab, should_fail_alloc_page and should_fail_bio on the list")
end

local function check_kprobes(ctx)
	if not core.stat(KPROBE_PMU) then
		local miss = "kprobe perf events"
		if explained(ctx, { "CONFIG_KPROBES", "CONFIG_KPROBE_EVENTS" }) then miss = nil end
		return check("kprobe events", "fail", KPROBE_PMU .. " does not exist: no kprobe "
			.. "perf events", "rebuild the kernel with CONFIG_KPROBES=y and "
			.. "CONFIG_KPROBE_EVENTS=y", miss)
	end
	local enabled = kernel.read_file(KPROBES_ENABLED)
	if enabled and enabled:match("^0") then
		return check("kprobe events", "fail", "the kprobe PMU exists, but kprobes are "
			.. "disabled", "echo 1 > " .. KPROBES_ENABLED, "enabled kprobes")
	end
	return check("kprobe events", "ok", "the kprobe PMU exists (" .. KPROBE_PMU .. ")")
end

local function check_headers(ctx)
	local where, err = kernel.headers()
	if where then return check("kernel headers", "ok", "libbcc will use " .. where) end

	-- Debian packages headers for its own kernels only: name the package when apt has it.
	local pkg = "linux-headers-" .. ctx.release
	local fix
	if os.execute("apt-cache show " .. pkg .. " >/dev/null 2>&1") == 0 then
		fix = "apt-get install " .. pkg .. ", boot a kernel with CONFIG_IKHEADERS=y, or set "
			.. "KCHAOS_KERNEL_HEADERS=DIR"
	else
		fix = "no package has this kernel's headers (apt has no " .. pkg .. "): set "
			.. "KCHAOS_KERNEL_HEADERS=DIR to its build tree, boot a kernel with "
			.. "CONFIG_IKHEADERS=y, or use --vm"
	end
	if ctx.config and ctx.config.CONFIG_IKHEADERS == "m" then
		fix = "modprobe kheaders (CONFIG_IKHEADERS=m)"
	end
	return check("kernel headers", "fail", err, fix, "kernel headers")
end

local function check_libbcc()
	local v = core.libbcc_version
	if not v or v == "" then
		return check("libbcc", "unknown", "the libbcc version is unknown")
	end
	return check("libbcc", "ok", "built with libbcc " .. v)
end

-- Runs every check in order; returns the list of checks.
local function run_checks(ctx)
	local out = {}
	local function add(c) out[#out + 1] = c end

	add(check_privileges(ctx))
	add(check_kernel(ctx))
	add(check_config_source(ctx))
	if ctx.config then
		for _, opt in ipairs(CONFIGS) do add(check_option(ctx, opt)) end
	end
	add(check_debugfs(ctx))
	add(check_list(ctx))
	add(check_kprobes(ctx))
	add(check_headers(ctx))
	add(check_libbcc())
	return out
end

local function new_context()
	local u = core.uname() or { release = "unknown", machine = "unknown" }
	local ctx = { euid = core.geteuid(), release = u.release, machine = u.machine, sites = {} }
	ctx.major, ctx.minor = kernel_version(ctx.release)
	ctx.config, ctx.config_src = kernel.config()
	return ctx
end

-- What blocks injection: the `missing` piece of each failed check.
local function missing_pieces(checks)
	local out = {}
	for _, c in ipairs(checks) do
		if c.verdict == "fail" and c.missing then out[#out + 1] = c.missing end
	end
	return out
end

local function site_kinds(ctx)
	local out = {}
	for _, kind in ipairs(SITE_KINDS) do
		if ctx.sites[kind] then out[#out + 1] = kind end
	end
	return out
end

local function write_text(out, checks, ctx, missing)
	for _, c in ipairs(checks) do
		-- An option's detail starts with its name; other checks are named first.
		local line = c.detail:sub(1, #c.name) == c.name and c.detail
			or (c.name .. ": " .. c.detail)
		out:write(TAGS[c.verdict], " ", line, "\n")
		if c.fix and c.verdict ~= "ok" then out:write("      fix: ", c.fix, "\n") end
	end
	if #missing == 0 then
		out:write(("kchaos-lua: this kernel can inject faults (%s)\n")
			:format(table.concat(site_kinds(ctx), ", ")))
		return
	end
	out:write("kchaos-lua: this kernel cannot inject faults: ", table.concat(missing, ", "),
		"\n")
	if not os.getenv("KCHAOS_VM") then
		out:write("kchaos-lua: hint: kchaos-lua --vm --doctor checks a guest kernel that can; "
			.. "kchaos-lua --vm [options] script.lua runs a scenario in that guest\n")
	end
end

local function write_json(out, checks, ctx, missing)
	local doc = {
		kernel = ctx.release, machine = ctx.machine, libbcc = core.libbcc_version,
		config = ctx.config_src or false, can_inject = #missing == 0, sites = ctx.sites,
		checks = {},
	}
	for i, c in ipairs(checks) do
		doc.checks[i] = { name = c.name, verdict = c.verdict, detail = c.detail, fix = c.fix }
	end
	if #missing > 0 then doc.missing = missing end
	local json = require("cjson").new()
	out:write(json.encode(doc), "\n")
end

-- --doctor: prints every check and a verdict; returns 0 when this kernel can inject.
function M.run(opts)
	opts = opts or {}
	local out = io.stdout
	if opts.output then
		local f, err = io.open(opts.output, "w")
		if not f then error(("cannot write %s"):format(err), 0) end
		out = f
	end

	local ctx = new_context()
	local checks = run_checks(ctx)
	local missing = missing_pieces(checks)
	if opts.format == "json" then
		write_json(out, checks, ctx, missing)
	else
		write_text(out, checks, ctx, missing)
	end
	if out ~= io.stdout then out:close() end
	return #missing == 0 and 0 or 1
end

return M
