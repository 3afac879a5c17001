-- SPDX-License-Identifier: GPL-2.0-only
-- kchaos.rule: turns a user's rule table into a checked, normalized rule, or an error
-- that says which field is wrong and how to fix it. Pure Lua: kernel facts (the
-- error-injection list, kallsyms, stat) come from an `env` table, so tests can mock them.
local util = require "kchaos.util"

local M = {}

M.MAX_FRAMES = 8
-- Bounds that keep absurd values out of the generated C and the BPF maps.
M.MAX_RULES = 256
M.MAX_PREDICATE = 4096
M.MAX_HEADERS = 64
M.MAX_COUNT = 2 ^ 53		-- times and interval: exact in a Lua number
M.MAX_PID = 4194304		-- PID_MAX_LIMIT

M.SITES = {
	slab = {
		kind = "slab", func = "should_failslab", type = "ERRNO", retval = -12,
		params = "struct kmem_cache *s, gfp_t gfpflags", gfp = "gfpflags",
		headers = { "linux/slab.h" }, slab_stub = true,
	},
	page = {
		kind = "page", func = "should_fail_alloc_page", type = "TRUE", retval = 1,
		params = "gfp_t gfp_mask, unsigned int order", gfp = "gfp_mask",
	},
	bio = {
		kind = "bio", func = "should_fail_bio", type = "ERRNO", retval = -5,
		params = "struct bio *bio",
		headers = { "linux/blk_types.h", "linux/blkdev.h" },
	},
}
M.FAILTYPES = { [0] = "slab", [1] = "page", [2] = "bio" }

local FIELDS = {
	"name", "site", "failtype", "retval", "callchain", "headers", "probability", "times",
	"interval", "after", "duration", "pid", "tree", "comm", "cgroup", "gfp", "order",
	"cache", "size", "device", "op", "nofail", "on_inject", "stack", "params", "armed",
	"unsafe", "on_lost",
}
local FRAME_FIELDS = { "func", "funcname", "params", "parameters", "predicate" }
local SITE_ONLY = {
	gfp = { slab = true, page = true }, order = { page = true },
	cache = { slab = true }, size = { slab = true },
	device = { bio = true }, op = { bio = true },
}

-- Raises "where: rule 'name': msg", made fit to print (util.printable).
local function fail(where, name, msg, ...)
	local prefix = where and (where .. ": ") or ""
	local who = name and ("rule '%s': "):format(name) or "rule: "
	error(util.printable(prefix .. who .. msg:format(...)), 0)
end

local function is_ident(s)
	return type(s) == "string" and s:match("^[%a_][%w_]*$") ~= nil
end

