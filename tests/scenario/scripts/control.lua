-- Callbacks move a scenario on: next() ends the current phase, stop() the scenario;
-- a scenario made with start = false waits for start(), and its at() counts from then.
local core = require "kchaos.core"
local t0 = core.now()
local second
local first = kchaos.scenario{ name = "first", phases = {
	{ name = "a", duration = "30s" },
	{ name = "b", duration = "30s" },
	{ name = "c", duration = "30s" },
} }
second = kchaos.scenario{ name = "second", start = false, phases = {
	{ name = "only", run = function() print("second runs") kchaos.sleep("600ms") end },
} }
kchaos.after("200ms", function() first:next() end)
kchaos.after("400ms", function()
	print("current: " .. first:current_phase().name)
	first:stop()
	second:start()
end)
-- "second" starts at 400ms, so its at("300ms") fires at 700ms.
second:at("300ms", function(sc)
	local ms = (core.now() - t0) / 1e6
	print(("at of %s: %s"):format(sc.name, (ms >= 650 and ms < 1500) and "on time" or ms))
end)
