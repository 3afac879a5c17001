-- A rule that is a string, not a table.
kchaos.slab("bananas")
