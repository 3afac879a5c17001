-- Frame params with more arguments than a probe can read.
kchaos.slab{ callchain = { { func = "d_alloc", params = "int a, int b, int c, int d, int e, int f, int g", predicate = "g == 1" } } }
