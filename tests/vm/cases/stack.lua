-- stack = true: each event carries the symbolized kernel stack of the injection.
local T = dofile("tests/vm/lib.lua")
local stack
kchaos.slab{ tree = kchaos.pid(), stack = true, times = 1, headers = T.DCACHE, callchain = { T.dalloc("kcst") },
	on_inject = function(ev) stack = ev.stack end }
T.run(function()
	T.sh(("{ true > %s/kcst; } 2>/dev/null"):format(T.dir))
end, function()
	T.check(type(stack) == "table" and #stack > 3, "no stack in the event")
	local text = table.concat(stack, " ")
	T.check(text:find("should_failslab+0x", 1, true) or text:find("d_alloc_parallel+0x", 1, true)
		or text:find("d_alloc+0x", 1, true), "stack lacks the allocation path: %s", text)
end)
