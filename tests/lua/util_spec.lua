-- SPDX-License-Identifier: GPL-2.0-only
-- Specification of kchaos.util: durations, probabilities, errno names, suggestions and
-- the text of messages.
-- Pure Lua; needs tests/lua/helper.lua for the module path.
local util = require "kchaos.util"

-- The message of a (nil, message) failure, checking that the value is nil.
local function failure(value, message)
	assert.is_nil(value)
	return message
end

local MALFORMED = 'is malformed; write it like "500ms", "2s", "1m" or "1h"'

describe("kchaos.util duration", function()
	it("reads milliseconds", function()
		assert.are.equal(250e6, util.duration("250ms"))
	end)

	it("reads seconds", function()
		assert.are.equal(2e9, util.duration("2s"))
	end)

	it("reads minutes", function()
		assert.are.equal(60e9, util.duration("1m"))
	end)

	it("reads fractional hours", function()
		assert.are.equal(5400e9, util.duration("1.5h"))
	end)

	it("reads microseconds and nanoseconds", function()
		assert.are.same({ 5000, 10 }, { util.duration("5us"), util.duration("10ns") })
	end)

	it("reads a fraction of seconds", function()
		assert.are.same({ 1.5e9, 250e6 }, { util.duration("1.5s"), util.duration("0.25") })
	end)

	it("takes a string without a unit as seconds", function()
		assert.are.equal(7e9, util.duration("7"))
	end)

	it("allows spaces around the number and unit", function()
		assert.are.equal(2e9, util.duration(" 2 s "))
	end)

	it("takes a number as seconds", function()
		assert.are.equal(250e6, util.duration(0.25))
	end)

	it("takes zero", function()
		assert.are.equal(0, util.duration(0))
	end)

	it("takes a year and refuses more, as a number or a string", function()
		assert.are.same({ 365 * 86400e9, "--timeout must be at most a year (365 days)",
			"duration must be at most a year (365 days)" },
			{ util.duration("8760h"), failure(util.duration("8761h", "--timeout")),
			failure(util.duration(1e20)) })
	end)

	it("rejects a negative number", function()
		assert.are.equal("duration must be a non-negative number of seconds, not -1",
			failure(util.duration(-1)))
	end)

	it("rejects infinity", function()
		assert.are.equal("duration must be a non-negative number of seconds, not inf",
			failure(util.duration(math.huge)))
	end)

	it("names the field it reads in its messages", function()
		assert.are.equal("after must be a non-negative number of seconds, not -2",
			failure(util.duration(-2, "after")))
	end)

	it("rejects a word", function()
		assert.are.equal('duration "fast" ' .. MALFORMED, failure(util.duration("fast")))
	end)

	it("rejects an unknown unit", function()
		assert.are.equal('duration "3d" ' .. MALFORMED, failure(util.duration("3d")))
	end)

	it("rejects a negative string", function()
		assert.are.equal('duration "-1s" ' .. MALFORMED, failure(util.duration("-1s")))
	end)

	it("rejects a number with two points", function()
		assert.are.equal('duration "1.2.3s" ' .. MALFORMED, failure(util.duration("1.2.3s")))
	end)

	it("rejects a point with no digits after it", function()
		assert.are.equal('duration "5." ' .. MALFORMED, failure(util.duration("5.")))
		assert.are.equal('duration "5.s" ' .. MALFORMED, failure(util.duration("5.s")))
	end)

	it("rejects a point with no digits before it", function()
		assert.are.equal('duration ".5s" ' .. MALFORMED, failure(util.duration(".5s")))
		assert.are.equal('duration ".s" ' .. MALFORMED, failure(util.duration(".s")))
	end)

	it("rejects an exponent", function()
		assert.are.equal('duration "1e3s" ' .. MALFORMED, failure(util.duration("1e3s")))
	end)

	it("rejects a value that is neither a number nor a string", function()
		assert.are.equal('duration must be a number of seconds or a string like "500ms", '
			.. "not a table", failure(util.duration({})))
	end)
end)

