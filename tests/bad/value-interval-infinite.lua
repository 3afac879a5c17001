-- An infinite interval.
kchaos.slab{ comm = "x", interval = math.huge }
