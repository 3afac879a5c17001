-- A rule with no site at all.
kchaos.rule{ comm = "x" }
