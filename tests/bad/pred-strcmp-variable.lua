-- STRCMP against a variable, not a literal.
kchaos.slab{ callchain = { { func = "d_alloc", predicate = "STRCMP(name->name, other)" } } }
