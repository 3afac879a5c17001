-- A chain function that is not in /proc/kallsyms.
kchaos.slab{ callchain = { { func = "no_such_function_kc" } } }
