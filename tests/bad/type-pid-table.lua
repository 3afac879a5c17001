-- A pid that is a table without a pid method.
kchaos.slab{ pid = { 42 } }
