-- --lease that is not a duration.
-- args: --lease forever
kchaos.slab{ comm = "x" }
