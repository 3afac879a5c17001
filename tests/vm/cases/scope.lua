-- Scope: a rule scoped to kchaos-lua's process tree fails 200 creations there while a
-- process outside it (started by the suite, doing the same at the same time) sees none.
local T = dofile("tests/vm/lib.lua")
local r = kchaos.slab{ headers = T.DCACHE, callchain = { T.dalloc("kcq") }, tree = kchaos.pid() }
T.run(function()
	local n = tonumber(T.out(("cd %s && n=0; i=0; while [ $i -lt 200 ]; do i=$((i+1)); "
		.. "{ true > kcq_in$i; } 2>/dev/null || n=$((n+1)); done; echo $n"):format(T.dir)))
	T.eq(200, n, "failures inside the scope")
end, function()
	T.eq(200, r:stats().injected, "injected")
end)
