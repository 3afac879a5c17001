-- A predicate that would kill the process it tests: BPF helpers that act are refused.
kchaos.slab{ comm = "kc-none", callchain = { { func = "d_alloc_parallel", params = "struct dentry *p", predicate = "bpf_send_signal(9)" } } }
