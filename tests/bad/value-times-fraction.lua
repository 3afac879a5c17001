-- A fractional times.
kchaos.slab{ comm = "x", times = 2.5 }
