-- A predicate with a line continuation.
kchaos.slab{ callchain = { { func = "d_alloc", predicate = "1 \\\n" } } }
