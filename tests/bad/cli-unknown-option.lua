-- An option that does not exist.
-- args: --unsafe
-- status: 2
kchaos.slab{ comm = "x" }
