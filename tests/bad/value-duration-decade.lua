-- A duration of ten years.
kchaos.slab{ comm = "x", duration = "87600h" }
