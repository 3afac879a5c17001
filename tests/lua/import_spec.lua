-- SPDX-License-Identifier: GPL-2.0-only
-- Specification of kchaos.import: KernelChaos manifests and inject.py command lines become
-- the rule tables of the Lua API, or errors that name the line, field or column at fault.
-- The YAML parser is the host's binding, built by make as build/kchaos/yaml.so.
local import = require "kchaos.import"
local rule = require "kchaos.rule"

-- A kernel where every function exists except "gone", and the three built-in sites.
local ENV = {
	injection_list = function()
		return { should_failslab = "ERRNO", should_fail_alloc_page = "TRUE",
			should_fail_bio = "ERRNO" }
	end,
	symbol = function(name) return name ~= "gone", {} end,
}

local SYSTEM = { name = "x.yaml", system = true }

local function kc(text, opts)
	return import.kernelchaos(text, opts or SYSTEM)
end

-- The error `f(...)` raises; fails the test when it raises none.
local function failure(f, ...)
	local ok, err = pcall(f, ...)
	assert.is_false(ok, "no error was raised")
	return err
end

-- A KernelChaos document named k whose failKernRequest has the given (indented) lines.
local function manifest(request, extra)
	return "apiVersion: chaos-mesh.org/v1alpha1\nkind: KernelChaos\nmetadata:\n  name: k\n"
		.. "spec:\n  mode: one\n  selector:\n    namespaces: [app]\n  failKernRequest:\n"
		.. request .. (extra or "")
end

local function inject(line, opts)
	return import.inject(line, opts or { system = true })
end

local DALLOC = "struct dentry *parent, const struct qstr *name"

