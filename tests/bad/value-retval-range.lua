-- An errno beyond -4095.
kchaos.slab{ comm = "x", retval = -5000 }
