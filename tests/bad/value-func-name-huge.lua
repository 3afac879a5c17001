-- A chain function name of a megabyte.
kchaos.slab{ callchain = { { func = ("f"):rep(1048576) } } }
