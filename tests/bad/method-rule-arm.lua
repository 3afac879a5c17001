-- A rule method called with "." instead of ":".
-- args: -d
local r = kchaos.slab{ comm = "x" }
r.arm()
