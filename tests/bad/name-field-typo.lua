-- A misspelt field.
kchaos.slab{ comm = "x", probabilty = 0.5 }
