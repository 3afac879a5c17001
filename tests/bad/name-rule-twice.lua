-- Two rules with one name: the second is refused, naming where the first was made.
kchaos.slab{ name = "dentries", comm = "x", probability = 0.1 }
kchaos.page{ comm = "x" }
kchaos.slab{ name = "dentries", comm = "x", probability = 0.5 }
