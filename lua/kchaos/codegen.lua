-- SPDX-License-Identifier: GPL-2.0-only
-- kchaos.codegen: writes the BPF C for a set of rules compiled together, with the list
-- of programs to load and attach and a map from generated lines back to rules and
-- frames (so a compiler error names the rule and frame it came from). Pure Lua.
local util = require "kchaos.util"

local M = {}

local literal_end = util.literal_end

M.RING_PAGES = 256

local PRELUDE = [[
#define BPF_LICENSE GPL
#include <uapi/linux/ptrace.h>
]]

-- Headers cost most of a compile (three times the rest for a plain slab rule), so a rule
-- includes only what it reads. The gfp flags come alone where the kernel has them apart.
local GFP_HEADER = [[
#if __has_include(<linux/gfp_types.h>)
#include <linux/gfp_types.h>
#else
#include <linux/gfp.h>
#endif
struct kmem_cache;
struct bio;
]]

-- Included for a rule whose frames declare parameters but which names no headers: the
-- types most chains use (inject.py includes the same).
M.DEFAULT_HEADER = "linux/mm.h"

-- slub_def.h (struct kmem_cache) has inline helpers over mm/slab.h's struct slab, which
-- is not among the exported headers; these stand-ins only let it compile.
local SLAB_STUB = [[
struct slab {
	unsigned long __page_flags;
	unsigned int objects;
};
static inline void *slab_address(const struct slab *slab)
{
	return (void *)0;
}
#include <linux/slub_def.h>
]]

-- True when a rule reads the fields of its site's arguments (struct kmem_cache, struct
-- bio): a filter on them, or a predicate over the site's arguments.
local function reads_site(r)
	local f = r.filters or {}
	return (f.cache or f.size or f.device or f.op or
		(r.site_pred and r.site_pred.predicate)) and true or false
end

-- True when a frame or the site predicate declares parameters, whose types need headers.
local function declares_params(r)
	for _, fr in ipairs(r.frames or {}) do
		if fr.params and fr.params ~= "" then return true end
	end
	return r.site_pred and r.site_pred.params and r.site_pred.params ~= "" or false
end

