-- An errno name that does not exist.
kchaos.slab{ comm = "x", retval = "EBANANA" }
