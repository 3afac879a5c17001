-- A huge scenario name: the message quotes the start of it only.
kchaos.scenario{ name = ("x"):rep(100000), phases = { { duration = 1 } } }
