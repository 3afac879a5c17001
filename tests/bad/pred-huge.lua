-- A predicate of 100 kB.
kchaos.slab{ callchain = { { func = "d_alloc", predicate = ("1 && "):rep(20000) .. "1" } } }
