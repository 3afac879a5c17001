-- `times` is exact across CPUs: two workers, pinned one to each CPU, create files at the
-- same moment; the rule may fail 100 of their 800 creations and fails exactly 100, shared
-- between them. The cache filter makes every matching call one creation.
local T = dofile("tests/vm/lib.lua")
local TIMES, N = 100, 400
local r = kchaos.slab{ headers = T.DCACHE, callchain = { T.dalloc("kctc") }, cache = "dentry",
	tree = kchaos.pid(), probability = 0.25, times = TIMES }

-- Worker K on CPU K-1: waits for the go file, makes N files, prints how many failed.
local function worker(k)
	return ("cd %s && while [ ! -e go_tc ]; do sleep 0.01; done; n=0; i=0; "
		.. "while [ $i -lt %d ]; do i=$((i+1)); { true > kctc_w%d_$i; } 2>/dev/null || n=$((n+1)); "
		.. "done; echo $n > tc_worker%d"):format(T.dir, N, k, k)
end

kchaos.after(0, function()
	local procs = {}
	for k = 1, 2 do
		procs[k] = kchaos.spawn{ "taskset", "-c", tostring(k - 1), "/bin/sh", "-c", worker(k) }
	end
	kchaos.sleep("200ms")
	assert(io.open(T.dir .. "/go_tc", "w")):close()
	local failed, each = 0, {}
	for k = 1, 2 do
		T.eq(0, procs[k]:wait(), "worker " .. k .. "'s exit status")
		local f = assert(io.open(("%s/tc_worker%d"):format(T.dir, k)))
		each[k] = tonumber(f:read("*l"))
		f:close()
		print(("worker %d (CPU %d): %d failures"):format(k, k - 1, each[k]))
		failed = failed + each[k]
	end
	kchaos.sleep("300ms")
	local st = r:stats()
	print(("matched %d, injected %d, failures seen %d"):format(st.matched, st.injected, failed))
	T.eq(2 * N, st.matched, "matched (every creation of both workers)")
	T.eq(TIMES, st.injected, "injected")
	T.eq(TIMES, failed, "failures the workers saw")
	T.check(each[1] > 0 and each[2] > 0, "both CPUs' workers should share the failures: %d and %d",
		each[1], each[2])
	print("case passed")
	kchaos.stop(0)
end)
