-- A phase name with a control character.
kchaos.scenario{ name = "s", phases = { { name = "warm\tup", duration = 1 } } }
