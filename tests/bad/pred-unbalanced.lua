-- A predicate that closes a bracket it did not open.
kchaos.slab{ callchain = { { func = "d_alloc", predicate = "1) || (1" } } }
