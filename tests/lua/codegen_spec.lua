-- SPDX-License-Identifier: GPL-2.0-only
-- Specification of kchaos.codegen: the BPF C, program list and line map written for a set
-- of rules. Rules are built by kchaos.rule with a mock env; no kernel or compiler is needed.
local rule = require "kchaos.rule"
local codegen = require "kchaos.codegen"

local ENV = {
	injection_list = function()
		return {
			should_failslab = "ERRNO", should_fail_alloc_page = "TRUE",
			should_fail_bio = "ERRNO", __x64_sys_openat = "ERRNO", some_null_func = "NULL",
		}
	end,
	symbol = function() return true end,
	stat = function() return nil, "no such file" end,
	system = true,	-- broad rules are fine here; rule_spec covers their refusal
}

-- A normalized rule named 'n' on `site` from x.lua:3, with id `id` (default 1).
local function make(site, fields, id)
	local spec = { name = "n", site = site }
	for k, v in pairs(fields or {}) do spec[k] = v end
	local r = rule.normalize(spec, "x.lua:3", ENV)
	r.id = id or 1
	return r
end

local function has(text, fragment)
	return text:find(fragment, 1, true) ~= nil
end

local function count(text, fragment)
	local n, at = 0, 1
	while true do
		local s, e = text:find(fragment, at, true)
		if not s then return n end
		n, at = n + 1, e + 1
	end
end

