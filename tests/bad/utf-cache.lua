-- A cache name that is not UTF-8.
kchaos.slab{ comm = "x", cache = "dentry\x80" }