describe("kchaos.util probability", function()
	local RANGE = 'is out of range; it must lie between 0 and 1 (or "0%" and "100%")'

	it("takes a fraction", function()
		assert.are.equal(0.25, util.probability(0.25))
	end)

	it("takes the bounds 0 and 1", function()
		assert.are.same({ 0, 1 }, { util.probability(0), util.probability(1) })
	end)

	it("reads a percentage", function()
		assert.are.equal(0.25, util.probability("25%"))
	end)

	it("reads a percentage with spaces", function()
		assert.are.equal(0.5, util.probability(" 50 % "))
	end)

	it("reads 100% as 1", function()
		assert.are.equal(1, util.probability("100%"))
	end)

	it("reads a fraction written as a string", function()
		assert.are.equal(0.5, util.probability("0.5"))
	end)

	it("rejects a fraction above 1", function()
		assert.are.equal("probability 1.5 " .. RANGE, failure(util.probability(1.5)))
	end)

	it("rejects a negative fraction", function()
		assert.are.equal("probability -0.1 " .. RANGE, failure(util.probability(-0.1)))
	end)

	it("rejects a percentage above 100", function()
		assert.are.equal("probability 150% " .. RANGE, failure(util.probability("150%")))
	end)

	it("rejects a malformed string", function()
		assert.are.equal('probability "often" is malformed; write 0.25 or "25%"',
			failure(util.probability("often")))
	end)

	it("rejects a percent sign without a number", function()
		assert.are.equal('probability "%" is malformed; write 0.25 or "25%"',
			failure(util.probability("%")))
	end)

	it("rejects a value that is neither a number nor a string", function()
		assert.are.equal('probability must be a number from 0 to 1 or a string like "25%", '
			.. "not a boolean", failure(util.probability(true)))
	end)
end)

describe("kchaos.util errname", function()
	it("names a positive errno", function()
		assert.are.equal("ENOMEM", util.errname(12))
	end)

	it("names a negated errno as the kernel returns it", function()
		assert.are.equal("ENOENT", util.errname(-2))
	end)

	it("returns nil for 0", function()
		assert.is_nil(util.errname(0))
	end)

	it("returns nil for a number that is no known errno", function()
		assert.is_nil(util.errname(-9999))
	end)

	it("returns nil for a string", function()
		assert.is_nil(util.errname("ENOENT"))
	end)

	it("agrees with the errno table", function()
		assert.are.equal("EIO", util.errname(util.errno.EIO))
	end)
end)

describe("kchaos.util suggest", function()
	local FIELDS = { "name", "site", "probability", "times", "interval", "pid", "tree" }

	it("suggests the field a typo was meant to be", function()
		assert.are.equal("probability", util.suggest("probabilty", FIELDS))
	end)

	it("suggests across a missing letter in a short word", function()
		assert.are.equal("times", util.suggest("tmes", FIELDS))
	end)

	it("allows one edit even in a two-letter word", function()
		assert.are.equal("pid", util.suggest("pd", FIELDS))
	end)

	it("suggests nothing for a word far from every name", function()
		assert.is_nil(util.suggest("xyzzy", FIELDS))
	end)

	it("suggests nothing when a short word needs two edits", function()
		assert.is_nil(util.suggest("xy", { "pid" }))
	end)

	it("suggests nothing from an empty list", function()
		assert.is_nil(util.suggest("site", {}))
	end)

	it("returns an exact match", function()
		assert.are.equal("tree", util.suggest("tree", FIELDS))
	end)
end)

describe("kchaos.util printable", function()
	it("shows bytes outside printable ASCII as \\xNN and keeps tabs and newlines", function()
		assert.are.equal("a\\x1b[31m\tb\nc\\xc3\\xa9", util.printable("a\27[31m\tb\nc\195\169"))
	end)

	it("shows a table without its address", function()
		assert.are.equal("not a table", util.printable("not " .. tostring({})))
	end)

	it("keeps the first 500 bytes of a longer message and counts the rest", function()
		assert.are.equal(("x"):rep(500) .. "... (99500 more bytes)",
			util.printable(("x"):rep(100000)))
	end)

	it("leaves a message of 600 bytes whole", function()
		assert.are.equal(("x"):rep(600), util.printable(("x"):rep(600)))
	end)
end)

describe("kchaos.util quote", function()
	it("quotes a string on one line, escaping newlines and escapes", function()
		assert.are.equal("'a\\x0ab\\x1b[31mRED'", util.quote("a\nb\27[31mRED"))
	end)

	it("cuts a long string after 40 bytes and gives its length", function()
		assert.are.equal("'" .. ("x"):rep(40) .. "'... (100000 bytes)",
			util.quote(("x"):rep(100000)))
	end)

	it("shows other values as themselves, a table by its type", function()
		assert.are.same({ "5", "nil", "a table" },
			{ util.quote(5), util.quote(nil), util.quote({}) })
	end)
end)

describe("kchaos.util check_self", function()
	local Obj = {}
	Obj.__index = Obj
	function Obj:go() util.check_self(self, Obj, "o:go()") return "went" end

	it("lets a method called with ':' run", function()
		assert.are.equal("went", setmetatable({}, Obj):go())
	end)

	it("refuses a method called with '.', at the caller's line", function()
		local o = setmetatable({}, Obj)
		local line = debug.getinfo(1, "l").currentline + 1
		local ok, err = pcall(function() o.go() end)
		assert.is_false(ok)
		assert.are.equal(("tests/lua/util_spec.lua:%d: go is a method: call it as o:go()")
			:format(line), err)
	end)
end)
