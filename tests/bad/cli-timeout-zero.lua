-- --timeout of zero, which would end the run at once.
-- args: --timeout 0
-- status: 2
kchaos.slab{ comm = "x" }
