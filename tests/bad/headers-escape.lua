-- A header outside the include path.
kchaos.slab{ comm = "x", headers = { "../../../etc/passwd.h" } }
