-- A GFP flag name with a typo: refused at the rule, not when the C compiles.
kchaos.page{ comm = "kc-none", gfp = "__GFP_HIGHMEM|GFP_KERNL" }
