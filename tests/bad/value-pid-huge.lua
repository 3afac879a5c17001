-- A pid above PID_MAX_LIMIT.
kchaos.slab{ pid = 2 ^ 40 }
