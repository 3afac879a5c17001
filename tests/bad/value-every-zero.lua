-- A periodic timer with period 0.
kchaos.every(0, function() end)
