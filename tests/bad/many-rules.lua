-- Five thousand rules.
for i = 1, 5000 do kchaos.slab{ comm = "x" .. i % 10 } end
