-- A predicate with a byte outside ASCII.
kchaos.slab{ callchain = { { func = "d_alloc", predicate = "x \xe2\x89\xa0 1" } } }
