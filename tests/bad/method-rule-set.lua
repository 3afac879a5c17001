-- r.set{...}: the table becomes self, and set gets no table.
-- args: -d
local r = kchaos.slab{ pid = 1 }
r.set{ probability = 0.5 }
