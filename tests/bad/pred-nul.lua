-- A predicate with a NUL byte.
kchaos.slab{ callchain = { { func = "d_alloc", predicate = "1\0; evil()" } } }
