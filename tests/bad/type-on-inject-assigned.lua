-- A callback assigned to a rule is checked where it is assigned, not at an injection.
-- args: -d
local r = kchaos.slab{ comm = "x" }
r.on_inject = 5
