-- kchaos-lua's own process is never failed, even by a rule whose scope includes it: its
-- own creation succeeds (and is not even counted as matched) while its child's fails.
local T = dofile("tests/vm/lib.lua")
local r = kchaos.slab{ headers = T.DCACHE, callchain = { T.dalloc("kcself") }, tree = kchaos.pid() }
T.run(function()
	local f = io.open(T.dir .. "/kcself_own", "w")
	T.check(f ~= nil, "kchaos-lua's own creation failed")
	f:close()
	T.eq(false, T.sh(("exec 2>/dev/null; : > %s/kcself_child"):format(T.dir)),
		"the child's creation succeeded")
end, function()
	T.eq(1, r:stats().matched, "matched")
	T.eq(1, r:stats().injected, "injected")
end)
