-- A frame without func before the last one.
kchaos.slab{ callchain = { { predicate = "1" }, { func = "d_alloc" } } }
