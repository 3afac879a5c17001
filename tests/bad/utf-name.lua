-- A rule name that is not UTF-8.
kchaos.slab{ comm = "x", name = "caf\xe9" }
