kchaos.scenario{ name = "bad", phases = { { name = "warm", duration = "3 sec" } } }
