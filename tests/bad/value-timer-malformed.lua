-- A timer with a malformed time.
kchaos.after("soon", function() end)
