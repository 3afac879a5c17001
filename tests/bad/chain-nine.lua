-- A callchain of nine functions.
local c = {}
for i = 1, 9 do c[i] = { func = "f" .. i } end
c[10] = { predicate = "1" }
kchaos.slab{ callchain = c }
