-- -c and -p together.
-- args: -c true -p 1
-- status: 2
kchaos.slab{ comm = "x" }
