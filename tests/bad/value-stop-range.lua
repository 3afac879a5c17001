-- An exit status beyond 255 would come out modulo 256.
kchaos.stop(300)
