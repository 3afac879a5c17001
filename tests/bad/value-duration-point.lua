-- A duration with a point and no fraction after it.
kchaos.slab{ comm = "x", duration = "5." }
