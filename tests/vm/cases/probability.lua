-- probability 0.3 over 1,000 matching creations: the count lies in the binomial 99.9%
-- interval (300 +- 3.29 sd = [252, 348]) and equals what the workload saw and the events.
local T = dofile("tests/vm/lib.lua")
local events = 0
local r = kchaos.slab{ headers = T.DCACHE, callchain = { T.dalloc("kcp") }, probability = 0.3, tree = kchaos.pid(),
	on_inject = function() events = events + 1 end, }
local failed
T.run(function()
	failed = tonumber(T.out(("cd %s && n=0; i=0; while [ $i -lt 1000 ]; do "
		.. "i=$((i+1)); { true > kcp$i; } 2>/dev/null || n=$((n+1)); done; echo $n"):format(T.dir)))
end, function()
	local st = r:stats()
	T.eq(1000, st.matched, "matched")
	T.eq(failed, st.injected, "injected against failures seen")
	T.eq(st.injected, events, "events delivered")
	T.check(st.injected >= 252 and st.injected <= 348, "%d injections outside [252, 348]",
		st.injected)
end)
