-- r.set{...}: the table becomes self, and set gets no table.
-- args: -d
local r = kchaos.slab{ comm = "x" }
r.set{ probability = 0.5 }
