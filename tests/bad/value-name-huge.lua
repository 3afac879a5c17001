-- A rule name of a megabyte.
kchaos.slab{ comm = "x", name = ("n"):rep(1048576) }
