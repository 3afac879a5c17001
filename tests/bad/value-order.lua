-- A page order of 100.
kchaos.page{ comm = "x", order = 100 }
