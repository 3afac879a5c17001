-- Callbacks move a scenario on: next() ends the current phase, stop() the scenario;
-- a scenario made with start = false waits for start().
local second
local first = kchaos.scenario{ name = "first", phases = {
	{ name = "a", duration = "30s" },
	{ name = "b", duration = "30s" },
	{ name = "c", duration = "30s" },
} }
second = kchaos.scenario{ name = "second", start = false, phases = {
	{ name = "only", run = function() print("second runs") end },
} }
kchaos.after("200ms", function() first:next() end)
kchaos.after("400ms", function()
	print("current: " .. first:current_phase().name)
	first:stop()
	second:start()
end)
