-- SPDX-License-Identifier: GPL-2.0-only
-- Specification of kchaos.scenario's checks: a scenario table (or function) becomes a list
-- of phases, or an error that names the scenario, the phase and the fix. Commands are
-- looked up in a mock file system; no kernel and no process is needed.
local scenario = require "kchaos.scenario"

local WHERE = "ramp.lua:7"

-- /bin/sh and /usr/bin/stress exist; /usr/bin is a directory.
local ENV = {
	path = "/usr/bin:/bin",
	stat = function(path)
		if path == "/bin/sh" or path == "/usr/bin/stress" then return { type = "file" } end
		if path == "/usr/bin" then return { type = "directory" } end
		return nil, path .. ": No such file or directory"
	end,
}

local function normalize(spec)
	return scenario.normalize(spec, WHERE, ENV)
end

-- The error normalize raises for `spec`; fails the test when it raises none.
local function failure(spec)
	local ok, err = pcall(normalize, spec)
	assert.is_false(ok, "the scenario was accepted")
	return err
end

-- A scenario named 'r' with the given phases.
local function with(...)
	return { name = "r", phases = { ... } }
end

describe("kchaos.scenario normalize", function()
	it("keeps phases in order with their durations in nanoseconds", function()
		local n = normalize(with({ name = "warm", duration = "250ms" },
			{ name = "hot", duration = 2 }, { name = "cool", duration = "1m" }))
		assert.are.same({ "warm", "hot", "cool" },
			{ n.phases[1].name, n.phases[2].name, n.phases[3].name })
		assert.are.same({ 250e6, 2e9, 60e9 },
			{ n.phases[1].duration, n.phases[2].duration, n.phases[3].duration })
	end)

	it("names an unnamed phase by its position", function()
		assert.are.equal("phase 2", normalize(with({ duration = 1 }, { duration = 1 })).phases[2].name)
	end)

	it("names an unnamed scenario after its script", function()
		assert.are.equal("ramp", scenario.normalize({ phases = { { duration = 1 } } }, WHERE).name)
	end)

	it("takes a function as a scenario of one phase that runs it", function()
		local fn = function() end
		local n = normalize(fn)
		assert.are.equal(1, #n.phases)
		assert.are.equal("main", n.phases[1].name)
		assert.are.same({ kind = "body", fn = fn }, n.phases[1].run)
	end)

	it("takes a shell command, a list of words with options, or a workload as run", function()
		local handle = { pid = function() return 42 end }
		local n = normalize(with({ name = "a", run = "stress --vm 1" },
			{ name = "b", run = { "/bin/sh", "-c", "true", capture = true } },
			{ name = "c", run = handle }))
		assert.are.same({ kind = "command", command = "stress --vm 1", options = {} },
			n.phases[1].run)
		assert.are.same({ kind = "command", command = { "/bin/sh", "-c", "true" },
			options = { capture = true } }, n.phases[2].run)
		assert.are.same({ kind = "handle", proc = handle }, n.phases[3].run)
	end)

	it("keeps rules as given, rule values and tables alike", function()
		local r = { arm = function() end }
		local n = normalize(with({ name = "a", duration = 1, rules = { r, { site = "slab" } } }))
		assert.are.equal(r, n.phases[1].rules[1])
		assert.are.same({ site = "slab" }, n.phases[1].rules[2])
	end)

	it("starts at once unless start = false", function()
		assert.is_true(normalize(with({ duration = 1 })).start)
		local s = with({ duration = 1 })
		s.start = false
		assert.is_false(normalize(s).start)
	end)

	it("refuses a phase with neither a duration nor a workload", function()
		assert.are.equal("ramp.lua:7: scenario 'r': phase 2 ('hot'): needs a duration, or a "
			.. "workload or function to wait for (run)",
			failure(with({ name = "warm", duration = 1 }, { name = "hot" })))
	end)

	it("refuses two phases of the same name", function()
		assert.are.equal("ramp.lua:7: scenario 'r': phase 3 is named 'warm' like phase 1; "
			.. "phase names must be unique",
			failure(with({ name = "warm", duration = 1 }, { name = "hot", duration = 1 },
				{ name = "warm", duration = 1 })))
	end)

	it("refuses a negative duration", function()
		assert.are.equal("ramp.lua:7: scenario 'r': phase 1 ('warm'): duration must be a "
			.. "non-negative number of seconds, not -2",
			failure(with({ name = "warm", duration = -2 })))
	end)

	it("refuses a malformed duration", function()
		assert.are.equal('ramp.lua:7: scenario \'r\': phase 1 (\'warm\'): duration "2 weeks" '
			.. 'is malformed; write it like "500ms", "2s", "1m" or "1h"',
			failure(with({ name = "warm", duration = "2 weeks" })))
	end)

	it("refuses a zero duration", function()
		assert.are.equal("ramp.lua:7: scenario 'r': phase 1 ('warm'): duration must be more "
			.. "than 0", failure(with({ name = "warm", duration = "0s" })))
	end)

	it("refuses a command that does not exist", function()
		assert.are.equal("ramp.lua:7: scenario 'r': phase 1 ('load'): run: command 'strss' "
			.. "not found (searched $PATH)", failure(with({ name = "load", run = "strss -c 1" })))
	end)

	it("refuses a path that does not exist", function()
		assert.are.equal("ramp.lua:7: scenario 'r': phase 1 ('load'): run: '/opt/load' does "
			.. "not exist", failure(with({ name = "load", run = { "/opt/load", "-n", "3" } })))
	end)

	it("refuses a run that is neither command, workload nor function", function()
		assert.are.equal("ramp.lua:7: scenario 'r': phase 1 ('load'): run must be a command "
			.. "(a shell string or a list of words), a workload made by kchaos.spawn, or a "
			.. "function, not a number", failure(with({ name = "load", run = 5 })))
	end)

	it("refuses a start option in a phase's command", function()
		assert.are.equal("ramp.lua:7: scenario 'r': phase 1 ('load'): run: option 'start' has "
			.. "no meaning here: the phase starts its workload",
			failure(with({ name = "load", run = { "/bin/sh", start = false } })))
	end)

	it("refuses an unknown phase field with a suggestion", function()
		assert.are.equal("ramp.lua:7: scenario 'r': phase 1: field 'durration' is unknown "
			.. "(did you mean 'duration'?)", failure(with({ name = "load", durration = 1 })))
	end)

	it("refuses a single rule where a list is expected", function()
		assert.are.equal("ramp.lua:7: scenario 'r': phase 1 ('load'): rules must be a list of "
			.. "rules (made with armed = false) or rule tables, like rules = { r1, { site = "
			.. "\"slab\", ... } }",
			failure(with({ name = "load", duration = 1, rules = { site = "slab" } })))
	end)

	it("refuses phases written straight into the scenario table", function()
		assert.are.equal("ramp.lua:7: scenario: phases go in a list under 'phases': "
			.. "kchaos.scenario{ phases = { { ... }, { ... } } }",
			failure({ { name = "a", duration = 1 } }))
	end)

	it("refuses a scenario without phases", function()
		assert.are.equal("ramp.lua:7: scenario 'r': phases must be a list of one phase or "
			.. "more, like phases = { { name = \"load\", duration = \"5s\" } }",
			failure({ name = "r", phases = {} }))
	end)

	it("refuses a check that is not a function", function()
		assert.are.equal("ramp.lua:7: scenario 'r': phase 1 ('a'): check must be a "
			.. "function(phase), not a string",
			failure(with({ name = "a", duration = 1, check = "ok" })))
	end)

	it("refuses a name that is too long", function()
		local err = failure(with({ name = ("x"):rep(65), duration = 1 }))
		assert.truthy(err:find("name must be a string of 1 to 64 printable characters", 1, true))
	end)

	it("refuses a scenario name with control characters, showing them escaped", function()
		assert.are.equal("ramp.lua:7: scenario: name 'a\\x0ab\\x1b[31mRED' holds a control "
			.. "character (byte 2 is \\x0a); a name must be printable",
			failure({ name = "a\nb\27[31mRED", phases = { { duration = 1 } } }))
	end)

	it("refuses a phase name with a control character", function()
		assert.are.equal("ramp.lua:7: scenario 'r': phase 1: name 'a\\x09b' holds a control "
			.. "character (byte 2 is \\x09); a name must be printable",
			failure(with({ name = "a\tb", duration = 1 })))
	end)

	it("quotes only the start of a huge name", function()
		assert.are.equal("ramp.lua:7: scenario: name must be a string of 1 to 64 printable "
			.. "characters, not '" .. ("x"):rep(40) .. "'... (100000 bytes)",
			failure({ name = ("x"):rep(100000), phases = { { duration = 1 } } }))
	end)

	it("shows an unknown field's name escaped", function()
		assert.are.equal("ramp.lua:7: scenario 'r': field 'a\\x1b' is unknown",
			failure({ name = "r", phases = { { duration = 1 } }, ["a\27"] = 1 }))
	end)

	it("refuses something that is not a scenario", function()
		assert.are.equal("ramp.lua:7: scenario: expects a table like { name = ..., phases = "
			.. "{ ... } } or a function, not a string", failure("go"))
	end)
end)
