-- A rule name with a quote.
kchaos.slab{ comm = "x", name = 'a"b' }
