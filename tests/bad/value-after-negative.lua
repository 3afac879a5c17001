-- A negative after.
kchaos.slab{ comm = "x", after = -1 }
