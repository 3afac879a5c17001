-- Phases of every kind, no rules: a fixed duration, a command whose output is kept, a
-- body that sleeps and waits for a workload, and a workload cut short by its duration.
kchaos.at("100ms", function() print("at 100ms") end)
kchaos.scenario{
	name = "kinds",
	phases = {
		{ name = "wait", duration = "300ms" },
		{ name = "command", run = { "sh", "-c", "echo hello; sleep 0.2; echo bye", capture = true },
		  check = function(p)
			kchaos.expect(p.workload:output() == "hello\nbye\n", "output %q", p.workload:output())
			kchaos.expect(p.ended_by == "workload", "ended by %s", p.ended_by)
		  end },
		{ name = "body", run = function(p, sc)
			print("body of " .. p.name .. " in " .. sc.name)
			kchaos.sleep("200ms")
			local code = kchaos.spawn("exit 3"):wait()
			kchaos.expect(code == 3, "exit status %s", tostring(code))
			print("body done")
		  end },
		{ name = "cut", duration = "300ms", run = "sleep 5.137",
		  check = function(p)
			kchaos.expect(p.workload:status() == 143 and p.workload:signal() == "SIGTERM",
				"killed: %s", p.workload:describe())
		  end },
	},
}
