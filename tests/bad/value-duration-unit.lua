-- A duration in an unknown unit.
kchaos.slab{ comm = "x", duration = "3 fortnights" }
