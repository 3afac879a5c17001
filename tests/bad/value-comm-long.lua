-- A comm longer than 15 characters.
kchaos.slab{ comm = "a-very-long-process-name" }
