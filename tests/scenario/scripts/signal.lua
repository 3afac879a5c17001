-- A long phase with a workload, to be interrupted.
kchaos.scenario{ name = "long", phases = {
	{ name = "short", duration = "100ms" },
	{ name = "long", duration = "60s", run = "sleep 96.137" },
	{ name = "never", duration = "1s" },
} }
