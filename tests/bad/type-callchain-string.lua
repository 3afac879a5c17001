-- A callchain that is a string.
kchaos.slab{ callchain = "d_alloc" }
