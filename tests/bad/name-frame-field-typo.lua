-- A misspelt frame field.
kchaos.slab{ callchain = { { fucn = "d_alloc" } } }
