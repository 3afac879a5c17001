-- r:set with a field it cannot change live.
local r = kchaos.slab{ comm = "x", probability = 0.5 }
r:set{ comm = "y" }
