-- An errno name that is not UTF-8.
kchaos.slab{ comm = "x", retval = "ENO\xd0MEM" }
