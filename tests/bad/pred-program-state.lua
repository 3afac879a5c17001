-- A predicate that writes the program's own state (its lease) to outlive kchaos-lua.
kchaos.slab{ comm = "x", callchain = { { predicate = "(kc_g->lease = ~0ULL, 1)" } } }
