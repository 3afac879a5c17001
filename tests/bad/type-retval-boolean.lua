-- A retval that is a boolean.
kchaos.slab{ comm = "x", retval = true }
