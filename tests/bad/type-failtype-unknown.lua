-- A KernelChaos failtype that does not exist.
kchaos.rule{ failtype = 7, comm = "x" }