-- String comparisons are generated per literal, character by character: libbcc does
-- not rewrite kernel pointer reads written inside macros, and literals stay off .rodata.
local function literal_bytes(lit)
	local out, i = {}, 1
	local esc = { n = 10, t = 9, r = 13, ["0"] = 0, ["\\"] = 92, ['"'] = 34, ["'"] = 39 }
	while i <= #lit do
		local c = lit:sub(i, i)
		if c == "\\" then
			local nx = lit:sub(i + 1, i + 1)
			if not esc[nx] then return nil, "has an escape other than \\n \\t \\r \\0 \\\\ \\\"" end
			out[#out + 1] = esc[nx]
			i = i + 2
		else
			out[#out + 1] = c:byte()
			i = i + 1
		end
	end
	out[#out + 1] = 0
	return out
end

-- Splits "a, b(c, d), \"e,f\"" at top-level commas.
local function split_args(s)
	local args, depth, cur, i = {}, 0, {}, 1
	while i <= #s do
		local c = s:sub(i, i)
		if c == '"' or c == "'" then
			local j = literal_end(s, i) or #s
			cur[#cur + 1] = s:sub(i, j)
			i = j
		elseif c == "(" or c == "[" then
			depth = depth + 1
			cur[#cur + 1] = c
		elseif c == ")" or c == "]" then
			depth = depth - 1
			cur[#cur + 1] = c
		elseif c == "," and depth == 0 then
			args[#args + 1] = table.concat(cur):match("^%s*(.-)%s*$")
			cur = {}
		else
			cur[#cur + 1] = c
		end
		i = i + 1
	end
	args[#args + 1] = table.concat(cur):match("^%s*(.-)%s*$")
	return args
end

-- Expands one STRCMP/STRNCMP call whose argument list is args; returns the C or nil and
-- a message.
local function expand_call(name, args, lits)
	local want = name == "STRCMP" and 2 or 3
	if #args ~= want then
		return nil, ("%s takes %d arguments, not %d"):format(name, want, #args)
	end
	-- The second argument must be exactly one string literal.
	if args[2]:sub(1, 1) ~= '"' or literal_end(args[2], 1) ~= #args[2] then
		return nil, ("%s's second argument must be a string literal"):format(name)
	end
	local bytes, err = literal_bytes(args[2]:sub(2, -2))
	if not bytes then return nil, ("%s's string %s"):format(name, err) end
	if #bytes > 64 then
		return nil, ("%s's string is longer than 63 characters"):format(name)
	end
	local n = #bytes
	if name == "STRNCMP" then
		n = tonumber(args[3])
		if not n or n < 1 or n % 1 ~= 0 then
			return nil, "STRNCMP's length must be a positive whole number"
		end
		n = math.min(n, #bytes)
	end
	lits[#lits + 1] = { bytes = bytes, n = n }
	return ("kc_str_%d((const char *)(%s))"):format(#lits, args[1])
end

-- Replaces STRCMP/STRNCMP calls in a predicate by calls to generated comparators, reading
-- the text as C does: a name inside a literal is part of the literal. Returns the new
-- text, or nil and a message.
function M.expand_strings(pred, lits)
	local out, pos, i = {}, 1, 1
	while i <= #pred do
		local c = pred:sub(i, i)
		if c == '"' or c == "'" then
			i = literal_end(pred, i)
			if not i then return nil, "has an unterminated literal" end
		elseif c:match("[%a_]") then
			local id = pred:match("^[%w_]+", i)
			local open = pred:match("^%s*%(()", i + #id)
			if (id == "STRCMP" or id == "STRNCMP") and open then
				-- The arguments end at the matching parenthesis, outside literals.
				local depth, j = 1, open
				while j <= #pred and depth > 0 do
					local d = pred:sub(j, j)
					if d == '"' or d == "'" then
						j = literal_end(pred, j)
						if not j then return nil, "has an unterminated literal" end
					elseif d == "(" then
						depth = depth + 1
					elseif d == ")" then
						depth = depth - 1
					end
					j = j + 1
				end
				if depth > 0 then return nil, ("%s has no closing ')'"):format(id) end
				local call, err = expand_call(id, split_args(pred:sub(open, j - 2)), lits)
				if not call then return nil, err end
				out[#out + 1] = pred:sub(pos, i - 1)
				out[#out + 1] = call
				pos, i = j, j - 1
			else
				i = i + #id - 1
			end
		end
		i = i + 1
	end
	out[#out + 1] = pred:sub(pos)
	return table.concat(out)
end

local function gen_literals(w, lits)
	for i, l in ipairs(lits) do
		local cmp = {}
		for k = 1, l.n do
			-- char may be signed: bytes above 127 compare as unsigned.
			local fmt = l.bytes[k] > 127 and "(unsigned char)b[%d] == %d" or "b[%d] == %d"
			cmp[#cmp + 1] = fmt:format(k - 1, l.bytes[k])
		end
		w:fmt(nil, "static __always_inline int kc_lit_%d(const char *b)\n{\n\treturn %s;\n}",
			i, table.concat(cmp, " && "))
		w:fmt(nil, "static __always_inline int kc_str_%d(const char *s)\n{", i)
		-- One byte more than the literal, so a longer string is not cut down to a match.
		w:fmt(nil, "\tchar b[%d] = {};\n\n\tbpf_probe_read_kernel_str(b, sizeof(b), s);",
			#l.bytes + 1)
		w:fmt(nil, "\treturn kc_lit_%d(b);\n}\n", i)
	end
end

local function cstr(s)
	return '"' .. s:gsub('[\\"]', "\\%0") .. '"'
end

-- Emits lines and records, for each, what it belongs to.
local function writer()
	local w = { lines = {}, map = {} }
	function w:add(text, tag)
		for line in (text .. "\n"):gmatch("(.-)\n") do
			self.lines[#self.lines + 1] = line
			self.map[#self.lines] = tag
		end
	end
	function w:fmt(tag, f, ...)
		self:add(f:format(...), tag)
	end
	return w
end

local function mkdev(d)
	return d.major * 2 ^ 20 + d.minor
end

local function site_params(r)
	local sp = r.site_pred
	if sp and sp.params then return sp.params end
	return r.site.params or ""
end

local function site_arg(r, default_index)
	-- Names the site's arguments by position, as the rule's params named them.
	local sp = r.site_pred
	if sp and sp.names and sp.names[default_index] then return sp.names[default_index] end
	local names = {}
	for part in ((r.site.params or "") .. ","):gmatch("([^,]*),") do
		names[#names + 1] = part:match("([%a_][%w_]*)%s*$")
	end
	return names[default_index]
end

local function frame_groups(r)
	-- One entry and one return program per distinct function of the chain.
	local groups, order = {}, {}
	for i, fr in ipairs(r.frames) do
		if not groups[fr.func] then
			groups[fr.func] = { func = fr.func, params = fr.params, frames = {} }
			order[#order + 1] = groups[fr.func]
		end
		table.insert(groups[fr.func].frames, i)
	end
	return order
end

local function gen_chain(w, r, idx, progs, ex)
	local n = #r.frames
	local st = ("kc_chain_r%d"):format(idx)
	local tag = { rule = r }
	w:fmt(tag, "struct %s_state {\n\tu32 calls[%d];\n\tu32 active[%d];\n\tu64 bits[%d];\n};",
		st, n, n, n)
	w:fmt(tag, "BPF_HASH(%s, u32, struct %s_state, 16384);\n", st, st)

	for gi, g in ipairs(frame_groups(r)) do
		local fn_in = ("kc_r%d_g%d_in"):format(idx, gi)
		local fn_out = ("kc_r%d_g%d_out"):format(idx, gi)
		local params = g.params ~= "" and (", " .. g.params) or ""
		w:fmt(tag, "int %s(struct pt_regs *ctx%s)\n{", fn_in, params)
		w:add("\tu32 kc_tid = (u32)bpf_get_current_pid_tgid();", tag)
		w:fmt(tag, "\tstruct %s_state kc_zero = {}, *kc_st;", st)
		w:add("\tu32 kc_d;\n\tint kc_ok;", tag)
		if g.frames[1] == 1 then
			w:fmt(tag, "\tkc_st = %s.lookup_or_try_init(&kc_tid, &kc_zero);", st)
		else
			w:fmt(tag, "\tkc_st = %s.lookup(&kc_tid);", st)
		end
		w:add("\tif (!kc_st)\n\t\treturn 0;", tag)
		-- Deepest frame first, so a recursive chain (f > f) needs two nested calls.
		for k = #g.frames, 1, -1 do
			local i = g.frames[k]
			local fr = r.frames[i]
			local ftag = { rule = r, frame = fr.index }
			w:fmt(ftag, "\t/* frame %d: %s */", fr.index, fr.func)
			w:fmt(ftag, "\tkc_d = kc_st->calls[%d];\n\tkc_st->calls[%d] = kc_d + 1;", i - 1, i - 1)
			local cond = i > 1 and ("kc_st->active[%d] > 0"):format(i - 2) or "1"
			w:fmt(ftag, "\tkc_ok = kc_d < 64 && %s;", cond)
			if ex.frames[i] then
				w:add("\tif (kc_ok)", ftag)
				w:add("\t\tkc_ok = !!(" .. ex.frames[i] .. ");", ftag)
			end
			w:fmt(ftag, "\tif (kc_ok) {\n\t\tkc_st->active[%d]++;\n\t\tkc_st->bits[%d] |= 1ULL << kc_d;\n\t}",
				i - 1, i - 1)
		end
		w:add("\treturn 0;\n}\n", tag)

		w:fmt(tag, "int %s(struct pt_regs *ctx)\n{", fn_out)
		w:add("\tu32 kc_tid = (u32)bpf_get_current_pid_tgid();", tag)
		w:fmt(tag, "\tstruct %s_state *kc_st = %s.lookup(&kc_tid);", st, st)
		w:add("\tu32 kc_d;\n\tif (!kc_st)\n\t\treturn 0;", tag)
		for _, i in ipairs(g.frames) do
			w:fmt(tag, "\tkc_d = kc_st->calls[%d];\n\tif (kc_d > 0) {", i - 1)
			w:fmt(tag, "\t\tkc_d--;\n\t\tkc_st->calls[%d] = kc_d;", i - 1)
			w:fmt(tag, "\t\tif (kc_d < 64 && (kc_st->bits[%d] & (1ULL << kc_d))) {", i - 1)
			w:fmt(tag, "\t\t\tkc_st->bits[%d] &= ~(1ULL << kc_d);", i - 1)
			w:fmt(tag, "\t\t\tkc_st->active[%d]--;\n\t\t}\n\t}", i - 1)
		end
		if g.frames[1] == 1 then
			w:fmt(tag, "\tif (kc_st->calls[0] == 0)\n\t\t%s.delete(&kc_tid);", st)
		end
		w:add("\treturn 0;\n}\n", tag)
		-- The return probe is attached before the entry probe and detached after it
		-- (sets close in reverse order): a call whose entry was counted always has its
		-- return counted, where the other order leaves a frame marked live for good
		-- when the call returns between the two attachments.
		progs[#progs + 1] = { fn = fn_out, kind = "kprobe", target = g.func, ret = true, rule = r }
		progs[#progs + 1] = { fn = fn_in, kind = "kprobe", target = g.func, rule = r }
	end
end

local function gen_site(w, r, idx, progs, ex)
	local tag = { rule = r }
	local fn = ("kc_r%d_site"):format(idx)
	local params = site_params(r)
	local f = r.filters
	w:fmt(tag, "/* rule %d%s: %s at %s */", idx, r.name and (" '" .. r.name .. "'") or "",
		r.site.func, ((r.where or "?"):gsub("%*/", "* /")))
	w:fmt(tag, "int %s(struct pt_regs *ctx%s)\n{", fn, params ~= "" and (", " .. params) or "")
	w:add([[
	u64 kc_id = bpf_get_current_pid_tgid();
	u32 kc_tgid = kc_id >> 32, kc_tid = (u32)kc_id, kc_zero = 0;
	u64 kc_now, kc_n, kc_count;
	struct kc_global *kc_g;
	struct kc_ctl *kc_c;
	struct kc_stats *kc_s;
	struct kc_event *kc_e;]], tag)
	w:fmt(tag, "\tu32 kc_idx = %d;", idx)
	-- The cheapest tests first: most calls are out of scope and end here.
	w:add([[
	kc_c = kc_ctl.lookup(&kc_idx);
	if (!kc_c || !kc_c->armed || kc_tgid <= 1)
		return 0;
	if (kc_c->pid && kc_c->pid != kc_tgid)
		return 0;
	if (kc_c->cgroup && bpf_get_current_cgroup_id() != kc_c->cgroup)
		return 0;]], tag)
	if r.scope.tree then
		w:add([[
	if (kc_c->tree_mask) {
		u64 *kc_m = kc_tree.lookup(&kc_tgid);
		if (!kc_m || !(*kc_m & kc_c->tree_mask))
			return 0;
	}]], tag)
	end
	if r.scope.comm then
		w:add("\t{\n\t\tchar kc_comm[16] = {};", tag)
		w:add("\t\tbpf_get_current_comm(&kc_comm, sizeof(kc_comm));", tag)
		w:fmt(tag, "\t\tif (!kc_lit_%d(kc_comm))\n\t\t\treturn 0;\n\t}", ex.comm)
	end
	if #r.frames > 0 then
		w:fmt(tag, "\tstruct kc_chain_r%d_state *kc_ch = kc_chain_r%d.lookup(&kc_tid);", idx, idx)
		w:fmt(tag, "\tif (!kc_ch || !kc_ch->active[%d])\n\t\treturn 0;", #r.frames - 1)
	end

	local gfp = r.site.gfp and site_arg(r, r.site.kind == "slab" and 2 or 1)
	if gfp and not r.nofail then
		w:fmt(tag, "\tif (%s & __GFP_NOFAIL)\n\t\treturn 0;", gfp)
	end
	if f.gfp then
		w:fmt(tag, "\tif ((%s & %s) != %s)\n\t\treturn 0;", gfp, f.gfp, f.gfp)
	end
	if f.order then
		w:fmt(tag, "\tif (%s < %d)\n\t\treturn 0;", site_arg(r, 2), f.order)
	end
	if f.cache then
		w:fmt(tag, "\tif (!kc_str_%d(%s->name))\n\t\treturn 0;", ex.cache, site_arg(r, 1))
	end
	if f.size then
		w:fmt(tag, "\tif (%s->object_size != %d)\n\t\treturn 0;", site_arg(r, 1), f.size)
	end
	if f.device then
		w:fmt(tag, "\tif (%s->bi_bdev->bd_dev != %d)\n\t\treturn 0;", site_arg(r, 1), mkdev(f.device))
	end
	if f.op then
		w:fmt(tag, "\tif ((%s->bi_opf & REQ_OP_MASK) != %s)\n\t\treturn 0;", site_arg(r, 1),
			f.op == "write" and "REQ_OP_WRITE" or "REQ_OP_READ")
	end
	if r.site_pred and r.site_pred.predicate then
		local ftag = { rule = r, frame = r.site_pred.frame, site = true }
		w:add("\tif (!(" .. ex.site .. "))", ftag)
		w:add("\t\treturn 0;", ftag)
	end
	-- Every call in scope: the lease, and kchaos-lua's own process, never failed.
	w:add([[
	kc_g = kc_global.lookup(&kc_zero);
	kc_now = bpf_ktime_get_ns();
	if (!kc_g || kc_tgid == kc_g->self_tgid || kc_now > kc_g->lease)
		return 0;
	if (kc_c->not_before && kc_now < kc_c->not_before)
		return 0;
	if (kc_c->not_after && kc_now >= kc_c->not_after)
		return 0;
	kc_s = kc_stats.lookup(&kc_idx);
	if (!kc_s)
		return 0;
	kc_n = __sync_fetch_and_add(&kc_s->matched, 1) + 1;
	if (kc_c->interval > 1 && kc_n % kc_c->interval)
		return 0;
	if (kc_c->prob < (1ULL << 32) && (u64)bpf_get_prandom_u32() >= kc_c->prob)
		return 0;
	if (__sync_fetch_and_add(&kc_s->claimed, 1) >= kc_c->times) {
		__sync_fetch_and_add(&kc_s->claimed, -1);
		return 0;
	}
	kc_count = __sync_fetch_and_add(&kc_s->injected, 1) + 1;
	kc_e = kc_events.ringbuf_reserve(sizeof(struct kc_event));
	if (kc_e) {
		kc_e->time = kc_now;
		kc_e->count = kc_count;
		kc_e->cgroup = bpf_get_current_cgroup_id();
		kc_e->retval = kc_c->retval;
		kc_e->pid = kc_tgid;
		kc_e->tid = kc_tid;]], tag)
	w:fmt(tag, "\t\tkc_e->rule = %d;", r.id or idx)
	if r.stack then
		w:add("\t\tkc_e->stack_id = kc_stacks.get_stackid(ctx, 0);", tag)
	else
		w:add("\t\tkc_e->stack_id = -1;", tag)
	end
	w:add([[
		bpf_get_current_comm(&kc_e->comm, sizeof(kc_e->comm));
		kc_events.ringbuf_submit(kc_e, 0);
	} else {
		u64 *kc_l = kc_lost.lookup(&kc_zero);

		__sync_fetch_and_add(&kc_s->lost, 1);
		if (kc_l)
			__sync_fetch_and_add(kc_l, 1);
	}
	bpf_override_return(ctx, kc_c->retval);
	return 0;
}
]], tag)
	progs[#progs + 1] = { fn = fn, kind = "kprobe", target = r.site.func, rule = r, site = true }
end

local TREE = [[
/*
 * Process trees: a child inherits its parent's tree bits. The record layout is that of
 * the sched_process_fork tracepoint, stable since 4.x.
 */
struct kc_fork_args {
	u64 common;
	char parent_comm[16];
	s32 parent_pid;
	char child_comm[16];
	s32 child_pid;
};

int kc_tree_fork(struct kc_fork_args *args)
{
	u32 kc_parent = bpf_get_current_pid_tgid() >> 32;
	u64 *kc_m = kc_tree.lookup(&kc_parent);
	u32 kc_child = args->child_pid;
	u64 kc_v;

	if (kc_m) {
		kc_v = *kc_m;
		kc_tree.update(&kc_child, &kc_v);
	}
	return 0;
}

int kc_tree_exit(void *args)
{
	u64 kc_id = bpf_get_current_pid_tgid();
	u32 kc_tgid = kc_id >> 32;

	if ((u32)kc_id == kc_tgid)
		kc_tree.delete(&kc_tgid);
	return 0;
}
]]

-- Generates the program set for `rules` (normalized, each with .id).
-- Returns { text =, lines = map, progs = { {fn, kind, target, ret, rule} }, tree = bool }.
function M.generate(rules)
	local w = writer()
	local progs = {}
	local headers, seen = {}, {}
	local any_tree, any_stack, stub = false, false, false
	local function include(h, r)
		if not seen[h] then seen[h] = true; headers[#headers + 1] = { h = h, rule = r } end
	end
	for _, r in ipairs(rules) do
		if reads_site(r) then
			for _, h in ipairs(r.site.headers or {}) do include(h) end
			stub = stub or r.site.slab_stub
		end
		if #r.headers == 0 and declares_params(r) then include(M.DEFAULT_HEADER) end
		for _, h in ipairs(r.headers) do include(h, r) end
		any_tree = any_tree or r.scope.tree ~= nil
		any_stack = any_stack or r.stack
	end

	w:add(("/* BPF program set generated by kchaos-lua: %d rule%s */"):format(#rules,
		#rules == 1 and "" or "s"))
	w:add(PRELUDE)
	w:add(GFP_HEADER)
	for _, h in ipairs(headers) do
		w:add(("#include <%s>"):format(h.h), h.rule and { rule = h.rule, header = h.h } or nil)
	end
	if stub then w:add(SLAB_STUB) end
	w:add('#include "kchaos.h"\n')
	w:fmt(nil, "BPF_ARRAY(kc_ctl, struct kc_ctl, %d);", math.max(#rules, 1))
	w:fmt(nil, "BPF_ARRAY(kc_stats, struct kc_stats, %d);", math.max(#rules, 1))
	w:add("BPF_ARRAY(kc_global, struct kc_global, 1);")
	w:add("BPF_ARRAY(kc_lost, u64, 1);	/* events lost by all rules, for the loop to poll */")
	w:fmt(nil, "BPF_RINGBUF_OUTPUT(kc_events, %d);", M.RING_PAGES)
	if any_stack then w:add("BPF_STACK_TRACE(kc_stacks, 1024);") end
	if any_tree then w:add("BPF_HASH(kc_tree, u32, u64, 65536);") end
	w:add("")

	-- String comparisons first: every program below may call them.
	local lits, exs = {}, {}
	local function expand(r, text)
		local out, err = M.expand_strings(text, lits)
		if not out then error(("%s: %s"):format(r.where or "?", err), 0) end
		return out
	end
	for idx, r in ipairs(rules) do
		local ex = { frames = {} }
		for i, fr in ipairs(r.frames) do
			if fr.predicate then ex.frames[i] = expand(r, fr.predicate) end
		end
		if r.site_pred and r.site_pred.predicate then ex.site = expand(r, r.site_pred.predicate) end
		if r.scope.comm then
			local bytes = { r.scope.comm:byte(1, -1) }
			bytes[#bytes + 1] = 0
			lits[#lits + 1] = { bytes = bytes, n = #bytes }
			ex.comm = #lits
		end
		if r.filters.cache then
			expand(r, ("STRCMP(x, %s)"):format(cstr(r.filters.cache)))
			ex.cache = #lits
		end
		exs[idx] = ex
	end
	gen_literals(w, lits)
	if any_tree then w:add(TREE) end
	for idx, r in ipairs(rules) do
		if #r.frames > 0 then gen_chain(w, r, idx - 1, progs, exs[idx]) end
		gen_site(w, r, idx - 1, progs, exs[idx])
	end
	if any_tree then
		progs[#progs + 1] = { fn = "kc_tree_fork", kind = "tracepoint",
			category = "sched", target = "sched_process_fork" }
		progs[#progs + 1] = { fn = "kc_tree_exit", kind = "tracepoint",
			category = "sched", target = "sched_process_exit" }
	end
	return { text = table.concat(w.lines, "\n") .. "\n", lines = w.map, progs = progs,
		tree = any_tree, stack = any_stack }
end

return M
