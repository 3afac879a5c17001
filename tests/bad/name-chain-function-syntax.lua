-- A chain function that is not a C name.
kchaos.slab{ callchain = { { func = "d_alloc(x)" } } }
