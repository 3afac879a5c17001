-- Lost events: a one-page ring buffer (about 56 events) and an on_inject that takes 10 ms
-- per event cannot keep up with 2000 failing creations. Every injection still happens and
-- is counted by the kernel: injected = events delivered + events lost, and every loss is
-- reported to on_lost.
local T = dofile("tests/vm/lib.lua")
local N = 2000
kchaos.ring_pages(1)
local events, reported, calls = 0, 0, 0
local r = kchaos.slab{ name = "lossy", headers = T.DCACHE, callchain = { T.dalloc("kclost") }, tree = kchaos.pid(),
	on_inject = function()
		events = events + 1
		local t = os.clock() + 0.01
		while os.clock() < t do end
	end,
	on_lost = function(ev)
		calls = calls + 1
		reported = reported + ev.lost
		T.eq(reported, ev.total, "on_lost's total")
	end }
kchaos.after(0, function()
	local n = tonumber(T.out(("cd %s && n=0; i=0; while [ $i -lt %d ]; do i=$((i+1)); "
		.. "{ true > kclost$i; } 2>/dev/null || n=$((n+1)); done; echo $n"):format(T.dir, N)))
	T.eq(N, n, "creations that failed")
	-- Let the loop drain the ring: each injection is then either delivered or counted lost.
	for _ = 1, 100 do
		if events + reported >= r:stats().injected then break end
		kchaos.sleep("100ms")
	end
	local st = r:stats()
	print(("injected %d, events %d, lost %d (reported %d in %d calls)"):format(st.injected,
		events, st.lost, reported, calls))
	T.eq(N, st.injected, "injected")
	T.check(st.lost > 0, "no event was lost: the ring did not overflow")
	T.eq(st.injected, events + st.lost, "events delivered + lost")
	T.eq(st.lost, reported, "losses reported to on_lost")
	print("case passed")
	kchaos.stop(0)
end)
