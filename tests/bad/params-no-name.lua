-- Frame params without a name.
kchaos.slab{ callchain = { { func = "d_alloc", params = "struct dentry *" } } }
