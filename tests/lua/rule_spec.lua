-- SPDX-License-Identifier: GPL-2.0-only
-- Specification of kchaos.rule: turning a rule table into a checked rule, or an error that
-- names the field and the fix. Kernel facts come from a mock env; no kernel is needed.
local rule = require "kchaos.rule"

local WHERE = "x.lua:3"

-- A kernel with five injectable functions, a function the compiler cloned ("foo" exists only
-- as foo.isra.0), one that is gone entirely, and a loop block device.
local function mock_env(overrides)
	local env = {
		injection_list = function()
			return {
				should_failslab = "ERRNO", should_fail_alloc_page = "TRUE",
				should_fail_bio = "ERRNO", __x64_sys_openat = "ERRNO", some_null_func = "NULL",
			}
		end,
		symbol = function(name)
			if name == "foo" then return false, { "foo.isra.0" } end
			if name == "gone" then return false, {} end
			return true
		end,
		stat = function(path)
			if path == "/dev/loop0" then
				return { type = "block", rdev_major = 7, rdev_minor = 0 }
			end
			if path == "/dev/null" then
				return { type = "char", rdev_major = 1, rdev_minor = 3 }
			end
			if path == "/sys/dev/block/7:0" then return { type = "link" } end
			return nil, path .. ": No such file or directory"
		end,
		system = true,	-- as --system: broad rules pass (see "broad rules" for the refusal)
	}
	for k, v in pairs(overrides or {}) do env[k] = v end
	return env
end

local function normalize(spec, env)
	return rule.normalize(spec, WHERE, env or mock_env())
end

-- The error normalize raises for `spec`; fails the test when it raises none.
local function failure(spec, env)
	local ok, err = pcall(normalize, spec, env)
	assert.is_false(ok, "the rule was accepted")
	return err
end

-- The full message for rule 'n' defined at x.lua:3.
local function msg(text)
	return "x.lua:3: rule 'n': " .. text
end

-- A spec named 'n' on `site` with the given extra fields.
local function spec(site, fields)
	local s = { name = "n", site = site }
	for k, v in pairs(fields or {}) do s[k] = v end
	return s
end

local function frames(n)
	local chain = {}
	for i = 1, n do chain[i] = { func = "f" .. i } end
	return chain
end

