-- A frame with func and funcname that differ.
kchaos.slab{ callchain = { { func = "d_alloc", funcname = "d_alloc_parallel" } } }
