-- A field whose key is a table.
kchaos.slab{ comm = "x", [{}] = 1 }
