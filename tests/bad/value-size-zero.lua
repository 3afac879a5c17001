-- An object size of zero.
kchaos.slab{ comm = "x", size = 0 }
