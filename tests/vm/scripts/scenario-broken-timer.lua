-- A timer callback that fails in the middle of a phase: the scenario stops with the
-- error at this file's line 8, its workload is killed, and nothing stays attached.
local r = kchaos.slab{ name = "idle", comm = "kc-nothing", armed = false }
kchaos.scenario{ name = "broken", phases = {
	{ name = "calm", duration = "300ms" },
	{ name = "busy", duration = "20s", rules = { r }, run = "sleep 97" },
	{ name = "never", duration = "1s" } } }
kchaos.after("1s", function() local t = nil; return t.field end)
