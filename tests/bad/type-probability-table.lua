-- A probability that is a table.
kchaos.slab{ comm = "x", probability = {} }
