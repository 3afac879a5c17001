-- times = 0.
kchaos.slab{ comm = "x", times = 0 }
