-- Both site and failtype.
kchaos.rule{ site = "slab", failtype = 0, comm = "x" }
