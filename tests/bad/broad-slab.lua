-- A rule that would fail every slab allocation on the system.
kchaos.slab{}
