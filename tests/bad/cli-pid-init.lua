-- -p 1: init is never failed, so the run could never inject.
-- args: -p 1
-- status: 2
kchaos.slab{ comm = "x" }
