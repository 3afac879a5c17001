-- SPDX-License-Identifier: GPL-2.0-only
-- Specification of kchaos.output's report of lost events: a warning on stderr in text
-- format (even with -q), a JSON line with -f json, a line in the -o file; and of the
-- levels of the program's own messages (KCHAOS_LOG, -v).
local output = require "kchaos.output"

-- Runs fn with io.stderr and output.out replaced by buffers; returns what each got.
local function capture(fn)
	local err, out = {}, {}
	local sink = function(t) return { write = function(_, ...) for _, s in ipairs { ... } do
		t[#t + 1] = s end end, flush = function() end } end
	local saved_stderr, saved_out = io.stderr, output.out
	io.stderr, output.out = sink(err), sink(out)
	local ok, e = pcall(fn)
	io.stderr, output.out = saved_stderr, saved_out
	assert(ok, e)
	return table.concat(err), table.concat(out)
end

local EV = { time = 2.5e9, rule = "lossy", lost = 120, total = 340 }
local RULE = { label = "lossy" }

describe("kchaos.output lost", function()
	after_each(function()
		output.format, output.quiet = "text", false
	end)

	it("warns on stderr with the new and total losses", function()
		local err = capture(function() output.lost(EV, RULE) end)
		assert.are.equal("kchaos-lua: warning: rule lossy: 120 events lost (340 in all): the "
			.. "ring buffer was full; the injections happened and are counted\n", err)
	end)

	it("warns even with -q", function()
		output.quiet = true
		local err = capture(function() output.lost(EV, RULE) end)
		assert.is_truthy(err:find("120 events lost", 1, true))
	end)

	it("says event, not events, for one", function()
		local err = capture(function()
			output.lost({ time = 0, rule = 1, lost = 1, total = 1 }, { label = "#1" })
		end)
		assert.is_truthy(err:find("rule #1: 1 event lost (1 in all)", 1, true))
	end)

	it("writes one JSON object with -f json, and no warning", function()
		output.format = "json"
		local err, out = capture(function() output.lost(EV, RULE) end)
		assert.are.equal("", err)
		assert.are.same(EV, require("cjson").decode(out))
	end)
end)

describe("kchaos.output levels", function()
	after_each(function() output.level = output.HINT end)

	it("shows warnings and hints but no information by default", function()
		local err = capture(function()
			output.warn("w")
			output.hint("h")
			output.info("i")
		end)
		assert.are.equal("kchaos-lua: warning: w\nkchaos-lua: hint: h\n", err)
	end)

	it("shows only errors at level 0", function()
		output.level = output.ERROR
		local err = capture(function()
			output.error("e")
			output.warn("w")
			output.hint("h")
			output.traceback("tb")
		end)
		assert.are.equal("kchaos-lua: error: e\n", err)
	end)

	it("shows information and tracebacks from level 3", function()
		output.level = output.INFO
		local err = capture(function()
			output.info("i")
			output.traceback("tb")
		end)
		assert.are.equal("kchaos-lua: i\ntb\n", err)
	end)

	it("takes the level of the options", function()
		output.configure { log_level = 0 }
		assert.are.equal(0, output.level)
	end)

	it("writes the bytes of a message outside printable ASCII as \\xNN", function()
		local err = capture(function() output.error("a\0\27[31m\255\tb\nc") end)
		assert.are.equal("kchaos-lua: error: a\\x00\\x1b[31m\\xff\tb\nc\n", err)
	end)
end)

describe("kchaos.output encode", function()
	it("writes integers of 15 digits and more whole, as JSON numbers", function()
		assert.are.equal('{"time":123456789012345}',
			output.encode { time = 123456789012345 })
		assert.are.equal('[100000000000000,-100000000000001,0.1]',
			output.encode { 1e14, -100000000000001, 0.1 })
	end)

	it("writes a string that is not UTF-8 with its high bytes as \\xNN, UTF-8 as it is", function()
		assert.are.equal('["ok\\\\xff","caf\195\169"]', output.encode { "ok\255", "caf\195\169" })
	end)
end)
