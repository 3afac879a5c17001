-- A cgroup given as a number.
kchaos.slab{ cgroup = 5 }
