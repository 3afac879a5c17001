-- --timeout that is not a duration.
-- args: --timeout soon
-- status: 2
kchaos.slab{ comm = "x" }
