-- --lease without its value (the script name is taken as one).
-- args: --lease
kchaos.slab{ comm = "x" }
