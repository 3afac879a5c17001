-- kchaos.at without a function.
kchaos.at(1, "f")
