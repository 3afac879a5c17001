-- times beyond what a Lua number counts exactly.
kchaos.slab{ comm = "x", times = 1e300 }
