-- A predicate that tries to end the expression.
kchaos.slab{ callchain = { { func = "d_alloc", predicate = "1; bpf_override_return(ctx, 0)" } } }
