-- A workload held with start = false runs only when waited for (or its phase starts);
-- its output is kept with capture = true; one without capture has none to give.
local held = kchaos.spawn({ "sh", "-c", "echo held ran" }, { start = false, capture = true })
local plain = kchaos.spawn("true")
kchaos.scenario(function()
	kchaos.sleep("200ms")
	kchaos.expect(held:status() == nil, "held has not run")
	kchaos.expect(held:wait() == 0 and held:output() == "held ran\n", "held: %q", held:output())
	kchaos.expect(plain:wait() == 0, "plain ran when the rules were armed")
	local ok, err = pcall(plain.output, plain)
	print(err)
	local code, why = kchaos.spawn("sleep 4.137"):wait("100ms")
	kchaos.expect(code == nil and why == "timeout", "wait with a timeout")
end)
