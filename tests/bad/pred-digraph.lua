-- A predicate that spells braces as digraphs.
kchaos.slab{ callchain = { { func = "d_alloc", predicate = "1 <% return 0 %>" } } }
