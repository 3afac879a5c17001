-- interval = 4: exactly every 4th matching call fails.
local T = dofile("tests/vm/lib.lua")
local r = kchaos.slab{ headers = T.DCACHE, callchain = { T.dalloc("kci") }, interval = 4, tree = kchaos.pid() }
T.run(function()
	local failed = {}
	for i = 1, 12 do
		if not T.sh(("exec 2>/dev/null; : > %s/kci%d"):format(T.dir, i)) then
			failed[#failed + 1] = i
		end
	end
	T.eq("4,8,12", table.concat(failed, ","), "creations that failed")
end, function()
	T.eq(3, r:stats().injected, "injected")
end)
