-- A misspelt injectable function.
-- needs: kernel
kchaos.func("should_failslabb", { comm = "x", retval = -12 })
