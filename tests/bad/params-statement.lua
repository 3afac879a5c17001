-- Frame params that carry a statement.
kchaos.slab{ callchain = { { func = "d_alloc", params = "struct dentry *d); int x(void" } } }
