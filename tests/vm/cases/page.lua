-- page: a page allocation under pipe_write fails once for the workload, which reports
-- ENOMEM; the next write works and kchaos-lua itself stays healthy.
local T = dofile("tests/vm/lib.lua")
local r = kchaos.page{ tree = kchaos.pid(), times = 1, callchain = { { func = "pipe_write" } } }
T.run(function()
	local out = T.out("(/bin/echo hi) 2>&1 | cat")
	T.check(out:find("Cannot allocate memory", 1, true), "first pipe write: %q", out)
	T.eq("hi\n", T.out("/bin/echo hi | cat"), "pipe write after times ran out")
end, function()
	T.eq(1, r:stats().injected, "injected")
end)
