-- A lease of one millisecond.
kchaos.lease("1ms")
