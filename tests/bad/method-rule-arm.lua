-- A rule method called with "." instead of ":".
-- args: -d
local r = kchaos.slab{ pid = 1 }
r.arm()
