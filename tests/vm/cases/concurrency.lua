-- Scopes and times under concurrency: 3 worker processes and one process with 2 threads
-- create files at the same time on the guest's 2 CPUs, while the suite runs 2 more
-- processes outside the scope doing the same (tests/vm/suite.d/safety.sh). The rule,
-- times = 50, fails exactly 50 creations, all inside its scope.
local T = dofile("tests/vm/lib.lua")
local TIMES, N = 50, 300
-- The cache filter keeps out the allocations a new dentry slab page makes for itself, so
-- that every matching call is one creation.
local r = kchaos.slab{ headers = T.DCACHE, callchain = { T.dalloc("kcconc") }, cache = "dentry", tree = kchaos.pid(),
	times = TIMES }

-- A worker process: N creations, prints how many failed.
local function shell_worker(k)
	return ("cd %s && n=0; i=0; while [ $i -lt %d ]; do i=$((i+1)); "
		.. "{ true > kcconc_w%d_$i; } 2>/dev/null || n=$((n+1)); done; echo $n")
		:format(T.dir, N, k)
end
-- A process with 2 threads, each doing N creations; prints the failures of both.
local PERL = [[
use threads;
my @t = map { my $k = $_; threads->create(sub {
	my $n = 0;
	for my $i (1 .. ]] .. N .. [[) {
		if (open(my $f, ">", "]] .. T.dir .. [[/kcconc_t${k}_$i")) { close($f) } else { $n++ }
	}
	return $n;
}) } 1 .. 2;
my $n = 0; $n += $_->join for @t;
print "$n\n";
]]

-- Creates a file that tells the suite's outside processes to start or stop.
local function signal(name)
	assert(io.open(T.dir .. "/" .. name, "w")):close()
end

kchaos.after(0, function()
	local files, procs = {}, {}
	signal("go_conc")
	for k = 1, 3 do
		files[k] = ("%s/conc_worker%d"):format(T.dir, k)
		procs[k] = kchaos.spawn{ "/bin/sh", "-c", shell_worker(k) .. " > " .. files[k] }
	end
	files[4] = T.dir .. "/conc_worker4"
	procs[4] = kchaos.spawn{ "/bin/sh", "-c", "perl -e '" .. PERL .. "' > " .. files[4] }
	local failed = 0
	for k = 1, 4 do
		T.eq(0, procs[k]:wait(), "worker " .. k .. "'s exit status")
		local f = assert(io.open(files[k]))
		local n = tonumber(f:read("*l"))
		f:close()
		print(("worker %d: %d failures"):format(k, n))
		failed = failed + n
	end
	signal("stop_conc")
	kchaos.sleep("300ms")
	local st = r:stats()
	print(("matched %d, injected %d, failures seen %d"):format(st.matched, st.injected, failed))
	T.eq(TIMES, st.injected, "injected")
	T.eq(TIMES, failed, "failures the workers saw")
	T.eq(5 * N, st.matched, "matched (every creation of the workers, and only theirs)")
	print("case passed")
	kchaos.stop(0)
end)
