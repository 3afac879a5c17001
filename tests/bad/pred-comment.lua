-- A predicate with a comment that would swallow the rest of the line.
kchaos.slab{ callchain = { { func = "d_alloc", predicate = "1 // rest" } } }
