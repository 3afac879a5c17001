-- nofail as a string.
kchaos.slab{ comm = "x", nofail = "yes" }
