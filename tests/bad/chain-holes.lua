-- A callchain with a key that is not a list index.
kchaos.slab{ callchain = { { func = "d_alloc" }, extra = { func = "x" } } }
