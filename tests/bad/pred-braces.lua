-- A predicate that closes the function.
kchaos.slab{ callchain = { { func = "d_alloc", predicate = "1)) return 0; } int x(void) { return (1" } } }
