-- -p of a process that does not exist.
-- args: -p 4194303
kchaos.slab{ comm = "x" }
