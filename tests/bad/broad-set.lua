-- r:set that would turn a rule into one that fails every allocation.
local r = kchaos.slab{ probability = "1%" }
r:set{ probability = 1 }
