-- A slab cache name with a space.
kchaos.slab{ comm = "x", cache = "kmalloc 64" }
