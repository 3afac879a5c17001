-- --lease of zero.
-- args: --lease 0
-- status: 2
kchaos.slab{ comm = "x" }
