-- A scenario name with a newline and a terminal escape: refused, and shown escaped.
kchaos.scenario{ name = "a\nb\27[31mRED", phases = { { duration = 1 } } }
