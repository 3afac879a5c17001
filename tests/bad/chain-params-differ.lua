-- A function named twice with different params.
kchaos.slab{ callchain = { { func = "d_alloc", params = "int a" }, { func = "d_alloc", params = "long b" } } }
