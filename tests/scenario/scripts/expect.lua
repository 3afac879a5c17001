-- A failed expectation fails the scenario at its line; later phases are skipped.
kchaos.scenario{ name = "checks", phases = {
	{ name = "first", duration = "100ms" },
	{ name = "second", run = function() kchaos.expect(1 + 1 == 3, "arithmetic: %d", 1 + 1) end },
	{ name = "third", duration = "1s" },
} }
