-- A rule that would fail every block I/O request on the system.
kchaos.rule{ failtype = 2 }
