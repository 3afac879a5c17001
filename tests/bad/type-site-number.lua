-- A site that is a number.
kchaos.rule{ site = 5, comm = "x" }
