-- An output format that does not exist.
-- args: -f yaml
-- status: 2
kchaos.slab{ comm = "x" }
