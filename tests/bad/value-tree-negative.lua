-- A negative tree root.
kchaos.slab{ tree = -1 }
