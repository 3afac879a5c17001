-- SPDX-License-Identifier: GPL-2.0-only
-- Specification of kchaos.repl's pure parts: how typed text compiles, how values print,
-- and what Tab completes. The host module and the kernel are stubbed.
package.loaded["kchaos.core"] = package.loaded["kchaos.core"] or {}
package.loaded["kchaos.kernel"] = {
	injection_list = function()
		return { should_failslab = "ERRNO", should_fail_bio = "ERRNO", __x64_sys_mkdir = "ERRNO" }
	end,
}
local repl = require "kchaos.repl"

describe("kchaos.repl", function()
	describe("compile", function()
		it("compiles an expression so that it returns its values", function()
			local f = repl.compile("1 + 1, 'x'")
			assert.same({ 2, "x" }, { f() })
		end)

		it("compiles a statement when the text is no expression", function()
			local f = repl.compile("local a = 5 return a * 2")
			assert.equal(10, f())
		end)

		it("takes a leading = for return, as Lua 5.1's prompt did", function()
			assert.equal(3, repl.compile("= 1 + 2")())
		end)

		it("asks for more when the statement is not complete", function()
			local f, err = repl.compile("for i = 1, 2 do")
			assert.is_nil(f)
			assert.is_nil(err)
			assert.is_nil((repl.compile("t = {")))
		end)

		it("reports a syntax error with its line", function()
			local f, err = repl.compile("x = = 1")
			assert.is_nil(f)
			assert.equal("stdin:1: unexpected symbol near '='", err)
		end)

		it("keeps the line of a runtime error in an expression", function()
			local ok, err = pcall(repl.compile("error('boom')"))
			assert.is_false(ok)
			assert.equal("stdin:1: boom", err)
		end)

		it("numbers lines from the input line the text starts on", function()
			assert.equal("stdin:7: unexpected symbol near '='", select(2, repl.compile("x = = 1", 7)))
			assert.equal("stdin:10: 'end' expected (to close 'while' at line 8) near 'until'",
				select(2, repl.compile("while true do\nx = 1\nuntil x", 8)))
			assert.equal("stdin:5: boom", select(2, pcall(repl.compile("error('boom')", 5))))
			assert.equal("stdin:6: deeper",
				select(2, pcall(repl.compile("if true then\n  error('deeper')\nend", 5))))
		end)

		it("accepts an expression that ends in a comment", function()
			assert.equal(1, repl.compile("1 -- one")())
		end)
	end)

	describe("show", function()
		it("prints scalars as Lua literals", function()
			assert.equal('"a\\nb"', repl.show("a\nb"))
			assert.equal("12", repl.show(12))
			assert.equal("1234567890123", repl.show(1234567890123))
			assert.equal("0.5", repl.show(0.5))
			assert.equal("nil", repl.show(nil))
		end)

		it("prints a short table on one line, list part first, then keys in order", function()
			assert.equal('{ 1, 2, a = true, b = "x", ["two words"] = 3 }',
				repl.show({ 1, 2, b = "x", a = true, ["two words"] = 3 }))
			assert.equal("{}", repl.show({}))
		end)

		it("stops at the depth limit and at cycles", function()
			assert.equal("{ a = { b = { c = {...} } } }", repl.show({ a = { b = { c = { d = 1 } } } }))
			local t = {}
			t.self = t
			assert.equal("{ self = {...} (cycle) }", repl.show(t))
		end)

		it("prints a long table one entry a line", function()
			local t = {}
			for i = 1, 20 do t[i] = "item number " .. i end
			local s = repl.show(t)
			assert.equal('{\n  "item number 1",\n', s:sub(1, 21))
			assert.equal('  "item number 20"\n}', s:sub(-20))
		end)

		it("cuts a table with many entries", function()
			local t = {}
			for i = 1, 100 do t[i] = i end
			assert.truthy(repl.show(t):find("... (60 more)", 1, true))
		end)

		it("uses __tostring where there is one, as for rules", function()
			local r = setmetatable({}, { __tostring = function() return "rule #1: ..." end })
			assert.equal("{ rule #1: ... }", repl.show({ r }))
		end)
	end)

	describe("complete", function()
		local function complete(line)
			local start = #line
			while start > 0 and not line:sub(start, start):match("[%s\"'(){}%[%],=]") do
				start = start - 1
			end
			return repl.complete(line, start, #line)
		end

		it("completes fields after a dot", function()
			_G.kc_spec = { slab = 1, page = 2, spawn = 3, _private = 4 }
			local c, prefix = complete("kc_spec.s")
			assert.same({ "kc_spec.slab", "kc_spec.spawn" }, c)
			assert.equal("kc_spec.s", prefix)
			assert.same({ "kc_spec.slab" }, (complete("x = kc_spec.sl")))
			_G.kc_spec = nil
		end)

		it("completes methods after a colon, through the metatable", function()
			local M = { arm = function() end, disarm = function() end }
			M.__index = M
			_G.kc_rule = setmetatable({ armed = true }, M)
			assert.same({ "kc_rule:arm" }, (complete("kc_rule:ar")))
			assert.same({ "kc_rule.arm", "kc_rule.armed" }, (complete("kc_rule.ar")))
			_G.kc_rule = nil
		end)

		it("completes methods kept in a metatable whose __index is a function", function()
			local M = { arm = function() end }
			function M.__index(_, k) return M[k] end
			_G.kc_rule = setmetatable({}, M)
			assert.same({ "kc_rule:arm" }, (complete("kc_rule:ar")))
			_G.kc_rule = nil
		end)

		it("completes globals and keywords", function()
			_G.kc_alpha, _G.kc_beta = 1, 2
			assert.same({ "kc_alpha", "kc_beta" }, (complete("kc_")))
			assert.same({ "return" }, (complete("retu")))
			assert.same({ "kc_alpha" }, (complete("print(kc_a")))
			_G.kc_alpha, _G.kc_beta = nil, nil
		end)

		it("completes commands at the start of a line", function()
			assert.same({ ".help" }, (complete(".he")))
			assert.same({ ".c" }, (complete(".c")))
		end)

		it("completes injectable functions in a string given to kchaos.func", function()
			assert.same({ "should_fail_bio", "should_failslab" },
				(complete('kchaos.func("should_f')))
			assert.same({ "should_fail_bio", "should_failslab", "slab" },
				(complete('kchaos.rule{ site = "s')))
		end)

		it("completes nothing in other strings", function()
			assert.same({}, (complete('print("should_f')))
		end)
	end)
end)
