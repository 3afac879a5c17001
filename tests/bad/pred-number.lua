-- A predicate that is a number.
kchaos.slab{ callchain = { { func = "d_alloc", predicate = 1 } } }
