-- pid 0.
kchaos.slab{ pid = 0 }
