-- --timeout that is not a duration.
-- args: --timeout soon
kchaos.slab{ comm = "x" }
