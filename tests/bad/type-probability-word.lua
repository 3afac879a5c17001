-- A probability in words.
kchaos.slab{ comm = "x", probability = "often" }
