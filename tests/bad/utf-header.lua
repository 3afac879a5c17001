-- A header name that is not UTF-8.
kchaos.slab{ comm = "x", headers = { "linux/\xe9t\xe9.h" } }
