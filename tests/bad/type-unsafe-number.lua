-- unsafe as a number.
kchaos.slab{ unsafe = 1 }
