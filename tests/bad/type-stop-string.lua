-- stop takes an exit status, not a message.
kchaos.stop("done")
