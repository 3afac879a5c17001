-- A predicate with a preprocessor directive.
kchaos.slab{ callchain = { { func = "d_alloc", predicate = "1\n#include </etc/shadow>\n" } } }
