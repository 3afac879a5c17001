-- A percentage above 100.
kchaos.slab{ comm = "x", probability = "250%" }
