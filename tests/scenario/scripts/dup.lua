kchaos.scenario{ name = "bad", phases = {
	{ name = "warm", duration = "1s" },
	{ name = "warm", duration = "2s" },
} }
