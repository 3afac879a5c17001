-- STRCMP with an octal escape.
kchaos.slab{ callchain = { { func = "d_alloc", predicate = [[STRCMP(name->name, "\101")]] } } }
