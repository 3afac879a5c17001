-- A lease that is a table.
kchaos.lease({})
