-- A chain function name that is not UTF-8.
kchaos.slab{ callchain = { { func = "d_alloc\xc0" } } }
