-- Live control: disarm, re-arm and probability changes take effect with no recompile.
local T = dofile("tests/vm/lib.lua")
local r = kchaos.slab{ headers = T.DCACHE, callchain = { T.dalloc("kcl") }, tree = kchaos.pid() }
local function try(i)
	return T.sh(("exec 2>/dev/null; : > %s/kcl%d"):format(T.dir, i))
end
T.run(function()
	local compiles = kchaos.compiles()
	T.eq(false, try(1), "armed rule fails creation 1")
	r:disarm()
	T.eq(true, try(2), "disarmed rule lets creation 2 through")
	r:arm()
	T.eq(false, try(3), "re-armed rule fails creation 3")
	r:set{ probability = 0 }
	T.eq(true, try(4), "probability 0 lets creation 4 through")
	r:set{ probability = "100%" }
	T.eq(false, try(5), "probability 1 fails creation 5")
	r:set{ times = 3 }
	T.eq(true, try(6), "times = 3 is used up")
	T.eq(compiles, kchaos.compiles(), "compiles after live changes")
	T.eq(1, compiles, "compiles in all")
	T.check(tostring(r):find("injected 3", 1, true), "tostring(r) = %s", tostring(r))
end, function()
	T.eq(3, r:stats().injected, "injected")
end)
