-- A callchain of a thousand frames.
local c = {}
for i = 1, 1000 do c[i] = { func = "d_alloc" } end
kchaos.slab{ callchain = c }