-- The programs of a generated set as { fn, kind, target, ret } rows.
local function prog_rows(g)
	local rows = {}
	for _, p in ipairs(g.progs) do
		rows[#rows + 1] = { p.fn, p.kind, p.target, p.ret or false }
	end
	return rows
end

-- The number of the first generated line containing `fragment`.
local function line_of(g, fragment)
	local n = 0
	for line in g.text:gmatch("([^\n]*)\n") do
		n = n + 1
		if has(line, fragment) then return n end
	end
	error("no generated line contains " .. fragment)
end

-- A slab rule whose chain names the same function twice: f > f > should_failslab.
local function twice()
	return make("slab", { callchain = { { func = "f" }, { func = "f" } } })
end

local function expand(pred)
	local lits = {}
	local out, err = codegen.expand_strings(pred, lits)
	return out or err, lits
end

describe("kchaos.codegen generate", function()
	it("writes one kprobe program on the site per rule", function()
		local g = codegen.generate { make("slab", nil, 1), make("bio", nil, 2) }
		assert.are.same({
			{ "kc_r0_site", "kprobe", "should_failslab", false },
			{ "kc_r1_site", "kprobe", "should_fail_bio", false },
		}, prog_rows(g))
	end)

	it("declares the site program with the site's parameters", function()
		local g = codegen.generate { make("slab") }
		assert.is_true(has(g.text,
			"int kc_r0_site(struct pt_regs *ctx, struct kmem_cache *s, gfp_t gfpflags)\n{"))
	end)

	it("marks the site program as the site", function()
		local g = codegen.generate { make("bio") }
		assert.is_true(g.progs[1].site)
	end)

	it("writes the rule's id into its events", function()
		local g = codegen.generate { make("slab", nil, 7) }
		assert.is_true(has(g.text, "\t\tkc_e->rule = 7;\n"))
	end)

	describe("safety", function()
		it("never fails kchaos-lua itself, PID 0 or PID 1, nor once the lease ran out", function()
			local g = codegen.generate { make("slab") }
			assert.are.same({ true, true }, {
				has(g.text, "\tif (!kc_c || !kc_c->armed || kc_tgid <= 1)\n\t\treturn 0;\n"),
				has(g.text, "\tif (!kc_g || kc_tgid == kc_g->self_tgid || "
					.. "kc_now > kc_g->lease)\n\t\treturn 0;\n") })
		end)

		it("tests the scope before reading the clock", function()
			local g = codegen.generate { make("slab", { pid = 42 }) }
			assert.is_true(line_of(g, "kc_c->pid != kc_tgid") <
				line_of(g, "kc_now = bpf_ktime_get_ns();"))
		end)

		it("checks the lease before counting a call as matched", function()
			local g = codegen.generate { make("slab") }
			assert.is_true(line_of(g, "kc_now > kc_g->lease") <
				line_of(g, "__sync_fetch_and_add(&kc_s->matched, 1)"))
		end)

		it("takes a ticket against times atomically, and gives it back when over", function()
			local g = codegen.generate { make("slab", { times = 3 }) }
			assert.is_true(has(g.text, "\tif (__sync_fetch_and_add(&kc_s->claimed, 1) >= "
				.. "kc_c->times) {\n\t\t__sync_fetch_and_add(&kc_s->claimed, -1);\n"))
		end)

		it("counts an event the ring buffer has no room for, per rule and in all", function()
			local g = codegen.generate { make("slab") }
			assert.is_true(has(g.text, "BPF_ARRAY(kc_lost, u64, 1);"))
			assert.is_true(has(g.text, "\t} else {\n\t\tu64 *kc_l = kc_lost.lookup(&kc_zero);\n\n"
				.. "\t\t__sync_fetch_and_add(&kc_s->lost, 1);\n\t\tif (kc_l)\n"
				.. "\t\t\t__sync_fetch_and_add(kc_l, 1);\n\t}\n"))
		end)

		it("keeps a rule's location from closing the comment it is written in", function()
			local r = make("slab")
			r.where = "x*/ int evil; /*.lua:3"
			local g = codegen.generate { r }
			assert.is_true(has(g.text, "at x* / int evil; /*.lua:3 */\n"))
		end)

		it("sizes the ring buffer by RING_PAGES", function()
			local old = codegen.RING_PAGES
			codegen.RING_PAGES = 4
			local g = codegen.generate { make("slab") }
			codegen.RING_PAGES = old
			assert.is_true(has(g.text, "BPF_RINGBUF_OUTPUT(kc_events, 4);"))
		end)
	end)

	it("sizes the control and stats arrays by the number of rules", function()
		local g = codegen.generate { make("slab"), make("page"), make("bio") }
		assert.are.same({ true, true }, { has(g.text, "BPF_ARRAY(kc_ctl, struct kc_ctl, 3);"),
			has(g.text, "BPF_ARRAY(kc_stats, struct kc_stats, 3);") })
	end)

	-- The return program comes first: attached in this order (and detached in the
	-- reverse), a call whose entry was counted always has its return counted too.
	it("writes return and entry programs per distinct chain function, return first", function()
		local g = codegen.generate { make("slab", { callchain = {
			{ func = "d_alloc_parallel" }, { func = "d_alloc" },
		} }) }
		assert.are.same({
			{ "kc_r0_g1_out", "kprobe", "d_alloc_parallel", true },
			{ "kc_r0_g1_in", "kprobe", "d_alloc_parallel", false },
			{ "kc_r0_g2_out", "kprobe", "d_alloc", true },
			{ "kc_r0_g2_in", "kprobe", "d_alloc", false },
			{ "kc_r0_site", "kprobe", "should_failslab", false },
		}, prog_rows(g))
	end)

	it("creates the chain state only in the outermost frame's entry program", function()
		local g = codegen.generate { make("slab", { callchain = {
			{ func = "d_alloc_parallel" }, { func = "d_alloc" },
		} }) }
		assert.are.same({ 1, 1 }, { count(g.text, "kc_chain_r0.lookup_or_try_init(&kc_tid"),
			count(g.text, "\tkc_st = kc_chain_r0.lookup(&kc_tid);") })
	end)

	it("injects only while the innermost frame is active", function()
		local g = codegen.generate { make("slab", { callchain = {
			{ func = "d_alloc_parallel" }, { func = "d_alloc" },
		} }) }
		assert.is_true(has(g.text, "\tif (!kc_ch || !kc_ch->active[1])\n\t\treturn 0;"))
	end)

	it("declares an entry program with its frame's parameters", function()
		local g = codegen.generate { make("slab", { callchain = {
			{ func = "d_alloc_parallel",
				params = "struct dentry *parent, const struct qstr *name" },
		} }) }
		assert.is_true(has(g.text, "int kc_r0_g1_in(struct pt_regs *ctx, struct dentry *parent, "
			.. "const struct qstr *name)\n{"))
	end)

	it("writes a single entry program for a function named twice in a chain", function()
		local g = codegen.generate { twice() }
		assert.are.same({
			{ "kc_r0_g1_out", "kprobe", "f", true },
			{ "kc_r0_g1_in", "kprobe", "f", false },
			{ "kc_r0_site", "kprobe", "should_failslab", false },
		}, prog_rows(g))
	end)

	it("processes the deeper frame first in a function named twice", function()
		local g = codegen.generate { twice() }
		assert.is_true(line_of(g, "/* frame 2: f */") < line_of(g, "/* frame 1: f */"))
	end)

	it("makes the deeper frame of a function named twice wait for the outer one", function()
		local g = codegen.generate { twice() }
		assert.is_true(has(g.text, "\t/* frame 2: f */\n\tkc_d = kc_st->calls[1];\n"
			.. "\tkc_st->calls[1] = kc_d + 1;\n\tkc_ok = kc_d < 64 && kc_st->active[0] > 0;"))
	end)

	it("pastes a frame predicate into its frame's check", function()
		local g = codegen.generate { make("slab", { callchain = {
			{ func = "d_alloc", params = "struct dentry *parent", predicate = "parent != 0" },
		} }) }
		assert.is_true(has(g.text, "\tif (kc_ok)\n\t\tkc_ok = !!(parent != 0);\n"))
	end)

	it("pastes a site predicate as a guard in the site program", function()
		local g = codegen.generate { make("slab", {
			callchain = { { predicate = "gfpflags & 1" } },
		}) }
		assert.is_true(has(g.text, "\tif (!(gfpflags & 1))\n\t\treturn 0;\n"))
	end)

	it("declares the site program with the site predicate's params", function()
		local g = codegen.generate { make("some_null_func", { callchain = {
			{ params = "int x", predicate = "x > 0" },
		} }) }
		assert.is_true(has(g.text, "int kc_r0_site(struct pt_regs *ctx, int x)\n{"))
	end)

	describe("nofail", function()
		it("skips __GFP_NOFAIL slab allocations when nofail is omitted", function()
			local g = codegen.generate { make("slab") }
			assert.is_true(has(g.text, "\tif (gfpflags & __GFP_NOFAIL)\n\t\treturn 0;"))
		end)

		it("skips __GFP_NOFAIL page allocations when nofail is omitted", function()
			local g = codegen.generate { make("page") }
			assert.is_true(has(g.text, "\tif (gfp_mask & __GFP_NOFAIL)\n\t\treturn 0;"))
		end)

		it("fails __GFP_NOFAIL allocations too with nofail = true", function()
			local g = codegen.generate { make("slab", { nofail = true }) }
			assert.is_false(has(g.text, "__GFP_NOFAIL"))
		end)

		it("uses the gfp name given in the site predicate's params", function()
			local g = codegen.generate { make("slab", { callchain = {
				{ params = "struct kmem_cache *c, gfp_t flags", predicate = "c != 0" },
			} }) }
			assert.is_true(has(g.text, "\tif (flags & __GFP_NOFAIL)\n\t\treturn 0;"))
		end)

		it("does not look for gfp flags on a bio rule", function()
			local g = codegen.generate { make("bio") }
			assert.is_false(has(g.text, "__GFP_NOFAIL"))
		end)
	end)

	describe("filters", function()
		it("requires every flag of a gfp filter", function()
			local g = codegen.generate { make("page", { gfp = "__GFP_HIGHMEM|__GFP_MOVABLE" }) }
			assert.is_true(has(g.text, "\tif ((gfp_mask & (__GFP_HIGHMEM|__GFP_MOVABLE)) != "
				.. "(__GFP_HIGHMEM|__GFP_MOVABLE))\n\t\treturn 0;"))
		end)

		it("skips pages below the order filter", function()
			local g = codegen.generate { make("page", { order = 2 }) }
			assert.is_true(has(g.text, "\tif (order < 2)\n\t\treturn 0;"))
		end)

		it("compares a slab cache's name to the cache filter", function()
			local g = codegen.generate { make("slab", { cache = "dentry" }) }
			assert.is_true(has(g.text, "\tif (!kc_str_1(s->name))\n\t\treturn 0;"))
		end)

		it("compares a slab cache's object size to the size filter", function()
			local g = codegen.generate { make("slab", { size = 64 }) }
			assert.is_true(has(g.text, "\tif (s->object_size != 64)\n\t\treturn 0;"))
		end)

		it("compares a bio's device number to the device filter", function()
			local g = codegen.generate { make("bio", { device = "7:1" }) }
			assert.is_true(has(g.text, "\tif (bio->bi_bdev->bd_dev != 7340033)\n\t\treturn 0;"))
		end)

		it("compares a bio's operation to the op filter", function()
			local g = codegen.generate { make("bio", { op = "write" }) }
			assert.is_true(has(g.text,
				"\tif ((bio->bi_opf & REQ_OP_MASK) != REQ_OP_WRITE)\n\t\treturn 0;"))
		end)

		it("compares the task's comm byte by byte, terminator included", function()
			local g = codegen.generate { make("slab", { comm = "dd" }) }
			assert.are.same({ true, true }, {
				has(g.text, "\treturn b[0] == 100 && b[1] == 100 && b[2] == 0;\n"),
				has(g.text, "\t\tif (!kc_lit_1(kc_comm))\n\t\t\treturn 0;"),
			})
		end)

		it("compares bytes above 127 as unsigned", function()
			local g = codegen.generate { make("slab", { comm = "caf\xc3\xa9" }) }
			assert.is_true(has(g.text, "b[2] == 102 && (unsigned char)b[3] == 195 && "
				.. "(unsigned char)b[4] == 169 && b[5] == 0;"))
		end)
	end)

	describe("string comparisons", function()
		local function generate_with(pred)
			return codegen.generate { make("slab", { callchain = {
				{ func = "d_alloc", params = "const struct qstr *name", predicate = pred },
			} }) }
		end

		it("calls a generated comparator from the predicate", function()
			local g = generate_with('STRCMP(name->name, "ab")')
			assert.is_true(has(g.text, "\t\tkc_ok = !!(kc_str_1((const char *)(name->name)));"))
		end)

		it("compares every byte of a STRCMP literal and its terminator", function()
			local g = generate_with('STRCMP(name->name, "ab")')
			assert.is_true(has(g.text, "static __always_inline int kc_lit_1(const char *b)\n{\n"
				.. "\treturn b[0] == 97 && b[1] == 98 && b[2] == 0;\n}"))
		end)

		it("reads one byte more than the literal, so a longer string does not match", function()
			local g = generate_with('STRCMP(name->name, "ab")')
			assert.is_true(has(g.text, "\tchar b[4] = {};\n\n"
				.. "\tbpf_probe_read_kernel_str(b, sizeof(b), s);\n\treturn kc_lit_1(b);"))
		end)

		it("compares only n bytes when STRNCMP's n is shorter than the literal", function()
			local g = generate_with('STRNCMP(name->name, "abc", 2)')
			assert.is_true(has(g.text, "\treturn b[0] == 97 && b[1] == 98;\n"))
		end)

		it("stops at the terminator when STRNCMP's n is longer than the literal", function()
			local g = generate_with('STRNCMP(name->name, "ab", 10)')
			assert.is_true(has(g.text, "\treturn b[0] == 97 && b[1] == 98 && b[2] == 0;\n"))
		end)

		it("numbers comparators across frames, site predicate and filters", function()
			local g = codegen.generate { make("slab", { cache = "dentry", callchain = {
				{ func = "d_alloc", params = "const struct qstr *name",
					predicate = 'STRCMP(name->name, "a")' },
				{ predicate = 'STRCMP(s->name, "b")' },
			} }) }
			assert.are.same({ true, true, true, false }, {
				has(g.text, "kc_ok = !!(kc_str_1((const char *)(name->name)));"),
				has(g.text, "\tif (!(kc_str_2((const char *)(s->name))))"),
				has(g.text, "\tif (!kc_str_3(s->name))"),
				has(g.text, "kc_str_4"),
			})
		end)

		it("reports a comparison that cannot be generated with the rule's location", function()
			local r = make("slab", { callchain = { { predicate = "1" } } })
			r.site_pred.predicate = "STRCMP(s->name, x)"
			local ok, err = pcall(codegen.generate, { r })
			assert.are.same({ false, "x.lua:3: STRCMP's second argument must be a string literal" },
				{ ok, err })
		end)
	end)

	describe("tree scope", function()
		it("adds the fork and exit tracepoint programs", function()
			local g = codegen.generate { make("slab", { tree = 42 }) }
			local rows = {}
			for _, p in ipairs(g.progs) do
				if p.kind == "tracepoint" then rows[#rows + 1] = { p.fn, p.category, p.target } end
			end
			assert.are.same({
				{ "kc_tree_fork", "sched", "sched_process_fork" },
				{ "kc_tree_exit", "sched", "sched_process_exit" },
			}, rows)
		end)

		it("declares the tree map and the fork handler and says so", function()
			local g = codegen.generate { make("slab", { tree = 42 }) }
			assert.are.same({ true, true, true }, { g.tree,
				has(g.text, "BPF_HASH(kc_tree, u32, u64, 65536);"),
				has(g.text, "int kc_tree_fork(struct kc_fork_args *args)") })
		end)

		it("checks the tree mask in the site program", function()
			local g = codegen.generate { make("slab", { tree = 42 }) }
			assert.is_true(has(g.text, "\tif (kc_c->tree_mask) {"))
		end)

		it("adds no tree programs to rules without a tree", function()
			local g = codegen.generate { make("slab", { pid = 42 }) }
			assert.are.same({ false, 1, false }, { g.tree, #g.progs, has(g.text, "kc_tree") })
		end)
	end)

	describe("headers", function()
		it("includes each rule's headers once, and the gfp flags alone", function()
			local g = codegen.generate {
				make("slab", { headers = { "linux/fs.h", "linux/slab.h" } }),
				make("bio", { headers = "linux/fs.h" }),
			}
			assert.are.same({ 1, 1, 1, 0, 0 }, { count(g.text, "#include <linux/slab.h>\n"),
				count(g.text, "#include <linux/fs.h>\n"),
				count(g.text, "#include <linux/gfp_types.h>\n"),
				count(g.text, "#include <linux/blkdev.h>\n"),
				count(g.text, "#include <linux/slub_def.h>\n") })
		end)

		it("adds the site's own headers only when a filter or predicate reads its arguments",
			function()
			local plain = codegen.generate { make("slab"), make("bio") }
			local cache = codegen.generate { make("slab", { cache = "dentry" }) }
			local op = codegen.generate { make("bio", { op = "write" }) }
			local pred = codegen.generate { make("slab", { callchain = {
				{ params = "struct kmem_cache *s", predicate = "s->size > 64" } } }) }
			assert.are.same({ false, false, true, false, true, true },
				{ has(plain.text, "#include <linux/slub_def.h>"),
				has(plain.text, "#include <linux/blkdev.h>"),
				has(cache.text, "#include <linux/slub_def.h>"),
				has(cache.text, "#include <linux/blkdev.h>"),
				has(op.text, "#include <linux/blkdev.h>"),
				has(pred.text, "#include <linux/slub_def.h>") })
		end)

		it("includes linux/mm.h for frames with params when the rule names no headers",
			function()
			local chain = { { func = "d_alloc", params = "struct dentry *parent",
				predicate = "parent != 0" } }
			local bare = codegen.generate { make("slab", { callchain = chain }) }
			local own = codegen.generate { make("slab", { callchain = chain,
				headers = { "linux/dcache.h" } }) }
			local none = codegen.generate { make("slab", { callchain = { { func = "d_alloc" } } }) }
			assert.are.same({ true, false, false }, { has(bare.text, "#include <linux/mm.h>"),
				has(own.text, "#include <linux/mm.h>"), has(none.text, "#include <linux/mm.h>") })
		end)

		it("declares a stack map only for rules that record stacks", function()
			local g = codegen.generate { make("slab", { stack = true }) }
			assert.are.same({ true, true, true }, { g.stack,
				has(g.text, "BPF_STACK_TRACE(kc_stacks, 1024);"),
				has(g.text, "kc_e->stack_id = kc_stacks.get_stackid(ctx, 0);") })
		end)
	end)

	describe("lines", function()
		local r, g

		before_each(function()
			r = make("slab", { headers = { "linux/fs.h" }, callchain = {
				{ func = "d_alloc", params = "struct dentry *parent", predicate = "parent != 0" },
				{ predicate = "gfpflags & 1" },
			} })
			g = codegen.generate { r }
		end)

		it("tags a frame predicate's line with its rule and frame", function()
			local tag = g.lines[line_of(g, "kc_ok = !!(parent != 0);")]
			assert.are.same({ true, 1 }, { tag.rule == r, tag.frame })
		end)

		it("tags a site predicate's line with its rule, frame and the site", function()
			local tag = g.lines[line_of(g, "if (!(gfpflags & 1))")]
			assert.are.same({ true, 2, true }, { tag.rule == r, tag.frame, tag.site })
		end)

		it("tags a rule's header with the rule and the header", function()
			local tag = g.lines[line_of(g, "#include <linux/fs.h>")]
			assert.are.same({ true, "linux/fs.h" }, { tag.rule == r, tag.header })
		end)

		it("tags a site program's lines with the rule alone", function()
			local tag = g.lines[line_of(g, "int kc_r0_site(")]
			assert.are.same({ true, nil }, { tag.rule == r, tag.frame })
		end)

		it("leaves shared lines untagged", function()
			assert.is_nil(g.lines[line_of(g, "BPF_ARRAY(kc_global, struct kc_global, 1);")])
		end)
	end)
end)

describe("kchaos.codegen expand_strings", function()
	it("replaces STRCMP with a call to a numbered comparator", function()
		assert.are.equal("kc_str_1((const char *)(name->name)) && x",
			expand('STRCMP(name->name, "foo") && x'))
	end)

	it("leaves a STRCMP inside a string or character literal as it is", function()
		local text = [[c == 'STRCMP(' || q == "STRCMP(b, \"y\")"]]
		assert.are.equal(text, expand(text))
	end)

	it("takes as the literal argument one whole string literal only", function()
		assert.are.same({ nil, "STRCMP's second argument must be a string literal" },
			{ codegen.expand_strings([[STRCMP(s, ""a\"")]], {}) })
		assert.are.equal('kc_str_1((const char *)(s))', expand([[STRCMP(s, "a\"b")]]))
	end)

	it("records the literal's bytes and terminator as the bytes to compare", function()
		local _, lits = expand('STRCMP(p, "foo")')
		assert.are.same({ { bytes = { 102, 111, 111, 0 }, n = 4 } }, lits)
	end)

	it("numbers comparators after those already in the list", function()
		local lits = { { bytes = { 0 }, n = 1 } }
		assert.are.equal("kc_str_2((const char *)(a)) || kc_str_3((const char *)(b))",
			codegen.expand_strings('STRCMP(a, "x") || STRCMP(b, "y")', lits))
	end)

	it("compares n bytes when STRNCMP's n is shorter than the literal", function()
		local _, lits = expand('STRNCMP(p, "foobar", 3)')
		assert.are.same({ { bytes = { 102, 111, 111, 98, 97, 114, 0 }, n = 3 } }, lits)
	end)

	it("compares up to the terminator when STRNCMP's n is longer than the literal", function()
		local _, lits = expand('STRNCMP(p, "ab", 10)')
		assert.are.same({ { bytes = { 97, 98, 0 }, n = 3 } }, lits)
	end)

	it("reads the escapes of a literal", function()
		local _, lits = expand('STRCMP(p, "a\\n\\"")')
		assert.are.same({ 97, 10, 34, 0 }, lits[1].bytes)
	end)

	it("keeps a first argument with commas and brackets whole", function()
		assert.are.equal("kc_str_1((const char *)(f(a, b[1])))", expand('STRCMP(f(a, b[1]), "x")'))
	end)

	it("leaves a name that only ends in STRCMP alone", function()
		assert.are.equal('MYSTRCMP(a, "x")', expand('MYSTRCMP(a, "x")'))
	end)

	it("takes a literal of 63 characters", function()
		local _, lits = expand('STRCMP(p, "' .. ("a"):rep(63) .. '")')
		assert.are.equal(64, #lits[1].bytes)
	end)

	it("rejects a literal of 64 characters", function()
		assert.are.equal("STRCMP's string is longer than 63 characters",
			expand('STRCMP(p, "' .. ("a"):rep(64) .. '")'))
	end)

	it("rejects a second argument that is not a literal", function()
		assert.are.equal("STRCMP's second argument must be a string literal",
			expand("STRCMP(p, name)"))
	end)

	it("rejects two literals side by side", function()
		assert.are.equal("STRCMP's second argument must be a string literal",
			expand('STRCMP(p, "a" "b")'))
	end)

	it("rejects STRCMP with three arguments", function()
		assert.are.equal("STRCMP takes 2 arguments, not 3", expand('STRCMP(p, "a", 1)'))
	end)

	it("rejects STRNCMP with two arguments", function()
		assert.are.equal("STRNCMP takes 3 arguments, not 2", expand('STRNCMP(p, "a")'))
	end)

	it("rejects a STRNCMP length of 0", function()
		assert.are.equal("STRNCMP's length must be a positive whole number",
			expand('STRNCMP(p, "a", 0)'))
	end)

	it("rejects a STRNCMP length that is not a number", function()
		assert.are.equal("STRNCMP's length must be a positive whole number",
			expand('STRNCMP(p, "a", n)'))
	end)

	it("rejects an escape it cannot compare", function()
		assert.are.equal("STRCMP's string has an escape other than \\n \\t \\r \\0 \\\\ \\\"",
			expand('STRCMP(p, "\\x41")'))
	end)
end)
