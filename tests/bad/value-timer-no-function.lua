-- A timer without a function.
kchaos.after("1s", 42)
