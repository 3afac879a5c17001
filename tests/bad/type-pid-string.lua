-- A pid as a string.
kchaos.slab{ pid = "42" }
