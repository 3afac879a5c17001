-- on_lost that is not a function.
kchaos.slab{ comm = "x", on_lost = {} }
