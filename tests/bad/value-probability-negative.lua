-- A negative probability.
kchaos.slab{ comm = "x", probability = -0.1 }
