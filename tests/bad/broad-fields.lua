-- A rule whose other fields do not narrow what it fails.
kchaos.slab{ nofail = true, stack = true, duration = "1s", retval = "ENOMEM" }
