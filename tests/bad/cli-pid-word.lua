-- -p that is not a number.
-- args: -p init
-- status: 2
kchaos.slab{ comm = "x" }
