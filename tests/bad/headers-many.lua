-- A hundred headers.
local h = {}
for i = 1, 100 do h[i] = "linux/fs.h" end
kchaos.slab{ comm = "x", headers = h }