-- Checks a C expression pasted into a probe: it must stay one expression.
function M.check_predicate(p)
	if type(p) ~= "string" then
		return nil, ("must be a string of C, not a %s"):format(type(p))
	end
	if p:match("^%s*$") then return nil, "is empty" end
	if #p > M.MAX_PREDICATE then
		return nil, ("is %d bytes long; at most %d are allowed"):format(#p, M.MAX_PREDICATE)
	end
	local stack, i, n = {}, 1, #p
	local pairs_ = { [")"] = "(", ["]"] = "[" }
	while i <= n do
		local c = p:sub(i, i)
		if c == '"' or c == "'" then
			local j = util.literal_end(p, i)
			-- Its bytes in order: a line end leaves it unclosed, as C reads it.
			local at = p:find("[^\32-\126]", i + 1)
			if at and at < (j or n + 1) and p:byte(at) ~= 10 then
				return nil, ("has a byte that is not printable ASCII (0x%02x) in the "
					.. "literal at column %d; write it as an escape"):format(p:byte(at), i)
			end
			if not j or (at and at < j) then
				return nil, ("has an unterminated %s literal at column %d")
					:format(c == '"' and "string" or "character", i)
			end
			i = j
		elseif c:match("[%a_]") then
			-- Identifiers: the program's own state and the override are out of reach.
			local id = p:match("^[%w_]+", i)
			if id:match("^kc_") or id == "ctx" or id == "bpf_override_return" then
				return nil, ("may not use '%s' (column %d): it belongs to the generated "
					.. "program"):format(id, i)
			end
			-- BPF helpers that only read (bpf_get_*, bpf_ktime_get_*) may be called; the
			-- others act (send signals, write memory, print) and may not.
			if id:match("^bpf_") and not (id:match("^bpf_get_") or id:match("^bpf_ktime_get_")) then
				return nil, ("may not call '%s' (column %d): a predicate only tests; of the "
					.. "BPF helpers it may call those that read (bpf_get_*, bpf_ktime_get_*)")
					:format(id, i)
			end
			i = i + #id - 1
		elseif c == "=" and p:sub(i + 1, i + 1) == "=" then
			i = i + 1
		elseif c == "=" and (not p:sub(i - 1, i - 1):match("[!<>]")
			or p:sub(i - 2, i - 1) == "<<" or p:sub(i - 2, i - 1) == ">>") then
			return nil, ("may not assign (column %d): a predicate only tests; for "
				.. "equality write '=='"):format(i)
		elseif (c == "+" or c == "-") and p:sub(i + 1, i + 1) == c then
			return nil, ("may not contain '%s' (column %d): a predicate only tests")
				:format(c .. c, i)
		elseif c == "(" or c == "[" then
			stack[#stack + 1] = c
		elseif c == ")" or c == "]" then
			if stack[#stack] ~= pairs_[c] then
				return nil, ("has an unbalanced '%s' at column %d"):format(c, i)
			end
			stack[#stack] = nil
		elseif c == ";" or c == "{" or c == "}" then
			return nil, ("may not contain '%s' (column %d): a predicate is one C "
				.. "expression, not statements"):format(c, i)
		elseif c == "#" or c == "\\" then
			return nil, ("may not contain '%s' (column %d)"):format(c, i)
		elseif c == "/" and (p:sub(i + 1, i + 1) == "/" or p:sub(i + 1, i + 1) == "*") then
			return nil, ("may not contain a comment (column %d)"):format(i)
		elseif p:match("^[<%%:][%%:>]", i) and ({ ["<%"] = 1, ["%>"] = 1, ["%:"] = 1,
			["<:"] = 1, [":>"] = 1 })[p:sub(i, i + 1)] then
			-- Digraphs spell { } # [ ] past the checks above.
			return nil, ("may not contain the digraph '%s' (column %d)"):format(p:sub(i, i + 1), i)
		elseif c == "?" and p:match("^%?%?[=/'()!<>%-]", i) then
			return nil, ("may not contain the trigraph '%s' (column %d)"):format(p:sub(i, i + 2), i)
		elseif c:byte() < 32 and c ~= "\t" and c ~= "\n" or c:byte() > 126 then
			return nil, ("has a byte that is not printable ASCII (0x%02x) at column %d")
				:format(c:byte(), i)
		end
		i = i + 1
	end
	if #stack > 0 then
		return nil, ("has an unclosed '%s'"):format(stack[#stack])
	end
	p = p:gsub("%s*\n%s*", " ")
	local ok, err = require("kchaos.codegen").expand_strings(p, {})
	if not ok then return nil, err end
	return p
end

-- Words that are a type, or part of one, never a parameter's name.
local TAGS = { struct = 1, union = 1, enum = 1 }
local TYPE_WORDS = setmetatable({ int = 1, long = 1, short = 1, char = 1, unsigned = 1,
	signed = 1, void = 1, float = 1, double = 1, _Bool = 1, bool = 1, const = 1,
	volatile = 1 }, { __index = TAGS })

-- Checks a C parameter list and returns it with the parameter names.
function M.check_params(s)
	if type(s) ~= "string" then
		return nil, ("must be a string like \"struct dentry *parent, int flags\", not a %s")
			:format(type(s))
	end
	if s:match("^%s*$") or s:match("^%s*void%s*$") then return "", {} end
	if s:find("[", 1, true) or s:find("]", 1, true) then
		return nil, "declares an array; a probe's parameter is a pointer (write 'type *name')"
	end
	if not s:match("^[%w_%s%*,]+$") then
		local bad = s:match("[^%w_%s%*,]")
		return nil, ("has '%s', which has no place in a C parameter list"):format(bad)
	end
	local names = {}
	for part in (s .. ","):gmatch("([^,]*),") do
		local decl = part:match("^%s*(.-)%s*$")
		local name = decl:match("([%a_][%w_]*)$")
		local before = name and decl:sub(1, #decl - #name):match("^(.-)%s*$") or ""
		local last = before:match("([%a_][%w_]*)$")
		if not name or before == "" or TYPE_WORDS[name]
			or (last and not before:find("*", 1, true) and TAGS[last]) then
			return nil, ("parameter %q needs a type and a name"):format(decl)
		end
		if name == "ctx" or name:match("^kc_") then
			return nil, ("parameter name '%s' is taken by the generated program; choose "
				.. "another"):format(name)
		end
		names[#names + 1] = name
	end
	if #names > 6 then
		return nil, ("has %d parameters; a probe reads only the first 6, from registers (list "
			.. "them up to the last one the predicate uses)"):format(#names)
	end
	return (s:gsub("%s+", " "):match("^%s*(.-)%s*$")), names
end

-- A C identifier, optionally with the compiler's clone suffixes ("foo.isra.0").
local function check_func_name(where, name, f, what)
	if type(f) ~= "string" or not f:gsub("%.[%w_]+", ""):match("^[%a_][%w_]*$") then
		fail(where, name, "%s %s is not a kernel function name (letters, digits and "
			.. "underscores, with a clone suffix such as .isra.0 if any)", what,
			type(f) == "string" and ("%q"):format(f) or tostring(f))
	end
	if #f > 511 then
		fail(where, name, "%s a kernel function name has at most 511 characters (KSYM_NAME_LEN), "
			.. "not %d", what, #f)
	end
end

local function check_symbol(where, name, env, f, what)
	if env.dry_run and env.symbol_here and env.warn then
		-- A dry run may be for another kernel (--vm's): a name this one lacks is a warning.
		if env.symbol_here(f) == false then
			env.warn(("%s: rule%s: %s '%s' is not in this machine's /proc/kallsyms; check "
				.. "the name, unless the kernel the rule will run on has it")
				:format(where or "?", name and (" '" .. name .. "'") or "", what, f))
		end
		return
	end
	if not env.symbol then return end
	local ok, clones = env.symbol(f)
	if ok ~= false then return end
	local hint = ""
	if clones and #clones > 0 then
		hint = (" This kernel has the compiler's clone%s %s; a clone's parameters may differ "
			.. "from the source, so name it only if you know its calling convention.")
			:format(#clones > 1 and "s" or "", table.concat(clones, ", "))
	end
	fail(where, name, "%s '%s' does not exist in this kernel (not in /proc/kallsyms; it may "
		.. "be inlined or named differently).%s", what, f, hint)
end

local function check_frames(where, name, chain, site, env)
	local frames, site_pred = {}, nil
	if type(chain) ~= "table" then
		fail(where, name, "callchain must be a list of frames like { func = \"name\", "
			.. "params = \"...\", predicate = \"...\" }, not a %s", type(chain))
	end
	if #chain > M.MAX_FRAMES + 1 then
		fail(where, name, "callchain has %d frames; at most %d are supported", #chain,
			M.MAX_FRAMES)
	end
	for k in pairs(chain) do
		if type(k) ~= "number" or k < 1 or k > #chain or k % 1 ~= 0 then
			fail(where, name, "callchain must be a plain list of frames; it has the key %s",
				tostring(k))
		end
	end
	local sigs = {}
	for i, fr in ipairs(chain) do
		if type(fr) ~= "table" then
			fail(where, name, "callchain frame %d must be a table, not a %s", i, type(fr))
		end
		for k in pairs(fr) do
			if not ({ func = 1, funcname = 1, params = 1, parameters = 1, predicate = 1 })[k] then
				local s = type(k) == "string" and util.suggest(k, FRAME_FIELDS)
				fail(where, name, "callchain frame %d has unknown field '%s'%s", i,
					tostring(k), s and (" (did you mean '" .. s .. "'?)") or
					" (frames take func, params and predicate)")
			end
		end
		local f = fr.func or fr.funcname
		if fr.func and fr.funcname and fr.func ~= fr.funcname then
			fail(where, name, "callchain frame %d gives both func and funcname", i)
		end
		local params, names = "", {}
		if fr.params or fr.parameters then
			params, names = M.check_params(fr.params or fr.parameters)
			if not params then
				fail(where, name, "callchain frame %d: params %s", i, names)
			end
		end
		local pred
		if fr.predicate ~= nil then
			local err
			pred, err = M.check_predicate(fr.predicate)
			if not pred then fail(where, name, "callchain frame %d: predicate %s", i, err) end
		end
		if f == nil or f == site.func then
			if i ~= #chain then
				fail(where, name, "callchain frame %d has no func; only the last frame may "
					.. "omit it (it is then a predicate on the fault site's arguments)", i)
			end
			site_pred = { params = (fr.params or fr.parameters) and params or nil,
				names = names, predicate = pred, frame = i }
		else
			check_func_name(where, name, f, ("callchain frame %d:"):format(i))
			if sigs[f] and sigs[f] ~= "" and params ~= "" and sigs[f] ~= params then
				fail(where, name, "callchain names '%s' twice with different params", f)
			end
			sigs[f] = sigs[f] ~= "" and sigs[f] or params
			check_symbol(where, name, env, f, ("callchain frame %d: function"):format(i))
			frames[#frames + 1] = { func = f, params = params, names = names,
				predicate = pred, index = i }
		end
	end
	if #frames > M.MAX_FRAMES then
		fail(where, name, "callchain has %d frames; at most %d are supported", #frames,
			M.MAX_FRAMES)
	end
	for _, fr in ipairs(frames) do
		fr.params = sigs[fr.func]
	end
	return frames, site_pred
end

-- Params over the site may stop at the last one a predicate reads; the generated checks
-- read the rest (gfp flags, order) under the site's own names, declared after them.
local function fill_site_params(where, name, sp, site)
	local _, defaults = M.check_params(site.params)
	if #sp.names >= #defaults then return end
	local taken = {}
	for _, n in ipairs(sp.names) do taken[n] = true end
	local i = 0
	for part in (site.params .. ","):gmatch("%s*([^,]-)%s*,") do
		i = i + 1
		if i > #sp.names then
			if taken[defaults[i]] then
				fail(where, name, "params name a parameter '%s', which %s has further on; "
					.. "declare all of them: %q", defaults[i], site.func, site.params)
			end
			sp.params = sp.params == "" and part or (sp.params .. ", " .. part)
			sp.names[i] = defaults[i]
		end
	end
end

local function resolve_site(where, name, spec, env)
	local s = spec.site
	if spec.failtype ~= nil then
		if s ~= nil then fail(where, name, "give site or failtype, not both") end
		s = M.FAILTYPES[spec.failtype]
		if not s then
			fail(where, name, "failtype %s is unknown; use 0 (slab), 1 (page) or 2 (bio)",
				tostring(spec.failtype))
		end
	end
	if s == nil then
		fail(where, name, "needs a site: \"slab\", \"page\", \"bio\" or an injectable "
			.. "function (see kchaos-lua -l)")
	end
	if type(s) ~= "string" then
		fail(where, name, "site must be a string, not a %s", type(s))
	end
	if M.SITES[s] then return M.SITES[s] end
	for _, site in pairs(M.SITES) do
		if site.func == s then return site end
	end
	if not is_ident(s) then
		fail(where, name, "site %q is unknown; use \"slab\", \"page\", \"bio\" or the name "
			.. "of an injectable function (see kchaos-lua -l)", s)
	end
	local list, err = nil, nil
	if env.injection_list then list, err = env.injection_list() end
	if not list then
		if env.dry_run then
			local builtin = {}
			for _, site in pairs(M.SITES) do builtin[#builtin + 1] = site.func end
			table.sort(builtin)
			local sug = util.suggest(s, builtin)
			if sug then
				fail(where, name, "'%s' is unknown (did you mean '%s'?)", s, sug)
			end
			-- Without the list (a host that cannot inject), a dry run takes the
			-- function on trust, and any retval of some error type.
			return { kind = "func", func = s, type = "unknown", unchecked = true }
		end
		fail(where, name, "cannot check that '%s' is injectable: %s", s, err or "no list")
	end
	local t = list[s]
	if not t then
		local names = {}
		for k in pairs(list) do names[#names + 1] = k end
		local sug = #names < 20000 and util.suggest(s, names)
		fail(where, name, "'%s' is not on this kernel's error-injection list, so it cannot "
			.. "be overridden%s; see `kchaos-lua -l` for the functions that can", s,
			sug and (" (did you mean '" .. sug .. "'?)") or "")
	end
	return { kind = "func", func = s, type = t }
end

local function check_retval(where, name, site, v)
	if v == nil then
		if site.retval then return site.retval end
		if site.type == "TRUE" then return 1 end
		if site.type == "NULL" then return 0 end
		if site.unchecked then
			fail(where, name, "needs a retval for '%s' (its error type is unknown here, "
				.. "without the kernel's error-injection list): an errno such as \"ENOENT\" "
				.. "or -2, 0 for NULL, 1 for true", site.func)
		end
		fail(where, name, "needs a retval for '%s' (type %s): an errno such as \"ENOENT\" or "
			.. "-2", site.func, site.type)
	end
	if type(v) == "string" then
		local e = util.errno[v:upper():gsub("^%-", "")]
		if not e then
			fail(where, name, "retval %q is not an errno name this tool knows; give a number "
				.. "such as -2", v)
		end
		v = -e
	end
	if type(v) ~= "number" or v % 1 ~= 0 then
		fail(where, name, "retval must be an integer or an errno name, not %s", tostring(v))
	end
	local t = site.type
	if site.unchecked then
		if v < -4095 or v > 1 then
			fail(where, name, "retval %d fits no error type: it takes an errno from -4095 to "
				.. "-1, 0 (NULL) or 1 (true)", v)
		end
		return v
	end
	local ok = (t == "ERRNO" and v >= -4095 and v <= -1) or (t == "NULL" and v == 0)
		or (t == "ERRNO_NULL" and (v == 0 or (v >= -4095 and v <= -1)))
		or (t == "TRUE" and v == 1)
	if not ok then
		local want = ({ ERRNO = "an errno from -4095 to -1", NULL = "0 (NULL)",
			ERRNO_NULL = "0 or an errno from -4095 to -1", TRUE = "1 (true)" })[t]
			or "a value of its type"
		fail(where, name, "retval %d does not fit '%s', whose error type is %s: it takes %s",
			v, site.func, t, want)
	end
	return v
end

-- A number as a user wrote it: whole numbers in full, huge ones with an exponent.
local function numtext(v)
	if v % 1 == 0 and math.abs(v) <= 2 ^ 53 then return ("%d"):format(v) end
	return ("%.14g"):format(v)
end

local function check_count(where, name, field, v, min, max)
	if v == nil then return nil end
	if type(v) ~= "number" or v % 1 ~= 0 or v ~= v then
		fail(where, name, "%s must be a whole number, not %s", field,
			type(v) == "number" and tostring(v) or ("a " .. type(v)))
	end
	if v < min then
		fail(where, name, "%s must be at least %d, not %s%s", field, min, numtext(v),
			field == "times" and " (leave times out for no limit)" or "")
	end
	max = max or M.MAX_COUNT
	if v > max then
		fail(where, name, "%s must be at most %s, not %s%s", field, numtext(max), numtext(v),
			field == "times" and " (leave times out for no limit)" or "")
	end
	return v
end

-- The GFP flag names of the kernel headers (6.1): a name outside them would only fail
-- when the generated C compiles, far from the rule.
local GFP_NAMES = {}
for w in ([[GFP_ATOMIC GFP_DMA GFP_DMA32 GFP_HIGHUSER GFP_HIGHUSER_MOVABLE GFP_KERNEL
	GFP_KERNEL_ACCOUNT GFP_MOVABLE_MASK GFP_NOFS GFP_NOIO GFP_NOWAIT GFP_TRANSHUGE
	GFP_TRANSHUGE_LIGHT GFP_USER GFP_ZONEMASK __GFP_ACCOUNT __GFP_ATOMIC __GFP_COMP
	__GFP_DIRECT_RECLAIM __GFP_DMA __GFP_DMA32 __GFP_FS __GFP_HARDWALL __GFP_HIGH
	__GFP_HIGHMEM __GFP_IO __GFP_KSWAPD_RECLAIM __GFP_MEMALLOC __GFP_MOVABLE __GFP_NOFAIL
	__GFP_NOLOCKDEP __GFP_NOMEMALLOC __GFP_NORETRY __GFP_NOWARN __GFP_RECLAIM
	__GFP_RECLAIMABLE __GFP_RETRY_MAYFAIL __GFP_SKIP_KASAN_POISON __GFP_SKIP_KASAN_UNPOISON
	__GFP_SKIP_ZERO __GFP_THISNODE __GFP_WRITE __GFP_ZERO __GFP_ZEROTAGS]]):gmatch("%S+") do
	GFP_NAMES[#GFP_NAMES + 1] = w
	GFP_NAMES[w] = true
end

local function check_gfp(where, name, v)
	if v == nil then return nil end
	if type(v) == "number" and v % 1 == 0 and v > 0 and v < 2 ^ 32 then
		return ("0x%x"):format(v)
	end
	if type(v) == "string" and v:match("^[%w_%s|]+$") then
		local words = {}
		for part in (v .. "|"):gmatch("([^|]*)|") do
			local word = part:match("^%s*(.-)%s*$")
			if not word:match("^[%w_]+$") then
				fail(where, name, "gfp: %q is not GFP flag names joined by single '|' (write "
					.. "names like \"__GFP_HIGHMEM|__GFP_MOVABLE\")", v)
			end
			if not (word:match("^__GFP_[%u%d_]+$") or word:match("^GFP_[%u%d_]+$")
				or word:match("^0x%x+$") or word:match("^%d+$")) then
				fail(where, name, "gfp: %q is not a GFP flag (write names like "
					.. "\"__GFP_HIGHMEM|__GFP_MOVABLE\")", word)
			end
			if word:match("GFP_") and not GFP_NAMES[word] then
				local sug = util.suggest(word, GFP_NAMES)
				fail(where, name, "gfp: %q is not a GFP flag name%s; give a flag of "
					.. "<linux/gfp_types.h>, or the mask as a number", word,
					sug and (" (did you mean '" .. sug .. "'?)") or "")
			end
			words[#words + 1] = word
		end
		return "(" .. table.concat(words, "|") .. ")"
	end
	fail(where, name, "gfp must be a positive mask or GFP flag names joined by '|', not %s",
		tostring(v))
end

local function check_device(where, name, v, env)
	if v == nil then return nil end
	if type(v) ~= "string" then
		fail(where, name, "device must be \"major:minor\" or a block device path, not a %s",
			type(v))
	end
	local ma, mi = v:match("^(%d+):(%d+)$")
	if ma then
		ma, mi = tonumber(ma), tonumber(mi)
		if ma > 4095 or mi > 1048575 then
			fail(where, name, "device %s is out of range (major up to 4095, minor up to "
				.. "1048575)", v)
		end
		-- A device that comes later (a loop device set up by the scenario) is allowed;
		-- the rule warns when it is made, so that a typo does not go unnoticed.
		local absent = env.stat and not env.stat(("/sys/dev/block/%d:%d"):format(ma, mi))
		return { major = ma, minor = mi, text = v, absent = absent or nil }
	end
	if not env.stat then return { text = v } end
	local st, err = env.stat(v)
	if not st then fail(where, name, "device %s", err) end
	if st.type ~= "block" then
		fail(where, name, "device '%s' is not a block device (it is a %s)", v, st.type)
	end
	return { major = st.rdev_major, minor = st.rdev_minor, text = v }
end

local function check_scope(where, name, spec)
	local sc = {}
	for _, k in ipairs { "pid", "tree" } do
		local v = spec[k]
		if v ~= nil then
			if type(v) == "table" and type(v.pid) == "function" then v = v:pid() end
			if type(v) ~= "number" or v % 1 ~= 0 or v < 1 then
				fail(where, name, "%s must be a process id (a positive whole number), not %s",
					k, tostring(v))
			end
			if v > M.MAX_PID then
				fail(where, name, "%s must be at most %d (the largest process id), not %s",
					k, M.MAX_PID, numtext(v))
			end
			if k == "pid" and v == 1 then
				fail(where, name, "pid 1 is init, which is never failed: the rule would "
					.. "never inject; scope it to another process")
			end
			sc[k] = v
		end
	end
	if spec.comm ~= nil then
		if type(spec.comm) ~= "string" or #spec.comm == 0 or #spec.comm > 15 or
			spec.comm:match("[%c\"\\]") then
			fail(where, name, "comm must be a process name of 1 to 15 characters (as in "
				.. "/proc/PID/comm), not %s", type(spec.comm) == "string" and
				("%q"):format(spec.comm) or tostring(spec.comm))
		end
		sc.comm = spec.comm
	end
	if spec.cgroup ~= nil then
		if type(spec.cgroup) ~= "string" or spec.cgroup == "" then
			fail(where, name, "cgroup must be a cgroup v2 path such as \"/sys/fs/cgroup/test\"")
		end
		sc.cgroup = spec.cgroup
	end
	return sc
end

-- Normalizes `spec` into a rule table. `where` is "script.lua:LINE".
-- Whether a rule has no scope at all: it applies to every process.
function M.unscoped(r)
	local sc = r.scope
	return not (sc.pid or sc.tree or sc.comm or sc.cgroup)
end

function M.normalize(spec, where, env)
	env = env or {}
	if type(spec) ~= "table" then
		fail(where, nil, "expects a table of fields, not a %s", type(spec))
	end
	local name = spec.name
	if name ~= nil and (type(name) ~= "string" or not name:match("^[%w_%-%.:/ ]+$") or #name > 64) then
		fail(where, nil, "name must be a short string of letters, digits, spaces and -_.:/, not %s",
			type(name) == "string" and ("%q"):format(name) or tostring(name))
	end
	for k in pairs(spec) do
		local known = false
		for _, f in ipairs(FIELDS) do if f == k then known = true break end end
		if not known then
			local s = type(k) == "string" and util.suggest(k, FIELDS)
			fail(where, name, "field '%s' is unknown%s", tostring(k),
				s and (" (did you mean '" .. s .. "'?)") or "")
		end
	end

	local site = resolve_site(where, name, spec, env)
	local r = { name = name, where = where, site = site }
	for k, kinds in pairs(SITE_ONLY) do
		if spec[k] ~= nil and not kinds[site.kind] then
			local list = {}
			for kk in pairs(kinds) do list[#list + 1] = kk end
			table.sort(list)
			fail(where, name, "field '%s' applies to %s rules only", k, table.concat(list, " and "))
		end
	end
	r.retval = check_retval(where, name, site, spec.retval)

	r.frames, r.site_pred = {}, nil
	if spec.callchain ~= nil then
		r.frames, r.site_pred = check_frames(where, name, spec.callchain, site, env)
	end
	if spec.params ~= nil then
		local p, names = M.check_params(spec.params)
		if not p then fail(where, name, "params %s", names) end
		r.site_pred = r.site_pred or {}
		if not r.site_pred.params then r.site_pred.params, r.site_pred.names = p, names end
	end
	if r.site_pred and r.site_pred.params and site.params then
		fill_site_params(where, name, r.site_pred, site)
	end
	if site.kind == "func" and r.site_pred and r.site_pred.predicate and not r.site_pred.params then
		fail(where, name, "the last frame's predicate is over '%s''s arguments; give their "
			.. "C declarations in that frame's params", site.func)
	end

	r.headers = {}
	if spec.headers ~= nil then
		if type(spec.headers) == "string" then spec.headers = { spec.headers } end
		if type(spec.headers) ~= "table" then
			fail(where, name, "headers must be a list of header names like \"linux/fs.h\"")
		end
		if #spec.headers > M.MAX_HEADERS then
			fail(where, name, "headers lists %d headers; at most %d are allowed",
				#spec.headers, M.MAX_HEADERS)
		end
		for i, h in ipairs(spec.headers) do
			if type(h) ~= "string" then
				fail(where, name, "headers[%d] must be a string, not a %s", i, type(h))
			end
			local hh = h:match("^%s*<(.-)>%s*$") or h:match('^%s*"(.-)"%s*$') or h
			if not hh:match("^[%w_%-/%.]+%.h$") or hh:match("%.%.") or hh:match("^/") then
				fail(where, name, "headers[%d] %q is not a header name like \"linux/fs.h\"", i, h)
			end
			r.headers[#r.headers + 1] = hh
		end
	end

	local p = 1
	if spec.probability ~= nil then
		local err
		p, err = util.probability(spec.probability)
		if not p then fail(where, name, "%s", err) end
	end
	r.probability = p
	r.times = check_count(where, name, "times", spec.times, 1)
	r.interval = check_count(where, name, "interval", spec.interval, 1)
	for _, k in ipairs { "after", "duration" } do
		if spec[k] ~= nil then
			local ns, err = util.duration(spec[k], k)
			if not ns then fail(where, name, "%s", err) end
			if k == "duration" and ns == 0 then
				fail(where, name, "duration must be longer than 0")
			end
			r[k] = ns
		end
	end

	r.scope = check_scope(where, name, spec)
	r.filters = {
		gfp = check_gfp(where, name, spec.gfp),
		order = check_count(where, name, "order", spec.order, 0, 31),
		size = check_count(where, name, "size", spec.size, 1, 2 ^ 32 - 1),
		device = check_device(where, name, spec.device, env),
	}
	if spec.cache ~= nil then
		if type(spec.cache) ~= "string" or not spec.cache:match("^[%w_%-%.:]+$") or
			#spec.cache > 63 then
			fail(where, name, "cache must be a slab cache name as in /proc/slabinfo, not %s",
				util.quote(spec.cache))
		end
		r.filters.cache = spec.cache
	end
	if spec.op ~= nil then
		if spec.op ~= "read" and spec.op ~= "write" then
			fail(where, name, "op must be \"read\" or \"write\", not %s", tostring(spec.op))
		end
		r.filters.op = spec.op
	end
	for _, k in ipairs { "nofail", "stack", "armed", "unsafe" } do
		if spec[k] ~= nil and type(spec[k]) ~= "boolean" then
			fail(where, name, "%s must be true or false, not %s", k, tostring(spec[k]))
		end
	end
	r.nofail = spec.nofail == true
	r.stack = spec.stack == true
	r.start_armed = spec.armed ~= false
	if spec.on_inject ~= nil and type(spec.on_inject) ~= "function" then
		fail(where, name, "on_inject must be a function(ev), not a %s", type(spec.on_inject))
	end
	r.on_inject = spec.on_inject
	if spec.on_lost ~= nil and type(spec.on_lost) ~= "function" then
		fail(where, name, "on_lost must be a function(ev), not a %s", type(spec.on_lost))
	end
	r.on_lost = spec.on_lost
	r.unsafe = spec.unsafe == true
	if not env.partial then M.check_broad(r, where, env) end
	return r
end

local EVERY = { slab = "slab allocation", page = "page allocation", bio = "block I/O request" }

-- Refuses a rule that would fail every call of a built-in site on the whole system: no
-- chain, no predicate, no scope (none of its own nor a default), no filter, probability
-- 1, no interval and no times. `unsafe = true` or --system (env.system) opts in.
function M.check_broad(r, where, env)
	local what = EVERY[r.site.kind]
	if not what or r.unsafe or env.system then return end
	if #r.frames > 0 or (r.site_pred and r.site_pred.predicate) then return end
	if next(r.scope) or (env.scope_default and next(env.scope_default)) then return end
	for _ in pairs(r.filters) do return end
	if r.probability < 1 or (r.interval or 1) > 1 or r.times then return end
	fail(where, r.name, "would fail every %s on this system (no callchain, no scope, no "
		.. "filter, probability 1); narrow it with a callchain, a scope (pid, tree, comm, "
		.. "cgroup) or a filter, or opt in with unsafe = true or --system", what)
end

-- A short description of a rule's chain: "d_alloc_parallel > should_failslab".
function M.chain_text(r)
	local parts = {}
	for _, fr in ipairs(r.frames) do parts[#parts + 1] = fr.func end
	parts[#parts + 1] = r.site.func
	return table.concat(parts, " > ")
end

return M
