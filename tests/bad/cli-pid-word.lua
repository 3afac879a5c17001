-- -p that is not a number.
-- args: -p init
kchaos.slab{ comm = "x" }
