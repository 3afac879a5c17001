-- --lease that is not a duration.
-- args: --lease forever
-- status: 2
kchaos.slab{ comm = "x" }
