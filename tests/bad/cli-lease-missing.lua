-- --lease without its value (the script name is taken as one).
-- args: --lease
-- status: 2
kchaos.slab{ comm = "x" }
