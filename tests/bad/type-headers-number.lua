-- headers that are a number.
kchaos.slab{ comm = "x", headers = 5 }
