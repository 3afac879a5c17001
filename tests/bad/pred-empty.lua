-- An empty predicate.
kchaos.slab{ callchain = { { func = "d_alloc", predicate = "   " } } }
