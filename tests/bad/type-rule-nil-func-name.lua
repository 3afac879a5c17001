-- kchaos.func without a function name.
kchaos.func(42, { retval = -5 })
