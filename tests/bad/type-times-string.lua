-- times as a string.
kchaos.slab{ comm = "x", times = "3" }
