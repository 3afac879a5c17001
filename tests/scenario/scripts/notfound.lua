-- A phase whose shell command is not found at run time: exit status 127 fails it.
kchaos.scenario{ name = "missing", phases = {
	{ name = "run", run = "cd / && kc-no-such-command" },
} }
