-- A site that is not a C name.
kchaos.rule{ site = "slab allocation", comm = "x" }
