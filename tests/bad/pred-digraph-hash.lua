-- A predicate that spells # as a digraph.
kchaos.slab{ callchain = { { func = "d_alloc", predicate = "%:define x 1" } } }
