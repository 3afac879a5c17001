-- A timer given only its time.
kchaos.after("1s")
