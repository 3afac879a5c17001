-- A scenario method called with "." instead of ":".
local sc = kchaos.scenario{ name = "s", phases = { { duration = 1 } }, start = false }
sc.next()
