-- STRNCMP with a computed length.
kchaos.slab{ callchain = { { func = "d_alloc", predicate = 'STRNCMP(name->name, "a", n)' } } }
