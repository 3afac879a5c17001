-- GFP flags separated by a blank instead of '|'.
kchaos.page{ comm = "x", gfp = "__GFP_IO __GFP_FS" }
