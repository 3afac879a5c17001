-- An empty cache name.
kchaos.slab{ comm = "x", cache = "" }
