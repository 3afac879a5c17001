-- A GFP mask wider than gfp_t.
kchaos.slab{ comm = "x", gfp = 2 ^ 40 }
