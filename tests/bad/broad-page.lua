-- A rule that would fail every page allocation on the system.
kchaos.page{ name = "all pages", nofail = false }
