-- SPDX-License-Identifier: GPL-2.0-only
-- kchaos.engine: compiles rules into a program set, loads and attaches it, and reads and
-- writes its maps. Errors from the compiler, the verifier and the kernel are turned
-- into messages that name the rule (and frame) they came from and how to fix them.
local core = require "kchaos.core"
local ffi = require "ffi"
local codegen = require "kchaos.codegen"
local kernel = require "kchaos.kernel"
local rule = require "kchaos.rule"

local M = {}

M.bpfdir = core.datadir .. "/bpf"

-- The shared structs, read from the very header the BPF side includes.
do
	local f = assert(io.open(M.bpfdir .. "/kchaos.h", "rb"))
	local text = f:read("*a")
	f:close()
	text = text:gsub("/%*.-%*/", ""):gsub("\n#[^\n]*", "\n")
	ffi.cdef [[
typedef uint32_t __u32;
typedef uint64_t __u64;
typedef int32_t __s32;
typedef int64_t __s64;
]]
	ffi.cdef(text)
end

local u32 = ffi.typeof("uint32_t[1]")
local ctl_t = ffi.typeof("struct kc_ctl")
local stats_t = ffi.typeof("struct kc_stats")
local global_t = ffi.typeof("struct kc_global")

local function key(i)
	return ffi.string(u32(i), 4)
end

local function fail(r, msg, ...)
	local where = r and r.where and (r.where .. ": ") or ""
	local who = r and (r.name and ("rule '%s': "):format(r.name) or "rule: ") or ""
	error(where .. who .. msg:format(...), 0)
end

