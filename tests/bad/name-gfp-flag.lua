-- A GFP flag that is not one.
kchaos.slab{ comm = "x", gfp = "__GFP_NOFAIL|NOT_A_FLAG" }
