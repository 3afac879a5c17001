-- A predicate with an unterminated string.
kchaos.slab{ callchain = { { func = "d_alloc", predicate = 'STRCMP(x, "abc)' } } }