-- Explains clang's diagnostics: each error is tied to the rule and frame it came from.
local function explain_compile(gen, diag)
	local first, details = nil, {}
	for line in diag:gmatch("[^\n]+") do
		local ln, col, kind, msg = line:match("^[^:]*main%.c:(%d+):(%d+): (%a+ ?%a*): (.*)$")
		if ln and (kind == "error" or kind == "fatal error") then
			local tag = gen.lines[tonumber(ln)]
			details[#details + 1] = "  " .. msg
			if not first then first = { tag = tag, msg = msg } end
		end
	end
	if not first then
		error("the BPF compiler failed without a diagnostic:\n" .. diag, 0)
	end
	local tag = first.tag
	local r = tag and tag.rule
	local hdr = first.msg:match("'(.-)' file not found")
	if hdr then
		fail(r, "header '%s' does not exist in this kernel's headers; check its path "
			.. "(relative to include/, like \"linux/fs.h\")", hdr)
	end
	if tag and tag.frame then
		fail(r, "the predicate of callchain frame %d does not compile: %s", tag.frame,
			table.concat(details, "\n"):gsub("^%s+", ""))
	end
	if r then
		fail(r, "the generated BPF C does not compile: %s", table.concat(details, "\n")
			:gsub("^%s+", ""))
	end
	error("the generated BPF C does not compile:\n" .. diag, 0)
end

local function explain_load(p, err, log)
	if log:find("bpf_override_return", 1, true) and
		(log:find("unknown func", 1, true) or log:find("cannot use helper", 1, true)) then
		fail(p.rule, "this kernel cannot override function returns: it lacks "
			.. "CONFIG_BPF_KPROBE_OVERRIDE (check with --doctor, or run with --vm)")
	end
	local tail = {}
	for line in log:gmatch("[^\n]+") do tail[#tail + 1] = line end
	local last = table.concat(tail, "\n", math.max(1, #tail - 6))
	if p.rule then
		fail(p.rule, "the kernel's verifier rejected its program %s (%s):\n%s", p.fn, err, last)
	end
	error(("the kernel's verifier rejected %s (%s):\n%s"):format(p.fn, err, last), 0)
end

local function explain_attach(p, err)
	if p.site and err:find("EINVAL", 1, true) then
		fail(p.rule, "the kernel refused to override '%s' (%s); it must be on the "
			.. "error-injection list (see kchaos-lua -l) and the kernel needs "
			.. "CONFIG_BPF_KPROBE_OVERRIDE", p.target, err)
	end
	if err:find("ENOENT", 1, true) or err:find("EINVAL", 1, true) then
		fail(p.rule, "cannot probe '%s': %s (is it a real, non-inlined function? check "
			.. "/proc/kallsyms)", p.target, err)
	end
	fail(p.rule, "%s", err)
end

function M.cflags()
	return { "-I" .. M.bpfdir, "-Wno-unused-variable", "-Wno-unused-function" }
end

-- What a kernel needs to override a function's return.
local NEEDED = { "CONFIG_KPROBES", "CONFIG_KPROBE_EVENTS", "CONFIG_FUNCTION_ERROR_INJECTION",
	"CONFIG_BPF_KPROBE_OVERRIDE" }

-- Before the first compile: a kernel whose config says it cannot override is told so at
-- once, rather than after a compile (or a search for headers) that could not help.
-- Kernels whose config is unknown go on, and the loader says what is missing.
function M.preflight(r)
	if M.preflown then return end
	local cfg, missing = kernel.config(), {}
	for _, opt in ipairs(cfg and NEEDED or {}) do
		if cfg[opt] ~= "y" then missing[#missing + 1] = opt end
	end
	if #missing > 0 then
		fail(r, "this kernel cannot inject faults: it lacks %s (check with --doctor, or run "
			.. "with --vm)", table.concat(missing, ", "))
	end
	M.preflown = true
end

-- Compiles rules (each normalized, with .id) into a program set; nothing is attached.
-- With `lease_ns`, the sets already open keep renewing their lease while it compiles.
function M.compile(rules, lease_ns)
	local gen = codegen.generate(rules)
	local hdr, herr = kernel.headers()
	if not hdr then error(herr .. "; run with --vm, or see --doctor", 0) end
	local ps, diag = core.compile(gen.text, M.cflags(), lease_ns)
	if not ps then explain_compile(gen, diag or "") end
	return { ps = ps, gen = gen, rules = rules }
end

-- Loads and attaches a compiled set, then starts its ring buffer. On error everything
-- of the set is closed, so nothing stays attached.
function M.attach(set)
	local ok, err = pcall(function()
		local fds = {}
		for _, p in ipairs(set.gen.progs) do
			local fd = fds[p.fn]
			if not fd then
				local lerr, log
				fd, lerr, log = set.ps:load(p.fn, p.kind)
				if not fd then explain_load(p, lerr, log or "") end
				fds[p.fn] = fd
			end
			local ok2, aerr
			if p.kind == "tracepoint" then
				ok2, aerr = set.ps:attach_tracepoint(fd, p.category, p.target)
			else
				ok2, aerr = set.ps:attach_kprobe(fd, p.target, p.ret)
			end
			if not ok2 then explain_attach(p, aerr) end
		end
		local rok, rerr = set.ps:ring("kc_events")
		if not rok then error("cannot open the event ring buffer: " .. rerr, 0) end
	end)
	if not ok then
		set.ps:close()
		error(err, 0)
	end
end

function M.close(set)
	set.ps:close()
end

-- Writes the global settings (own pid, lease deadline).
function M.set_global(set, lease_ns)
	local g = global_t()
	g.self_tgid = core.getpid()
	g.lease = lease_ns
	assert(set.ps:update("kc_global", key(0), ffi.string(g, ffi.sizeof(g))))
end

-- Writes a rule's control block from its live settings.
function M.write_ctl(set, idx, live)
	local c = ctl_t()
	c.armed = live.armed and 1 or 0
	c.pid = live.pid or 0
	c.tree_mask = live.tree_mask or 0
	c.cgroup = live.cgroup or 0
	c.prob = math.floor(live.probability * 4294967296 + 0.5)
	c.times = live.times or ffi.cast("uint64_t", -1)
	c.interval = live.interval or 0
	c.not_before = live.not_before or 0
	c.not_after = live.not_after or 0
	c.retval = live.retval
	local ok, err = set.ps:update("kc_ctl", key(idx), ffi.string(c, ffi.sizeof(c)))
	if not ok then error("cannot update a rule's control block: " .. err, 0) end
end

-- Reads a rule's counters.
function M.read_stats(set, idx)
	local raw = set.ps:lookup("kc_stats", key(idx))
	if not raw then return { matched = 0, injected = 0, lost = 0 } end
	local s = stats_t()
	ffi.copy(s, raw, ffi.sizeof(s))
	return { matched = tonumber(s.matched), injected = tonumber(s.injected),
		lost = tonumber(s.lost) }
end

-- Reads the count of events lost by all the set's rules (one lookup, polled every turn).
function M.read_lost(set)
	local raw = set.ps:lookup("kc_lost", key(0))
	if not raw then return 0 end
	local v = ffi.new("uint64_t[1]")
	ffi.copy(v, raw, 8)
	return tonumber(v[0])
end

-- Puts a process (and, by the fork hook, its future children) into tree bit `bit`.
function M.tree_add(set, pid, mask)
	local v = ffi.new("uint64_t[1]")
	local old = set.ps:lookup("kc_tree", key(pid))
	if old then ffi.copy(v, old, 8) end
	v[0] = bit.bor(v[0], mask)
	assert(set.ps:update("kc_tree", key(pid), ffi.string(v, 8)))
end

function M.stack(set, id)
	return kernel.symbolize(set.ps:stack("kc_stacks", id))
end

M.chain_text = rule.chain_text
return M
