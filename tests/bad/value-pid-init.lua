-- A rule on init, which is never failed: it would never inject.
kchaos.slab{ pid = 1 }
