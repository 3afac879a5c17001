-- A probability that is not a number (NaN).
kchaos.slab{ comm = "x", probability = 0 / 0 }