describe("kchaos.rule normalize", function()
	describe("site", function()
		it("resolves slab to should_failslab", function()
			local r = normalize(spec("slab"))
			assert.are.same({ "slab", "should_failslab" }, { r.site.kind, r.site.func })
		end)

		it("resolves page to should_fail_alloc_page", function()
			local r = normalize(spec("page"))
			assert.are.same({ "page", "should_fail_alloc_page" }, { r.site.kind, r.site.func })
		end)

		it("resolves bio to should_fail_bio", function()
			local r = normalize(spec("bio"))
			assert.are.same({ "bio", "should_fail_bio" }, { r.site.kind, r.site.func })
		end)

		it("resolves a built-in site named by its function", function()
			assert.are.equal("slab", normalize(spec("should_failslab")).site.kind)
		end)

		it("reads failtype 0 as slab", function()
			assert.are.equal("slab", normalize({ name = "n", failtype = 0 }).site.kind)
		end)

		it("reads failtype 1 as page", function()
			assert.are.equal("page", normalize({ name = "n", failtype = 1 }).site.kind)
		end)

		it("reads failtype 2 as bio", function()
			assert.are.equal("bio", normalize({ name = "n", failtype = 2 }).site.kind)
		end)

		it("rejects an unknown failtype", function()
			assert.are.equal(msg("failtype 3 is unknown; use 0 (slab), 1 (page) or 2 (bio)"),
				failure({ name = "n", failtype = 3 }))
		end)

		it("rejects both site and failtype", function()
			assert.are.equal(msg("give site or failtype, not both"),
				failure({ name = "n", site = "slab", failtype = 0 }))
		end)

		it("requires a site", function()
			assert.are.equal(msg('needs a site: "slab", "page", "bio" or an injectable function '
				.. "(see kchaos-lua -l)"), failure({ name = "n" }))
		end)

		it("rejects a site that is not a string", function()
			assert.are.equal(msg("site must be a string, not a number"), failure(spec(5)))
		end)

		it("rejects a site that is no function name", function()
			assert.are.equal(msg('site "slab cache" is unknown; use "slab", "page", "bio" or the '
				.. "name of an injectable function (see kchaos-lua -l)"),
				failure(spec("slab cache")))
		end)

		it("takes a function on the error-injection list with its type", function()
			local r = normalize(spec("__x64_sys_openat", { retval = "ENOENT" }))
			assert.are.same({ "func", "__x64_sys_openat", "ERRNO" },
				{ r.site.kind, r.site.func, r.site.type })
		end)

		it("rejects a function not on the list and points at kchaos-lua -l", function()
			assert.are.equal(msg("'vfs_read' is not on this kernel's error-injection list, so it "
				.. "cannot be overridden; see `kchaos-lua -l` for the functions that can"),
				failure(spec("vfs_read")))
		end)

		it("suggests the listed function a misspelt site was meant to be", function()
			assert.are.equal(msg("'some_nul_func' is not on this kernel's error-injection list, "
				.. "so it cannot be overridden (did you mean 'some_null_func'?); see "
				.. "`kchaos-lua -l` for the functions that can"), failure(spec("some_nul_func")))
		end)

		it("says why it cannot check a function when the list is unreadable", function()
			local env = mock_env { injection_list = function() return nil, "Permission denied" end }
			assert.are.equal(msg("cannot check that 'some_null_func' is injectable: "
				.. "Permission denied"), failure(spec("some_null_func"), env))
		end)

		it("takes an unchecked function of unknown type in a dry run without the list",
			function()
			local env = { dry_run = true }
			local r = normalize(spec("vfs_read", { retval = 0 }), env)
			assert.are.same({ "func", "unknown", true },
				{ r.site.kind, r.site.type, r.site.unchecked })
		end)

		it("suggests the built-in site a dry run's unknown function is close to", function()
			assert.are.equal(msg("'should_failslb' is unknown (did you mean 'should_failslab'?)"),
				failure(spec("should_failslb", { retval = -12 }), { dry_run = true }))
		end)
	end)

	describe("retval", function()
		it("defaults to -ENOMEM on slab", function()
			assert.are.equal(-12, normalize(spec("slab")).retval)
		end)

		it("defaults to 1 (true) on page", function()
			assert.are.equal(1, normalize(spec("page")).retval)
		end)

		it("defaults to -EIO on bio", function()
			assert.are.equal(-5, normalize(spec("bio")).retval)
		end)

		it("defaults to 0 on a NULL function", function()
			assert.are.equal(0, normalize(spec("some_null_func")).retval)
		end)

		it("is required on an ERRNO function", function()
			assert.are.equal(msg("needs a retval for '__x64_sys_openat' (type ERRNO): an errno "
				.. 'such as "ENOENT" or -2'), failure(spec("__x64_sys_openat")))
		end)

		it("reads an errno name", function()
			assert.are.equal(-2, normalize(spec("__x64_sys_openat", { retval = "ENOENT" })).retval)
		end)

		it("reads a negated lower-case errno name", function()
			assert.are.equal(-5, normalize(spec("bio", { retval = "-eio" })).retval)
		end)

		it("rejects an unknown errno name", function()
			assert.are.equal(msg('retval "EWHAT" is not an errno name this tool knows; give a '
				.. "number such as -2"), failure(spec("slab", { retval = "EWHAT" })))
		end)

		it("rejects a fraction", function()
			assert.are.equal(msg("retval must be an integer or an errno name, not -1.5"),
				failure(spec("slab", { retval = -1.5 })))
		end)

		it("takes -4095 on an ERRNO site", function()
			assert.are.equal(-4095, normalize(spec("slab", { retval = -4095 })).retval)
		end)

		it("rejects -4096 on an ERRNO site", function()
			assert.are.equal(msg("retval -4096 does not fit 'should_failslab', whose error type "
				.. "is ERRNO: it takes an errno from -4095 to -1"),
				failure(spec("slab", { retval = -4096 })))
		end)

		it("rejects 0 on an ERRNO site", function()
			assert.are.equal(msg("retval 0 does not fit 'should_fail_bio', whose error type is "
				.. "ERRNO: it takes an errno from -4095 to -1"),
				failure(spec("bio", { retval = 0 })))
		end)

		it("rejects an errno on a NULL function", function()
			assert.are.equal(msg("retval -12 does not fit 'some_null_func', whose error type is "
				.. "NULL: it takes 0 (NULL)"),
				failure(spec("some_null_func", { retval = "ENOMEM" })))
		end)

		it("takes 0 on an ERRNO_NULL function", function()
			local r = normalize(spec("vfs_read", { retval = 0 }), { dry_run = true })
			assert.are.equal(0, r.retval)
		end)

		it("takes an errno on an ERRNO_NULL function", function()
			local r = normalize(spec("vfs_read", { retval = "EIO" }), { dry_run = true })
			assert.are.equal(-5, r.retval)
		end)

		it("takes a value of any error type on an unchecked function", function()
			assert.are.same({ 1, -5 }, {
				normalize(spec("vfs_read", { retval = 1 }), { dry_run = true }).retval,
				normalize(spec("vfs_read", { retval = -5 }), { dry_run = true }).retval })
		end)

		it("rejects a value of no error type on an unchecked function", function()
			assert.are.equal(msg("retval 2 fits no error type: it takes an errno from -4095 "
				.. "to -1, 0 (NULL) or 1 (true)"),
				failure(spec("vfs_read", { retval = 2 }), { dry_run = true }))
		end)

		it("asks for a retval on an unchecked function, saying its type is unknown", function()
			assert.are.equal(msg("needs a retval for 'vfs_read' (its error type is unknown "
				.. "here, without the kernel's error-injection list): an errno such as "
				.. "\"ENOENT\" or -2, 0 for NULL, 1 for true"),
				failure(spec("vfs_read", {}), { dry_run = true }))
		end)

		it("rejects anything but 1 on a TRUE site", function()
			assert.are.equal(msg("retval 0 does not fit 'should_fail_alloc_page', whose error "
				.. "type is TRUE: it takes 1 (true)"), failure(spec("page", { retval = 0 })))
		end)
	end)

	describe("fields", function()
		it("suggests the field a misspelt one was meant to be", function()
			assert.are.equal(msg("field 'probabilty' is unknown (did you mean 'probability'?)"),
				failure(spec("slab", { probabilty = 0.5 })))
		end)

		it("rejects an unknown field with no likely match", function()
			assert.are.equal(msg("field 'colour' is unknown"),
				failure(spec("slab", { colour = "red" })))
		end)

		it("rejects a spec that is not a table", function()
			assert.are.equal("x.lua:3: rule: expects a table of fields, not a string",
				failure("slab"))
		end)

		it("says 'rule:' when the rule has no name", function()
			assert.are.equal("x.lua:3: rule: field 'tims' is unknown (did you mean 'times'?)",
				failure({ site = "slab", tims = 3 }))
		end)

		it("rejects a name with characters outside the allowed set", function()
			assert.are.equal('x.lua:3: rule: name must be a short string of letters, digits, '
				.. 'spaces and -_.:/, not "a;b"', failure({ name = "a;b", site = "slab" }))
		end)

		it("accepts a name with spaces", function()
			assert.are.equal("tmpfs pages", normalize({ name = "tmpfs pages", site = "slab" }).name)
		end)

		it("rejects a callchain that is not a table", function()
			assert.are.equal(msg('callchain must be a list of frames like { func = "name", '
				.. 'params = "...", predicate = "..." }, not a string'),
				failure(spec("slab", { callchain = "d_alloc" })))
		end)

		it("rejects times given as a string", function()
			assert.are.equal(msg("times must be a whole number, not a string"),
				failure(spec("slab", { times = "3" })))
		end)

		it("rejects a fractional times", function()
			assert.are.equal(msg("times must be a whole number, not 1.5"),
				failure(spec("slab", { times = 1.5 })))
		end)

		it("rejects nofail that is not a boolean", function()
			assert.are.equal(msg("nofail must be true or false, not yes"),
				failure(spec("slab", { nofail = "yes" })))
		end)

		it("rejects on_inject that is not a function", function()
			assert.are.equal(msg("on_inject must be a function(ev), not a number"),
				failure(spec("slab", { on_inject = 1 })))
		end)

		it("defaults nofail and stack to false and the rule to armed", function()
			local r = normalize(spec("slab"))
			assert.are.same({ false, false, true }, { r.nofail, r.stack, r.start_armed })
		end)

		it("keeps a rule declared unarmed unarmed", function()
			assert.is_false(normalize(spec("slab", { armed = false })).start_armed)
		end)
	end)

	describe("probability and counts", function()
		it("defaults probability to 1", function()
			assert.are.equal(1, normalize(spec("slab")).probability)
		end)

		it("reads a percentage", function()
			assert.are.equal(0.25, normalize(spec("slab", { probability = "25%" })).probability)
		end)

		it("rejects a probability above 1", function()
			assert.are.equal(msg('probability 1.5 is out of range; it must lie between 0 and 1 '
				.. '(or "0%" and "100%")'), failure(spec("slab", { probability = 1.5 })))
		end)

		it("rejects a percentage above 100", function()
			assert.are.equal(msg('probability 101% is out of range; it must lie between 0 and 1 '
				.. '(or "0%" and "100%")'), failure(spec("slab", { probability = "101%" })))
		end)

		it("rejects zero times and says how to mean no limit", function()
			assert.are.equal(msg("times must be at least 1, not 0 (leave times out for no limit)"),
				failure(spec("slab", { times = 0 })))
		end)

		it("rejects negative times", function()
			assert.are.equal(msg("times must be at least 1, not -3 (leave times out for no limit)"),
				failure(spec("slab", { times = -3 })))
		end)

		it("rejects a zero interval", function()
			assert.are.equal(msg("interval must be at least 1, not 0"),
				failure(spec("slab", { interval = 0 })))
		end)

		it("keeps times and interval", function()
			local r = normalize(spec("slab", { times = 3, interval = 2 }))
			assert.are.same({ 3, 2 }, { r.times, r.interval })
		end)

		it("reads after and duration into nanoseconds", function()
			local r = normalize(spec("slab", { after = "2s", duration = "500ms" }))
			assert.are.same({ 2e9, 500e6 }, { r.after, r.duration })
		end)

		it("takes an after of zero", function()
			assert.are.equal(0, normalize(spec("slab", { after = 0 })).after)
		end)

		it("rejects a negative after", function()
			assert.are.equal(msg("after must be a non-negative number of seconds, not -1"),
				failure(spec("slab", { after = -1 })))
		end)

		it("rejects a zero duration", function()
			assert.are.equal(msg("duration must be longer than 0"),
				failure(spec("slab", { duration = "0s" })))
		end)

		it("rejects a malformed duration", function()
			assert.are.equal(msg('duration "soon" is malformed; write it like "500ms", "2s", '
				.. '"1m" or "1h"'), failure(spec("slab", { duration = "soon" })))
		end)

		it("rejects times beyond 2^53, where whole numbers stop being exact", function()
			assert.are.equal(msg("times must be at most 9007199254740992, not 1e+300 "
				.. "(leave times out for no limit)"),
				failure(spec("slab", { times = 1e300 })))
		end)

		it("rejects an infinite interval", function()
			assert.are.equal(msg("interval must be a whole number, not inf"),
				failure(spec("slab", { interval = math.huge })))
		end)

		it("rejects a duration longer than a year", function()
			assert.are.equal(msg("duration must be at most a year (365 days)"),
				failure(spec("slab", { duration = "9000h" })))
		end)

		it("rejects an after longer than a year", function()
			assert.are.equal(msg("after must be at most a year (365 days)"),
				failure(spec("slab", { after = 1e12 })))
		end)
	end)

	describe("broad rules", function()
		local strict = function() return mock_env { system = false } end
		local EVERY = "would fail every %s on this system (no callchain, no scope, no filter, "
			.. "probability 1); narrow it with a callchain, a scope (pid, tree, comm, cgroup) "
			.. "or a filter, or opt in with unsafe = true or --system"

		it("refuses a slab rule that would fail every allocation", function()
			assert.are.equal(msg(EVERY:format("slab allocation")),
				failure(spec("slab"), strict()))
		end)

		it("refuses a page rule that would fail every allocation", function()
			assert.are.equal(msg(EVERY:format("page allocation")),
				failure(spec("page"), strict()))
		end)

		it("refuses a bio rule that would fail every request", function()
			assert.are.equal(msg(EVERY:format("block I/O request")),
				failure(spec("bio"), strict()))
		end)

		it("takes it with unsafe = true", function()
			assert.is_true(normalize(spec("slab", { unsafe = true }), strict()).unsafe)
		end)

		it("takes it with --system", function()
			assert.is_false(normalize(spec("slab"), mock_env { system = true }).unsafe)
		end)

		it("takes it when a default scope will apply (-c, -p, --cgroup)", function()
			assert.is_table(normalize(spec("slab"), mock_env { system = false,
				scope_default = { tree = 42 } }))
		end)

		it("takes a rule with a scope, a chain, a filter or a predicate", function()
			for _, f in ipairs {
				{ comm = "x" }, { callchain = { { func = "f" } } }, { cache = "dentry" },
				{ callchain = { { predicate = "1" } } },
			} do
				assert.is_table(normalize(spec("slab", f), strict()))
			end
		end)

		it("takes a rule that fails only some calls", function()
			for _, f in ipairs { { probability = 0.5 }, { interval = 2 }, { times = 3 } } do
				assert.is_table(normalize(spec("slab", f), strict()))
			end
		end)

		it("does not apply to other sites", function()
			assert.is_table(normalize(spec("__x64_sys_openat", { retval = -1 }), strict()))
		end)

		it("leaves the check to check_broad when normalizing a partial rule", function()
			local r = normalize(spec("slab"), mock_env { system = false, partial = true })
			assert.are.equal(msg(EVERY:format("slab allocation")),
				select(2, pcall(rule.check_broad, r, WHERE, {})))
		end)

		it("rejects an unsafe that is not a boolean", function()
			assert.are.equal(msg("unsafe must be true or false, not yes"),
				failure(spec("slab", { unsafe = "yes" })))
		end)
	end)

	describe("callchain", function()
		it("keeps frames outermost first with params, names and predicate", function()
			local r = normalize(spec("slab", { callchain = {
				{ func = "d_alloc_parallel", params = "struct dentry *parent, "
					.. "const struct qstr *name", predicate = "name->len > 3" },
				{ func = "d_alloc" },
			} }))
			assert.are.same({
				{ func = "d_alloc_parallel", params = "struct dentry *parent, const struct qstr "
					.. "*name", names = { "parent", "name" }, predicate = "name->len > 3",
					index = 1 },
				{ func = "d_alloc", params = "", names = {}, index = 2 },
			}, r.frames)
		end)

		it("takes the KernelChaos spellings funcname and parameters", function()
			local r = normalize(spec("slab", { callchain = {
				{ funcname = "d_alloc", parameters = "struct dentry *parent", predicate = "1" },
			} }))
			assert.are.same({ { func = "d_alloc", params = "struct dentry *parent",
				names = { "parent" }, predicate = "1", index = 1 } }, r.frames)
		end)

		it("rejects a frame whose func and funcname differ", function()
			assert.are.equal(msg("callchain frame 1 gives both func and funcname"),
				failure(spec("slab", { callchain = { { func = "a", funcname = "b" } } })))
		end)

		it("suggests the frame field a misspelt one was meant to be", function()
			assert.are.equal(msg("callchain frame 1 has unknown field 'predicte' (did you mean "
				.. "'predicate'?)"),
				failure(spec("slab", { callchain = { { func = "f", predicte = "1" } } })))
		end)

		it("lists the frame fields when an unknown one matches none", function()
			assert.are.equal(msg("callchain frame 1 has unknown field 'args' (frames take func, "
				.. "params and predicate)"),
				failure(spec("slab", { callchain = { { args = 1 } } })))
		end)

		it("rejects a frame that is not a table", function()
			assert.are.equal(msg("callchain frame 1 must be a table, not a string"),
				failure(spec("slab", { callchain = { "d_alloc" } })))
		end)

		it("rejects a callchain with non-list keys", function()
			assert.are.equal(msg("callchain must be a plain list of frames; it has the key top"),
				failure(spec("slab", { callchain = { top = { func = "d_alloc" } } })))
		end)

		it("rejects a frame without func before the last", function()
			assert.are.equal(msg("callchain frame 1 has no func; only the last frame may omit it "
				.. "(it is then a predicate on the fault site's arguments)"),
				failure(spec("slab", { callchain = {
					{ predicate = "1" }, { func = "d_alloc" },
				} })))
		end)

		it("rejects a func that is not a kernel function name", function()
			assert.are.equal(msg('callchain frame 1: "d-alloc" is not a kernel function name '
				.. "(letters, digits and underscores, with a clone suffix such as .isra.0 if any)"),
				failure(spec("slab", { callchain = { { func = "d-alloc" } } })))
		end)

		it("takes a compiler clone's name", function()
			local r = normalize(spec("slab", { callchain = { { func = "foo.isra.0" } } }))
			assert.are.equal("foo.isra.0", r.frames[1].func)
		end)

		it("rejects a function missing from kallsyms and names its clone", function()
			assert.are.equal(msg("callchain frame 1: function 'foo' does not exist in this kernel "
				.. "(not in /proc/kallsyms; it may be inlined or named differently). This kernel "
				.. "has the compiler's clone foo.isra.0; a clone's parameters may differ from the "
				.. "source, so name it only if you know its calling convention."),
				failure(spec("slab", { callchain = { { func = "foo" } } })))
		end)

		it("rejects a function missing from kallsyms that has no clone", function()
			assert.are.equal(msg("callchain frame 2: function 'gone' does not exist in this "
				.. "kernel (not in /proc/kallsyms; it may be inlined or named differently)."),
				failure(spec("slab", { callchain = { { func = "d_alloc" }, { func = "gone" } } })))
		end)

		it("skips the kallsyms check when the env cannot look symbols up", function()
			local env = mock_env { symbol = false }
			local r = normalize(spec("slab", { callchain = { { func = "foo" } } }), env)
			assert.are.equal("foo", r.frames[1].func)
		end)

		it("turns a predicate-only last frame into a predicate on the site", function()
			local r = normalize(spec("slab", { callchain = {
				{ func = "d_alloc" }, { predicate = "gfpflags & 1" },
			} }))
			assert.are.same({ 1, { names = {}, predicate = "gfpflags & 1", frame = 2 } },
				{ #r.frames, r.site_pred })
		end)

		it("turns a last frame naming the site function into a site predicate, not a frame",
			function()
			local r = normalize(spec("slab", { callchain = {
				{ func = "d_alloc" },
				{ func = "should_failslab", params = "struct kmem_cache *c, gfp_t flags",
					predicate = "flags & 1" },
			} }))
			assert.are.same({ { "d_alloc" }, { params = "struct kmem_cache *c, gfp_t flags",
				names = { "c", "flags" }, predicate = "flags & 1", frame = 2 } },
				{ { r.frames[1].func, r.frames[2] }, r.site_pred })
		end)

		it("requires params for a site predicate on an injectable function", function()
			assert.are.equal(msg("the last frame's predicate is over 'some_null_func''s "
				.. "arguments; give their C declarations in that frame's params"),
				failure(spec("some_null_func", { callchain = { { predicate = "x > 0" } } })))
		end)

		it("takes a site predicate on an injectable function with params", function()
			local r = normalize(spec("some_null_func", { callchain = {
				{ params = "int x", predicate = "x > 0" },
			} }))
			assert.are.same({ "x" }, r.site_pred.names)
		end)

		it("keeps a site predicate's params over the rule's params", function()
			local r = normalize(spec("slab", { params = "struct kmem_cache *s, gfp_t g",
				callchain = { { params = "struct kmem_cache *c, gfp_t f", predicate = "f" } } }))
			assert.are.same({ "struct kmem_cache *c, gfp_t f", { "c", "f" } },
				{ r.site_pred.params, r.site_pred.names })
		end)

		it("takes the rule's params as the site's when no frame gives them", function()
			local r = normalize(spec("slab", { params = "struct kmem_cache *s, gfp_t g" }))
			assert.are.same({ "struct kmem_cache *s, gfp_t g", { "s", "g" } },
				{ r.site_pred.params, r.site_pred.names })
		end)

		it("takes eight frames and a site predicate", function()
			local chain = frames(8)
			chain[9] = { predicate = "1" }
			local r = normalize(spec("slab", { callchain = chain }))
			assert.are.same({ 8, 9 }, { #r.frames, r.site_pred.frame })
		end)

		it("rejects nine function frames", function()
			assert.are.equal(msg("callchain has 9 frames; at most 8 are supported"),
				failure(spec("slab", { callchain = frames(9) })))
		end)

		it("rejects ten frames before looking at them", function()
			assert.are.equal(msg("callchain has 10 frames; at most 8 are supported"),
				failure(spec("slab", { callchain = frames(10) })))
		end)

		it("rejects a function named twice with different params", function()
			assert.are.equal(msg("callchain names 'f' twice with different params"),
				failure(spec("slab", { callchain = {
					{ func = "f", params = "int a" }, { func = "f", params = "long b" },
				} })))
		end)

		it("lets a later frame give the params of a function named twice", function()
			local r = normalize(spec("slab", { callchain = {
				{ func = "f" }, { func = "f", params = "int a", predicate = "a > 0" },
			} }))
			assert.are.same({ "int a", "int a" }, { r.frames[1].params, r.frames[2].params })
		end)

		it("lets a later frame omit the params of a function named twice", function()
			local r = normalize(spec("slab", { callchain = {
				{ func = "f", params = "int a", predicate = "a > 0" }, { func = "f" },
			} }))
			assert.are.same({ "int a", "int a" }, { r.frames[1].params, r.frames[2].params })
		end)

		it("reports a frame's malformed params", function()
			assert.are.equal(msg("callchain frame 1: params has ';', which has no place in a C "
				.. "parameter list"),
				failure(spec("slab", { callchain = { { func = "f", params = "int a; int b" } } })))
		end)

		it("reports a frame's escaping predicate", function()
			assert.are.equal(msg("callchain frame 2: predicate may not contain ';' (column 2): a "
				.. "predicate is one C expression, not statements"),
				failure(spec("slab", { callchain = { { func = "f" }, { predicate = "1; x()" } } })))
		end)
	end)

	describe("site filters", function()
		it("rejects cache on a bio rule", function()
			assert.are.equal(msg("field 'cache' applies to slab rules only"),
				failure(spec("bio", { cache = "dentry" })))
		end)

		it("rejects gfp on a bio rule", function()
			assert.are.equal(msg("field 'gfp' applies to page and slab rules only"),
				failure(spec("bio", { gfp = "__GFP_IO" })))
		end)

		it("rejects order on a slab rule", function()
			assert.are.equal(msg("field 'order' applies to page rules only"),
				failure(spec("slab", { order = 2 })))
		end)

		it("rejects device on a slab rule", function()
			assert.are.equal(msg("field 'device' applies to bio rules only"),
				failure(spec("slab", { device = "7:0" })))
		end)

		it("rejects op on an injectable function", function()
			assert.are.equal(msg("field 'op' applies to bio rules only"),
				failure(spec("some_null_func", { op = "read" })))
		end)

		it("reads gfp flag names into a parenthesized mask", function()
			local r = normalize(spec("page", { gfp = "__GFP_HIGHMEM|__GFP_MOVABLE" }))
			assert.are.equal("(__GFP_HIGHMEM|__GFP_MOVABLE)", r.filters.gfp)
		end)

		it("reads a numeric gfp mask into hex", function()
			assert.are.equal("0x400", normalize(spec("slab", { gfp = 0x400 })).filters.gfp)
		end)

		it("rejects a GFP name the kernel does not define, with the one it is close to", function()
			assert.are.equal(msg('gfp: "GFP_KERNL" is not a GFP flag name (did you mean '
				.. "'GFP_KERNEL'?); give a flag of <linux/gfp_types.h>, or the mask as a number"),
				failure(spec("page", { gfp = "GFP_KERNL" })))
		end)

		it("rejects a gfp word that is no flag", function()
			assert.are.equal(msg('gfp: "movable" is not a GFP flag (write names like '
				.. '"__GFP_HIGHMEM|__GFP_MOVABLE")'), failure(spec("page", { gfp = "movable" })))
		end)

		it("keeps an order of 0", function()
			assert.are.equal(0, normalize(spec("page", { order = 0 })).filters.order)
		end)

		it("rejects a negative order", function()
			assert.are.equal(msg("order must be at least 0, not -1"),
				failure(spec("page", { order = -1 })))
		end)

		it("keeps a slab cache name", function()
			assert.are.equal("kmalloc-64",
				normalize(spec("slab", { cache = "kmalloc-64" })).filters.cache)
		end)

		it("rejects a slab cache name with a space", function()
			assert.are.equal(msg("cache must be a slab cache name as in /proc/slabinfo, not 'a b'"),
				failure(spec("slab", { cache = "a b" })))
		end)

		it("rejects an op other than read or write", function()
			assert.are.equal(msg('op must be "read" or "write", not append'),
				failure(spec("bio", { op = "append" })))
		end)

		it("reads a device given as major:minor", function()
			assert.are.same({ major = 7, minor = 0, text = "7:0" },
				normalize(spec("bio", { device = "7:0" })).filters.device)
		end)

		it("marks a major:minor device that does not exist yet", function()
			assert.are.same({ major = 7, minor = 9, text = "7:9", absent = true },
				normalize(spec("bio", { device = "7:9" })).filters.device)
		end)

		it("resolves a block device path to its numbers", function()
			assert.are.same({ major = 7, minor = 0, text = "/dev/loop0" },
				normalize(spec("bio", { device = "/dev/loop0" })).filters.device)
		end)

		it("rejects a device path that is not a block device", function()
			assert.are.equal(msg("device '/dev/null' is not a block device (it is a char)"),
				failure(spec("bio", { device = "/dev/null" })))
		end)

		it("reports a device path that cannot be read", function()
			assert.are.equal(msg("device /dev/nope: No such file or directory"),
				failure(spec("bio", { device = "/dev/nope" })))
		end)

		it("rejects a device given as a number", function()
			assert.are.equal(msg('device must be "major:minor" or a block device path, not a '
				.. "number"), failure(spec("bio", { device = 7 })))
		end)
	end)

	describe("scope", function()
		it("takes a comm of 15 characters", function()
			assert.are.equal("fifteen_chars_x",
				normalize(spec("slab", { comm = "fifteen_chars_x" })).scope.comm)
		end)

		it("rejects a comm of 16 characters", function()
			assert.are.equal(msg('comm must be a process name of 1 to 15 characters (as in '
				.. '/proc/PID/comm), not "sixteen_chars_xx"'),
				failure(spec("slab", { comm = "sixteen_chars_xx" })))
		end)

		it("rejects an empty comm", function()
			assert.are.equal(msg('comm must be a process name of 1 to 15 characters (as in '
				.. '/proc/PID/comm), not ""'), failure(spec("slab", { comm = "" })))
		end)

		it("rejects a pid of 0", function()
			assert.are.equal(msg("pid must be a process id (a positive whole number), not 0"),
				failure(spec("slab", { pid = 0 })))
		end)

		it("rejects a pid above the largest process id", function()
			assert.are.equal(msg("tree must be at most 4194304 (the largest process id), "
				.. "not 10000000000"), failure(spec("slab", { tree = 1e10 })))
		end)

		it("takes a tree from an object with a pid method", function()
			local child = { pid = function() return 4242 end }
			assert.are.equal(4242, normalize(spec("slab", { tree = child })).scope.tree)
		end)

		it("rejects an empty cgroup", function()
			assert.are.equal(msg('cgroup must be a cgroup v2 path such as "/sys/fs/cgroup/test"'),
				failure(spec("slab", { cgroup = "" })))
		end)

		it("has an empty scope when none is given", function()
			assert.are.same({}, normalize(spec("slab")).scope)
		end)
	end)

	describe("headers", function()
		it("keeps a list of header names", function()
			assert.are.same({ "linux/fs.h", "linux/dcache.h" },
				normalize(spec("slab", { headers = { "linux/fs.h", "linux/dcache.h" } })).headers)
		end)

		it("takes a single header as a string", function()
			assert.are.same({ "linux/fs.h" },
				normalize(spec("slab", { headers = "linux/fs.h" })).headers)
		end)

		it("strips angle brackets and quotes", function()
			assert.are.same({ "linux/fs.h", "net/sock.h" },
				normalize(spec("slab", { headers = { "<linux/fs.h>", '"net/sock.h"' } })).headers)
		end)

		it("rejects a header that climbs out of the include path", function()
			assert.are.equal(msg('headers[1] "../secret.h" is not a header name like '
				.. '"linux/fs.h"'), failure(spec("slab", { headers = { "../secret.h" } })))
		end)

		it("rejects an absolute header path", function()
			assert.are.equal(msg('headers[2] "/etc/x.h" is not a header name like "linux/fs.h"'),
				failure(spec("slab", { headers = { "linux/fs.h", "/etc/x.h" } })))
		end)

		it("rejects a name that is no header", function()
			assert.are.equal(msg('headers[1] "linux/fs" is not a header name like "linux/fs.h"'),
				failure(spec("slab", { headers = { "linux/fs" } })))
		end)

		it("rejects a header that smuggles in a second directive", function()
			assert.are.equal(msg('headers[1] "linux/fs.h>\\\n#include <x.h" is not a header '
				.. 'name like "linux/fs.h"'),
				failure(spec("slab", { headers = { "linux/fs.h>\n#include <x.h" } })))
		end)

		it("rejects headers that are not a list", function()
			assert.are.equal(msg('headers must be a list of header names like "linux/fs.h"'),
				failure(spec("slab", { headers = 5 })))
		end)

		it("rejects a header that is not a string", function()
			assert.are.equal(msg("headers[1] must be a string, not a number"),
				failure(spec("slab", { headers = { 5 } })))
		end)

		it("rejects more than 64 headers", function()
			local h = {}
			for i = 1, 65 do h[i] = "linux/fs.h" end
			assert.are.equal(msg("headers lists 65 headers; at most 64 are allowed"),
				failure(spec("slab", { headers = h })))
		end)
	end)
end)

describe("kchaos.rule check_predicate", function()
	local STATEMENTS = "a predicate is one C expression, not statements"

	-- The message check_predicate gives for `p`, checking that it rejects it.
	local function rejection(p)
		local ok, err = rule.check_predicate(p)
		assert.is_nil(ok)
		return err
	end

	it("takes a C expression unchanged", function()
		assert.are.equal("parent->d_name.len > 3 && (flags & 1)",
			rule.check_predicate("parent->d_name.len > 3 && (flags & 1)"))
	end)

	it("joins a multi-line predicate into one line", function()
		assert.are.equal("a > 1 && b < 2", rule.check_predicate("a > 1\n    && b < 2"))
	end)

	it("takes ';' inside a string literal", function()
		assert.are.equal('STRCMP(name->name, "a;b")',
			rule.check_predicate('STRCMP(name->name, "a;b")'))
	end)

	it("takes ';' inside a character literal", function()
		assert.are.equal("c == ';'", rule.check_predicate("c == ';'"))
	end)

	it("rejects ';'", function()
		assert.are.equal("may not contain ';' (column 2): " .. STATEMENTS, rejection("1; x = 2"))
	end)

	it("rejects '{'", function()
		assert.are.equal("may not contain '{' (column 2): " .. STATEMENTS,
			rejection("({ int x; }) && 1"))
	end)

	it("rejects '}'", function()
		assert.are.equal("may not contain '}' (column 3): " .. STATEMENTS, rejection("1 } 2"))
	end)

	it("rejects a closing bracket with no opening one", function()
		assert.are.equal("has an unbalanced ')' at column 2", rejection("1) || (1"))
	end)

	it("rejects brackets of different kinds paired", function()
		assert.are.equal("has an unbalanced ']' at column 5", rejection("a[(1]"))
	end)

	it("rejects an unclosed bracket", function()
		assert.are.equal("has an unclosed '('", rejection("f((a)"))
	end)

	it("rejects a line comment", function()
		assert.are.equal("may not contain a comment (column 3)", rejection("1 // x"))
	end)

	it("rejects a block comment", function()
		assert.are.equal("may not contain a comment (column 3)", rejection("1 /* x */"))
	end)

	it("takes a division", function()
		assert.are.equal("a / 2 > 1", rule.check_predicate("a / 2 > 1"))
	end)

	it("rejects '#'", function()
		assert.are.equal("may not contain '#' (column 6)", rejection("1 && #x"))
	end)

	it("rejects a backslash outside a literal", function()
		assert.are.equal("may not contain '\\' (column 3)", rejection("1 \\\n; x"))
	end)

	it("rejects a byte outside printable ASCII", function()
		assert.are.equal("has a byte that is not printable ASCII (0xc3) at column 3",
			rejection("a \xc3\xa9 1"))
	end)

	it("rejects a carriage return", function()
		assert.are.equal("has a byte that is not printable ASCII (0x0d) at column 2",
			rejection("1\r"))
	end)

	it("rejects an unterminated string literal", function()
		assert.are.equal("has an unterminated string literal at column 6", rejection('x == "a'))
	end)

	it("rejects a control byte inside a literal", function()
		assert.are.equal("has a byte that is not printable ASCII (0x0d) in the literal at "
			.. "column 6; write it as an escape", rejection("x == '\r#error x\r'"))
	end)

	it("rejects the generated program's state, ctx and the override", function()
		assert.are.same({
			"may not use 'kc_g' (column 2): it belongs to the generated program",
			"may not use 'ctx' (column 15): it belongs to the generated program",
			"may not use 'bpf_override_return' (column 2): it belongs to the generated program",
		}, { rejection("(kc_g->lease = 0, 1)"), rejection("PT_REGS_PARM1(ctx) == 0"),
			rejection("(bpf_override_return(x, -12), 1)") })
	end)

	it("rejects BPF helpers that act, and takes those that read", function()
		assert.are.same({
			"may not call 'bpf_send_signal' (column 1): a predicate only tests; of the BPF "
				.. "helpers it may call those that read (bpf_get_*, bpf_ktime_get_*)",
			"may not call 'bpf_probe_write_user' (column 6): a predicate only tests; of the "
				.. "BPF helpers it may call those that read (bpf_get_*, bpf_ktime_get_*)",
			"bpf_get_current_pid_tgid() >> 32 == 7 && bpf_ktime_get_ns() > 0",
		}, { rejection("bpf_send_signal(9)"), rejection("1 && bpf_probe_write_user(p, p, 1)"),
			rule.check_predicate("bpf_get_current_pid_tgid() >> 32 == 7 && bpf_ktime_get_ns() > 0") })
	end)

	it("rejects assignments and increments, and takes comparisons", function()
		assert.are.same({
			"may not assign (column 3): a predicate only tests; for equality write '=='",
			"may not assign (column 5): a predicate only tests; for equality write '=='",
			"may not assign (column 4): a predicate only tests; for equality write '=='",
			"may not contain '++' (column 2): a predicate only tests",
			"may not contain '--' (column 6): a predicate only tests",
		}, { rejection("x = 1"), rejection("x <<= 1"), rejection("x |= 1"),
			rejection("x++ > 0"), rejection("x > 1--") })
		assert.are.equal("x != 1 && x <= 3 && x >= 0 && x == 2 && y->z",
			rule.check_predicate("x != 1 && x <= 3 && x >= 0 && x == 2 && y->z"))
	end)

	it("rejects a string literal that runs over a line end", function()
		assert.are.equal("has an unterminated string literal at column 6",
			rejection('x == "a\n" && 1'))
	end)

	it("rejects an unterminated character literal", function()
		assert.are.equal("has an unterminated character literal at column 6", rejection("c == 'a"))
	end)

	it("rejects an empty predicate", function()
		assert.are.equal("is empty", rejection("  "))
	end)

	it("rejects a predicate that is not a string", function()
		assert.are.equal("must be a string of C, not a number", rejection(1))
	end)

	it("rejects a string comparison that cannot be generated", function()
		assert.are.equal("STRCMP takes 2 arguments, not 1", rejection("STRCMP(name)"))
	end)

	it("rejects the digraphs that spell braces, '#' and brackets", function()
		assert.are.same({
			"may not contain the digraph '<%' (column 3)",
			"may not contain the digraph '%>' (column 3)",
			"may not contain the digraph '%:' (column 1)",
			"may not contain the digraph '<:' (column 2)",
			"may not contain the digraph ':>' (column 4)",
		}, { rejection("1 <% x"), rejection("1 %> x"), rejection("%:include"),
			rejection("a<:0]"), rejection("a[0:>") })
	end)

	it("takes a modulo and a conditional that only look like digraphs", function()
		assert.are.equal("a % b > 1 ? c : d", rule.check_predicate("a % b > 1 ? c : d"))
	end)

	it("rejects trigraphs", function()
		assert.are.equal("may not contain the trigraph '??<' (column 3)", rejection("1 ??< x"))
	end)

	it("takes digraphs and trigraphs inside string literals", function()
		assert.are.equal('STRCMP(n, "<%??<")', rule.check_predicate('STRCMP(n, "<%??<")'))
	end)

	it("rejects a predicate longer than 4096 bytes", function()
		assert.are.equal("is 4097 bytes long; at most 4096 are allowed",
			rejection(("1"):rep(4097)))
	end)
end)

describe("kchaos.rule check_params", function()
	it("rejects more than 6 parameters", function()
		assert.are.same({ nil, "has 7 parameters; a probe reads only the first 6, from "
			.. "registers (list them up to the last one the predicate uses)" },
			{ rule.check_params("int a, int b, int c, int d, int e, int f, int g") })
	end)

	it("returns the list and the parameter names", function()
		assert.are.same({ "struct dentry *parent, const struct qstr *name", { "parent", "name" } },
			{ rule.check_params("struct dentry *parent, const struct qstr *name") })
	end)

	it("collapses white space", function()
		assert.are.same({ "struct dentry *parent, int flags", { "parent", "flags" } },
			{ rule.check_params("  struct  dentry *parent,\n\tint flags ") })
	end)

	it("rejects an array parameter", function()
		assert.are.same({ nil, "declares an array; a probe's parameter is a pointer (write "
			.. "'type *name')" }, { rule.check_params("char buf[16], unsigned long n") })
	end)

	it("rejects a parameter that is a type without a name", function()
		assert.are.same({ nil, 'parameter "struct dentry" needs a type and a name' },
			{ rule.check_params("struct dentry, int x") })
		assert.are.same({ nil, 'parameter "unsigned long" needs a type and a name' },
			{ rule.check_params("unsigned long") })
	end)

	it("rejects the generated program's names as parameter names", function()
		assert.are.same({ nil, "parameter name 'ctx' is taken by the generated program; "
			.. "choose another" }, { rule.check_params("struct pt_regs *ctx") })
		assert.are.same({ nil, "parameter name 'kc_c' is taken by the generated program; "
			.. "choose another" }, { rule.check_params("int kc_c") })
	end)

	it("reads void as no parameters", function()
		assert.are.same({ "", {} }, { rule.check_params("void") })
	end)

	it("reads an empty string as no parameters", function()
		assert.are.same({ "", {} }, { rule.check_params("") })
	end)

	it("rejects a statement separator", function()
		assert.are.same({ nil, "has ';', which has no place in a C parameter list" },
			{ rule.check_params("int a; int b") })
	end)

	it("rejects a function pointer parameter", function()
		assert.are.same({ nil, "has '(', which has no place in a C parameter list" },
			{ rule.check_params("int (*fn)(void)") })
	end)

	it("rejects a parameter without a name", function()
		assert.are.same({ nil, 'parameter "int" needs a type and a name' },
			{ rule.check_params("struct file *f, int") })
	end)

	it("rejects a pointer parameter without a name", function()
		assert.are.same({ nil, 'parameter "struct foo *" needs a type and a name' },
			{ rule.check_params("struct foo *") })
	end)

	it("rejects an empty parameter between commas", function()
		assert.are.same({ nil, 'parameter "" needs a type and a name' },
			{ rule.check_params("int a,,int b") })
	end)

	it("rejects params that are not a string", function()
		assert.are.same({ nil, 'must be a string like "struct dentry *parent, int flags", not '
			.. "a table" }, { rule.check_params({}) })
	end)
end)

describe("kchaos.rule chain_text", function()
	it("lists the chain outermost first and ends with the site", function()
		local r = normalize(spec("slab", { callchain = { { func = "d_alloc_parallel" },
			{ func = "d_alloc" } } }))
		assert.are.equal("d_alloc_parallel > d_alloc > should_failslab", rule.chain_text(r))
	end)
end)
