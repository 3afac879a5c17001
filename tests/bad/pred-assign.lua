-- A single '=' where '==' was meant.
kchaos.slab{ comm = "x", callchain = { { func = "d_alloc", params = "struct dentry *d", predicate = "d->d_flags = 0" } } }
