-- times = 3 with probability 1 over 10 matching creations: exactly 3 fail.
local T = dofile("tests/vm/lib.lua")
local events = 0
local r = kchaos.slab{ headers = T.DCACHE, callchain = { T.dalloc("kct") }, times = 3, tree = kchaos.pid(),
	on_inject = function() events = events + 1 end }
T.run(function()
	local failed = {}
	for i = 1, 10 do
		if not T.sh(("exec 2>/dev/null; : > %s/kct%d"):format(T.dir, i)) then
			failed[#failed + 1] = i
		end
	end
	T.eq("1,2,3", table.concat(failed, ","), "creations that failed")
end, function()
	local st = r:stats()
	T.eq(3, st.injected, "injected")
	T.eq(10, st.matched, "matched")
	T.eq(3, events, "events delivered")
end)
