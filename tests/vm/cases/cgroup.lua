-- cgroup scope: creations by a process in the cgroup fail; the same outside it do not.
local T = dofile("tests/vm/lib.lua")
os.execute("mkdir -p /sys/fs/cgroup/kctest")
local r = kchaos.slab{ cgroup = "/sys/fs/cgroup/kctest", headers = T.DCACHE, callchain = { T.dalloc("kcg") } }
T.run(function()
	T.eq(false, T.sh(("echo $$ > /sys/fs/cgroup/kctest/cgroup.procs && "
		.. "{ true > %s/kcg_in; } 2>/dev/null"):format(T.dir)), "creation inside the cgroup")
	T.eq(true, T.sh(("{ true > %s/kcg_out; } 2>/dev/null"):format(T.dir)),
		"creation outside the cgroup")
end, function()
	T.eq(1, r:stats().injected, "injected")
end)