describe("kchaos.import kernelchaos", function()
	describe("fields", function()
		it("maps every failKernRequest field and the duration", function()
			local e = kc(manifest([[
    failtype: 1
    headers: [linux/mmzone.h, linux/fs.h]
    callchain:
      - funcname: do_sys_openat2
      - funcname: d_alloc_parallel
        parameters: "struct dentry *parent, const struct qstr *name"
        predicate: 'STRNCMP(name->name, "bananas", 8)'
    probability: 25
    times: 3
]], "  duration: 30s\n"))[1]
			assert.are.same({
				name = "k", failtype = 1, headers = { "linux/mmzone.h", "linux/fs.h" },
				callchain = {
					{ func = "do_sys_openat2" },
					{ func = "d_alloc_parallel", params = DALLOC,
						predicate = 'STRNCMP(name->name, "bananas", 8)' },
				},
				probability = "25%", times = 3, duration = "30s",
			}, e.spec)
		end)

		it("places the rule at its failKernRequest", function()
			assert.are.equal("x.yaml:9", kc(manifest("    failtype: 0\n"))[1].where)
		end)

		it("reads an absent failtype as 0 (slab), as Kubernetes does", function()
			assert.are.equal(0, kc(manifest("    times: 1\n"))[1].spec.failtype)
		end)

		it("reads an absent probability as every matching call", function()
			local e = kc(manifest("    failtype: 0\n"))[1]
			assert.is_nil(e.spec.probability)
			assert.are.same({}, e.warnings)
		end)

		it("reads probability 0 as every matching call, and says so", function()
			local e = kc(manifest("    failtype: 0\n    probability: 0\n"))[1]
			assert.is_nil(e.spec.probability)
			assert.are.same({ "x.yaml:11: spec.failKernRequest.probability 0 means that every "
				.. "matching call fails, as in Chaos Mesh, where 0 and an absent probability are "
				.. "the same; write 1 for 1%" }, e.warnings)
		end)

		it("reads probability 1 as 1 percent", function()
			local e = kc(manifest("    probability: 1\n"))[1]
			assert.are.equal("1%", e.spec.probability)
			assert.are.equal(0.01, rule.normalize(e.spec, e.where, ENV).probability)
		end)

		it("reads probability 100 as every matching call", function()
			assert.is_nil(kc(manifest("    probability: 100\n"))[1].spec.probability)
		end)

		it("reads times 0 as no limit", function()
			assert.is_nil(kc(manifest("    times: 0\n"))[1].spec.times)
		end)

		it("treats empty frame fields as absent, as Go does", function()
			local e = kc(manifest("    callchain:\n      - {funcname: f, parameters: '', "
				.. "predicate: ''}\n"))[1]
			assert.are.same({ { func = "f" } }, e.spec.callchain)
		end)

		it("reads Go durations", function()
			local e = kc(manifest("    failtype: 0\n", "  duration: 1h30m\n"))[1]
			assert.are.equal("90m", e.spec.duration)
		end)

		it("makes a rule that normalizes with the chain outermost first", function()
			local e = kc(manifest("    callchain:\n      - funcname: a\n      - funcname: b\n"))[1]
			assert.are.equal("a > b > should_failslab",
				rule.chain_text(import.normalize(e, ENV)))
		end)

		it("makes a rule whose predicate-only last frame is on the fault site", function()
			local r = import.normalize(kc(manifest("    callchain:\n      - funcname: a\n"
				.. "      - predicate: 's->size == 64'\n"))[1], ENV)
			assert.are.same({ 1, "s->size == 64" }, { #r.frames, r.site_pred.predicate })
		end)
	end)

	describe("documents", function()
		it("makes one rule per KernelChaos document, each with its own failtype and headers",
			function()
			local e = kc(manifest("    failtype: 0\n    callchain: [{funcname: f}]\n")
				.. "---\n" .. manifest("    failtype: 1\n    headers: [linux/mm.h]\n"
				.. "    callchain: [{funcname: f}]\n"))
			assert.are.same({ 0, 1 }, { e[1].spec.failtype, e[2].spec.failtype })
			assert.are.same({ nil, { "linux/mm.h" } }, { e[1].spec.headers, e[2].spec.headers })
			assert.are.same({ "x.yaml:9", "x.yaml:21" }, { e[1].where, e[2].where })
		end)

		it("skips empty documents", function()
			assert.are.equal(1, #kc("---\n---\n" .. manifest("    failtype: 2\n")))
		end)

		it("refuses another kind by name", function()
			assert.are.equal("x.yaml:13: NetworkChaos 'n' is not a KernelChaos: kchaos-lua runs "
				.. "KernelChaos experiments only (alone, or wrapped in a Schedule or a Workflow)",
				failure(kc, manifest("    failtype: 0\n") .. "---\napiVersion: v1\n"
				.. "kind: NetworkChaos\nmetadata: {name: n}\n"))
		end)

		it("refuses a document without kind", function()
			assert.are.equal("x.yaml:1: document 1 has no kind; kchaos-lua runs KernelChaos "
				.. "manifests", failure(kc, "metadata: {name: n}\n"))
		end)

		it("refuses a document that is not a mapping", function()
			assert.are.equal('x.yaml: document 1 is not a Kubernetes object (a mapping with kind '
				.. 'and spec), but "hello"', failure(kc, "hello\n"))
		end)

		it("refuses a file without a KernelChaos", function()
			assert.are.equal("x.yaml: has no KernelChaos document", failure(kc, "---\n"))
		end)

		it("extracts the KernelChaos of a Schedule, which runs once", function()
			local e = kc("kind: Schedule\nmetadata: {name: s}\nspec:\n  schedule: '@every 5m'\n"
				.. "  type: KernelChaos\n  kernelChaos:\n    selector: {}\n"
				.. "    failKernRequest: {failtype: 2, times: 2}\n")[1]
			assert.are.same({ name = "s", failtype = 2, times = 2 }, e.spec)
			assert.are.same({ "x.yaml:4: Schedule 's': the KernelChaos it wraps runs once, now; "
				.. 'its schedule "@every 5m" is not followed' }, e.warnings)
		end)

		it("refuses a Schedule of another type", function()
			assert.are.equal("x.yaml:4: Schedule 's' schedules a PodChaos, not a KernelChaos; "
				.. "kchaos-lua runs KernelChaos experiments only",
				failure(kc, "kind: Schedule\nmetadata: {name: s}\nspec:\n  type: PodChaos\n"))
		end)

		it("extracts the one KernelChaos of a Workflow, its deadline as duration", function()
			local e = kc([[
kind: Workflow
metadata: {name: w}
spec:
  entry: main
  templates:
    - name: main
      templateType: Serial
      children: [kc, wait]
    - name: kc
      templateType: KernelChaos
      deadline: 40s
      kernelChaos:
        failKernRequest: {failtype: 0, probability: 50}
    - name: wait
      templateType: Suspend
      deadline: 10s
]])[1]
			assert.are.same({ name = "kc", failtype = 0, probability = "50%", duration = "40s" },
				e.spec)
			assert.are.equal("x.yaml:13", e.where)
		end)

		it("refuses a Workflow with another kind of chaos", function()
			assert.are.equal("x.yaml:5: Workflow 'w': template 'net' is a NetworkChaos; "
				.. "kchaos-lua runs KernelChaos only, so it cannot run this workflow",
				failure(kc, "kind: Workflow\nmetadata: {name: w}\nspec:\n  templates:\n"
				.. "    - {name: net, templateType: NetworkChaos}\n"))
		end)

		it("refuses a Workflow with two KernelChaos templates", function()
			assert.are.equal("x.yaml:1: Workflow 'w' has 2 KernelChaos templates; kchaos-lua "
				.. "takes a workflow with exactly one (put each experiment in a KernelChaos "
				.. "document of its own: the documents of one file run together)",
				failure(kc, "kind: Workflow\nmetadata: {name: w}\nspec:\n  templates:\n"
				.. "    - {name: a, templateType: KernelChaos, kernelChaos: {}}\n"
				.. "    - {name: b, templateType: KernelChaos, kernelChaos: {}}\n"))
		end)
	end)

	describe("scope", function()
		it("refuses an unscoped manifest, naming the options that scope it", function()
			assert.are.equal("x.yaml:9: KernelChaos 'k' selects pods (spec.selector), which cannot "
				.. "be resolved without a cluster; give -p PID, -c CMD or --cgroup PATH to scope "
				.. "it, or --system to apply it to every process",
				failure(kc, manifest("    failtype: 0\n"), { name = "x.yaml" }))
		end)

		it("takes the scope of its options into the rule", function()
			local e = kc(manifest("    failtype: 0\n"), { name = "x.yaml", scope = { tree = 42 } })[1]
			assert.are.equal(42, e.spec.tree)
		end)

		it("accepts a manifest that a default scope will cover", function()
			assert.are.equal(1, #kc(manifest("    failtype: 0\n"), { name = "x.yaml", scoped = true }))
		end)
	end)

	describe("errors", function()
		it("names line and column of malformed YAML", function()
			assert.are.equal("x.yaml:11:4: malformed YAML: did not find expected key (while "
				.. "parsing a block mapping that starts at line 6, column 3)",
				failure(kc, manifest("    failtype: 0\n   times: 3\n")))
		end)

		it("names a duplicate key", function()
			assert.are.equal("x.yaml:11:5: malformed YAML: duplicate key 'failtype'",
				failure(kc, manifest("    failtype: 0\n    failtype: 1\n")))
		end)

		it("names a wrong failtype", function()
			assert.are.equal("x.yaml:10: spec.failKernRequest.failtype must be 0 (slab), 1 (page) "
				.. "or 2 (bio), not 3", failure(kc, manifest("    failtype: 3\n")))
		end)

		it("names a failtype written as a string", function()
			assert.are.equal('x.yaml:10: spec.failKernRequest.failtype must be 0 (slab), 1 (page) '
				.. 'or 2 (bio), not "0"', failure(kc, manifest("    failtype: '0'\n")))
		end)

		it("names a probability above 100", function()
			assert.are.equal("x.yaml:10: spec.failKernRequest.probability must be a whole number "
				.. "of percent from 0 to 100 (1 means 1%), not 150",
				failure(kc, manifest("    probability: 150\n")))
		end)

		it("names a probability written as a fraction", function()
			assert.are.equal("x.yaml:10: spec.failKernRequest.probability must be a whole number "
				.. "of percent from 0 to 100 (1 means 1%), not 0.5",
				failure(kc, manifest("    probability: 0.5\n")))
		end)

		it("names negative times", function()
			assert.are.equal("x.yaml:10: spec.failKernRequest.times must be a whole number from 0 "
				.. "(no limit) to 4294967295, not -1", failure(kc, manifest("    times: -1\n")))
		end)

		it("suggests the field meant", function()
			assert.are.equal("x.yaml:10: spec.failKernRequest has unknown field 'probabilty' (did "
				.. "you mean 'probability'?)", failure(kc, manifest("    probabilty: 5\n")))
		end)

		it("names an unknown field of a frame", function()
			assert.are.equal("x.yaml:11: spec.failKernRequest.callchain[0] has unknown field "
				.. "'function' (it takes funcname, parameters, predicate)",
				failure(kc, manifest("    callchain:\n      - function: f\n")))
		end)

		it("names a callchain that is not a list", function()
			assert.are.equal("x.yaml:10: spec.failKernRequest.callchain must be a list of frames "
				.. "({funcname, parameters, predicate}), not \"f\"",
				failure(kc, manifest("    callchain: f\n")))
		end)

		it("names a malformed duration", function()
			assert.are.equal('x.yaml:11: spec.duration "soon" is not a duration like "30s", "5m" '
				.. 'or "1h30m"', failure(kc, manifest("    failtype: 0\n", "  duration: soon\n")))
		end)

		it("points a frame's error from the rule model at the frame's line", function()
			local e = kc(manifest("    callchain:\n      - funcname: a\n"
				.. "      - funcname: b\n        predicate: 'x; y'\n"))[1]
			assert.are.equal("x.yaml:12: rule 'k': callchain frame 2: predicate may not contain "
				.. "';' (column 2): a predicate is one C expression, not statements",
				failure(import.normalize, e, ENV))
		end)

		it("points a function missing from the kernel at its frame", function()
			local e = kc(manifest("    callchain:\n      - funcname: gone\n"))[1]
			assert.are.equal("x.yaml:11: rule 'k': callchain frame 1: function 'gone' does not "
				.. "exist in this kernel (not in /proc/kallsyms; it may be inlined or named "
				.. "differently).", failure(import.normalize, e, ENV))
		end)

		it("points a malformed header at the headers field", function()
			local e = kc(manifest("    failtype: 0\n    headers: ['../x.h']\n"))[1]
			assert.are.equal("x.yaml:11: rule 'k': headers[1] \"../x.h\" is not a header name "
				.. "like \"linux/fs.h\"", failure(import.normalize, e, ENV))
		end)
	end)
end)

describe("kchaos.import inject", function()
	describe("grammar", function()
		it("reads a one-frame spec with inject.py's bare STRCMP literal", function()
			local e = inject("kmalloc 'd_alloc_parallel(" .. DALLOC
				.. ")(STRCMP(name->name, bananas))'")
			assert.are.same({ site = "slab", callchain = { { func = "d_alloc_parallel",
				params = DALLOC, predicate = 'STRCMP(name->name, "bananas")' } } }, e.spec)
		end)

		it("takes a quoted STRCMP literal as the string it quotes", function()
			local e = inject([[kmalloc 'f(struct qstr *n)(STRCMP(n->name, "a b"))']])
			assert.are.equal('STRCMP(n->name, "a b")', e.spec.callchain[1].predicate)
		end)

		it("reverses frames, innermost first, into a chain outermost first", function()
			local e = inject("bio 'inner() => middle() => outer()'")
			assert.are.same({ { func = "outer" }, { func = "middle" }, { func = "inner" } },
				e.spec.callchain)
		end)

		it("makes a bare first frame a predicate on the fault site", function()
			local e = inject("alloc_page '(order > 2) => f()'")
			assert.are.same({ site = "page", callchain = { { func = "f" },
				{ predicate = "order > 2" } } }, e.spec)
		end)

		it("probes the fault site once when the spec names it", function()
			local e = inject("kmalloc 'should_failslab(struct kmem_cache *s, gfp_t gfpflags)"
				.. "(s->size == 64) => f()'")
			local r = import.normalize(e, ENV)
			assert.are.same({ 1, "f", "s->size == 64" },
				{ #r.frames, r.frames[1].func, r.site_pred.predicate })
		end)

		it("drops an always-true test", function()
			assert.are.same({ { func = "f" } }, inject("kmalloc '(true) => f()(true)'").spec.callchain)
		end)

		it("reads a spec given as several words", function()
			local e = inject("kmalloc d_alloc_parallel(" .. DALLOC .. ")")
			assert.are.equal(DALLOC, e.spec.callchain[1].params)
		end)

		it("honours -P, -c and -I", function()
			local e = inject("kmalloc -P 0.25 -c 3 -I linux/fs.h -I linux/mount.h 'f()'")
			assert.are.same({ 0.25, 3, { "linux/fs.h", "linux/mount.h" } },
				{ e.spec.probability, e.spec.times, e.spec.headers })
		end)

		it("honours -P on a spec of one frame", function()
			local r = import.normalize(inject("kmalloc -P 0.1 '(true)'"), ENV)
			assert.are.same({ 0.1, 0 }, { r.probability, #r.frames })
		end)

		it("takes options before the mode, joined to their value and after the spec", function()
			local e = inject("-P0.5 kmalloc --count=2 'f()' -I linux/fs.h -v")
			assert.are.same({ 0.5, 2, { "linux/fs.h" } },
				{ e.spec.probability, e.spec.times, e.spec.headers })
		end)

		it("reads -c -1 as no limit", function()
			assert.is_nil(inject("kmalloc -c -1 'f()'").spec.times)
		end)

		it("maps the modes to the sites", function()
			assert.are.same({ "slab", "bio", "page" }, { inject("kmalloc 'f()'").spec.site,
				inject("bio 'f()'").spec.site, inject("alloc_page 'f()'").spec.site })
		end)

		it("refuses an unscoped spec, naming the options that scope it", function()
			assert.are.equal("--inject: an inject.py spec applies to every process; give -p PID, "
				.. "-c CMD or --cgroup PATH to scope it, or --system to apply it to every process",
				failure(import.inject, "kmalloc 'f()'", {}))
		end)
	end)

	describe("errors", function()
		it("names the column of an unclosed parenthesis", function()
			assert.are.equal("--inject: column 11: the spec is unbalanced: this '(' is never "
				.. "closed", failure(inject, "kmalloc 'f((x)'"))
		end)

		it("names the column of a parenthesis that closes nothing", function()
			assert.are.equal("--inject: column 14: the spec is unbalanced: this ')' closes nothing",
				failure(inject, "kmalloc 'f(x))'"))
		end)

		it("names a frame with an invalid identifier", function()
			assert.are.equal('--inject: column 21: frame 2: "d_alloc parallel" is not a function '
				.. "name (a C identifier)", failure(inject, "kmalloc 'inner() => d_alloc parallel()'"))
		end)

		it("names a frame without parentheses", function()
			assert.are.equal("--inject: column 10: frame 1: 'f' needs parentheses: write f() or "
				.. "f(ARGS)", failure(inject, "kmalloc 'f'"))
		end)

		it("names a bare STRCMP literal with a comma", function()
			assert.are.equal("--inject: column 32: STRCMP's string may not contain a comma in an "
				.. "inject.py spec (inject.py splits STRCMP's arguments at commas); write this "
				.. "rule in Lua to compare such a string",
				failure(inject, "kmalloc 'f(char *p)(STRCMP(p, a,b))'"))
		end)

		it("names a quoted STRCMP literal with a comma", function()
			assert.are.equal("--inject: column 33: STRCMP's string may not contain a comma in an "
				.. "inject.py spec (inject.py splits STRCMP's arguments at commas); write this "
				.. "rule in Lua to compare such a string",
				failure(inject, [[kmalloc 'f(char *p)(STRCMP(p, "a,b"))']]))
		end)

		it("names an empty frame", function()
			assert.are.equal("--inject: column 17: frame 2 is empty ('=>' must stand between two "
				.. "frames)", failure(inject, "kmalloc 'f() => => g()'"))
		end)

		it("names text after a frame's test", function()
			assert.are.equal('--inject: column 17: frame 1: unexpected "x" after its test (a frame '
				.. "is FUNC(ARGS), FUNC(ARGS)(TEST) or (TEST))", failure(inject, "kmalloc 'f()(1) x'"))
		end)

		it("names a test that is not one expression, at its column", function()
			assert.are.equal("--inject: column 14: frame 1: test may not contain ';' (column 15): "
				.. "a predicate is one C expression, not statements",
				failure(inject, "kmalloc 'f()(a; b)'"))
		end)

		it("names a frame on the fault site that is not the innermost", function()
			assert.are.equal("--inject: column 17: frame 2 is on the fault site should_failslab, "
				.. "so it must come first: inject.py lists frames innermost first",
				failure(inject, "kmalloc 'f() => (s->size > 8)'"))
		end)

		it("suggests the mode meant", function()
			assert.are.equal("--inject: column 1: mode 'kmaloc' is unknown (did you mean "
				.. "'kmalloc'?); inject.py's modes are kmalloc, bio and alloc_page",
				failure(inject, "kmaloc 'f()'"))
		end)

		it("names -P above 1", function()
			assert.are.equal("--inject: column 9: -P 1.5 is out of range: inject.py takes a "
				.. "probability from 0 to 1", failure(inject, "kmalloc -P 1.5 'f()'"))
		end)

		it("names -P that is no number", function()
			assert.are.equal("--inject: column 9: -P needs a probability from 0 to 1, not 'half'",
				failure(inject, "kmalloc -P half 'f()'"))
		end)

		it("names -c 0", function()
			assert.are.equal("--inject: column 9: -c needs a whole number of failures, 1 or more "
				.. "(or -1 for no limit), not '0'", failure(inject, "kmalloc -c 0 'f()'"))
		end)

		it("names an unknown option", function()
			assert.are.equal("--inject: column 9: unknown option '-x' (inject.py takes "
				.. "-P PROBABILITY, -c COUNT, -I HEADER and -v)", failure(inject, "kmalloc -x 'f()'"))
		end)

		it("looks for STRCMP outside string and character literals only", function()
			-- The name inside the character literal is no call to expand.
			assert.is_true((pcall(inject, [[kmalloc "f(char *p)(p[0] == 'STRCMP(a')"]])))
		end)

		it("names an unclosed quote", function()
			assert.are.equal("--inject: column 9: this quote is never closed",
				failure(inject, "kmalloc 'f()"))
		end)

		it("asks for a spec after the mode", function()
			assert.are.equal("--inject: column 8: needs a spec after the mode kmalloc, like "
				.. "'d_alloc_parallel()'", failure(inject, "kmalloc"))
		end)

		it("points a function missing from the kernel at its frame, counted as written",
			function()
			local e = inject("kmalloc 'inner() => gone()'")
			assert.are.equal("--inject: column 21: rule: frame 2: function 'gone' does not exist "
				.. "in this kernel (not in /proc/kallsyms; it may be inlined or named "
				.. "differently).", failure(import.normalize, e, ENV))
		end)
	end)
end)

describe("kchaos.import to_lua", function()
	-- Loads the Lua form with a kchaos.rule that returns its table.
	local function reload(text)
		local f = assert(loadstring("return " .. text))
		setfenv(f, { kchaos = { rule = function(t) return t end } })
		return f()
	end

	it("writes a rule that declares the same table", function()
		local spec = kc(manifest([[
    failtype: 1
    headers: [linux/fs.h]
    callchain:
      - funcname: f
        parameters: "struct qstr *n"
        predicate: "STRCMP(n->name, \"a\\tb\\\"\")\n  && 1"
    probability: 5
    times: 2
]], "  duration: 1m\n"), { name = "x.yaml", scope = { cgroup = "/sys/fs/cgroup/t" } })[1].spec
		assert.are.same(spec, reload(import.to_lua(spec)))
	end)

	it("writes an imported inject.py spec", function()
		assert.are.equal('kchaos.rule{\n\tsite = "slab",\n\tcallchain = {\n\t\t{ func = "f" },\n'
			.. '\t\t{ predicate = "s->size == 8" },\n\t},\n\tprobability = 0.5,\n\ttimes = 3,\n}',
			import.to_lua(inject("kmalloc -P 0.5 -c 3 '(s->size == 8) => f()'").spec))
	end)
end)

describe("kchaos.import go_duration", function()
	it("reads Go's units and sums their parts", function()
		assert.are.same({ 300e6, 10e9, 5400e9, 1.5e3, 0 }, { import.go_duration("300ms"),
			import.go_duration("10s"), import.go_duration("1h30m"), import.go_duration("1.5us"),
			import.go_duration("0") })
	end)

	it("refuses what Go refuses", function()
		assert.are.same({}, { import.go_duration("10"), import.go_duration("-1s"),
			import.go_duration("1d"), import.go_duration("") })
	end)
end)
