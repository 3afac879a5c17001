-- A duration of zero.
kchaos.slab{ comm = "x", duration = "0ms" }
