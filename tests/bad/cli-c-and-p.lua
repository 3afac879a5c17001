-- -c and -p together.
-- args: -c true -p 1
kchaos.slab{ comm = "x" }
