-- A scenario whose second phase runs long enough to be interrupted (by the suite's kill).
local r = kchaos.slab{ name = "idle", comm = "kc-nothing", armed = false }
kchaos.scenario{ name = "long", phases = {
	{ name = "calm", duration = "200ms" },
	{ name = "long", duration = "60s", rules = { r }, run = "sleep 98" },
	{ name = "never", duration = "1s" } } }
