-- No rule, no scenario: pending timers alone keep the run going. An `every` is pending
-- until cancelled, so the run ends once the last one-off timer has cancelled it.
local core = require "kchaos.core"
local t0 = core.now()
local ticks = 0
local tick = kchaos.every("100ms", function() ticks = ticks + 1 end)
kchaos.after("450ms", function()
	tick.cancel()
	print(("ticks: %d"):format(ticks))
end)
kchaos.at("600ms", function()
	print(("last timer after %s"):format((core.now() - t0) / 1e6 >= 550 and "600ms" or "less"))
end)
