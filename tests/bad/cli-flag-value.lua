-- An option that takes no value, given one.
-- args: --system=yes
-- status: 2
kchaos.slab{ comm = "x" }
