kchaos.scenario{ name = "bad", phases = {
	{ name = "warm", duration = "1s" },
	{ name = "hot", rules = {} },
} }
