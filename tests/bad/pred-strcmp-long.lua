-- STRCMP against a literal of 100 characters.
kchaos.slab{ callchain = { { func = "d_alloc", predicate = 'STRCMP(name->name, "' .. ("a"):rep(100) .. '")' } } }
