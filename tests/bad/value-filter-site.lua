-- A filter for another site.
kchaos.slab{ comm = "x", op = "write" }
