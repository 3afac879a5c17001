-- SPDX-License-Identifier: GPL-2.0-only
-- Specification of kchaos.workload's pure parts: reading spawn's arguments, finding out
-- before running it whether a command's program exists, and naming signals.
local workload = require "kchaos.workload"

local ENV = {
	path = "/usr/local/bin:/usr/bin:/bin",
	stat = function(path)
		if path == "/bin/sh" or path == "/usr/bin/dd" then return { type = "file" } end
		if path == "/tmp" then return { type = "directory" } end
		return nil, path .. ": No such file or directory"
	end,
}

describe("kchaos.workload parse", function()
	it("takes a shell string as it is", function()
		assert.are.same({ "dd if=/dev/zero | wc", {} },
			{ workload.parse("dd if=/dev/zero | wc") })
	end)

	it("splits a list of words from the options among them", function()
		assert.are.same({ { "dd", "count=1" }, { capture = true, name = "dd" } },
			{ workload.parse({ "dd", "count=1", capture = true, name = "dd" }) })
	end)

	it("merges options given as a second argument", function()
		assert.are.same({ "true", { start = false } }, { workload.parse("true", { start = false }) })
	end)

	it("refuses an unknown option with a suggestion", function()
		assert.are.same({ nil, "option 'captrue' is unknown (did you mean 'capture'?)" },
			{ workload.parse({ "ls", captrue = true }) })
	end)

	it("refuses an empty command", function()
		assert.are.same({ nil, "the command has no words" }, { workload.parse({}) })
		assert.are.same({ nil, "the command is empty" }, { workload.parse("  ") })
	end)

	it("refuses a word that is not a string", function()
		assert.are.same({ nil, "word 2 of the command is a number, not a string" },
			{ workload.parse({ "sleep", 1 }) })
	end)
end)

describe("kchaos.workload check_command", function()
	it("finds a program on $PATH", function()
		assert.is_true(workload.check_command({ "dd", "count=1" }, ENV))
		assert.is_true(workload.check_command("dd if=/dev/zero of=/dev/null", ENV))
	end)

	it("names a program that is not on $PATH", function()
		assert.are.same({ nil, "command 'stress-ng' not found (searched $PATH)" },
			{ workload.check_command("stress-ng --vm 2", ENV) })
	end)

	it("names a path that does not exist, or is a directory", function()
		assert.are.same({ nil, "'./load' does not exist" },
			{ workload.check_command({ "./load" }, ENV) })
		assert.are.same({ nil, "'/tmp' is a directory" }, { workload.check_command({ "/tmp" }, ENV) })
	end)

	it("trusts shell syntax it cannot look into", function()
		for _, cmd in ipairs { "cd /tmp && nothere", "X=1 nothere", "$PROG", "for i in 1; do :; done",
			"{ nothere; }", "exec nothere", "'nothere'" } do
			assert.is_true(workload.check_command(cmd, ENV), cmd)
		end
	end)
end)

describe("kchaos.workload signals", function()
	it("reads names with or without SIG, in any case, and numbers", function()
		assert.are.same({ 15, 9, 2, 1 }, { workload.signal_number("TERM"),
			workload.signal_number("SIGKILL"), workload.signal_number("int"),
			workload.signal_number(1) })
	end)

	it("refuses what is not a signal", function()
		assert.are.same({ nil, '"BOOM" is not a signal; give a name like "TERM" or "KILL", or a number' },
			{ workload.signal_number("BOOM") })
	end)

	it("names signals", function()
		assert.are.same({ "SIGTERM", "SIGSEGV", "signal 40" },
			{ workload.signal_name(15), workload.signal_name(11), workload.signal_name(40) })
	end)

	it("labels a command for reports, cut to a length", function()
		assert.are.equal("sh -c echo hi", workload.label({ "sh", "-c", "echo  hi" }))
		assert.are.equal("abcdefg...", workload.label(("abcdefghijkl"), 10))
	end)
end)
