-- A long option abbreviated to a prefix of two options.
-- args: --ver
-- status: 2
kchaos.slab{ comm = "x" }
