-- A parameter named like the program's own context argument.
kchaos.slab{ comm = "x", callchain = { { func = "d_alloc", params = "struct pt_regs *ctx", predicate = "ctx != 0" } } }
