-- on_inject that is not a function.
kchaos.slab{ comm = "x", on_inject = "print" }
