-- A predicate with a trigraph.
kchaos.slab{ callchain = { { func = "d_alloc", predicate = "1 ??> x" } } }
