-- --lease of zero.
-- args: --lease 0
kchaos.slab{ comm = "x" }
