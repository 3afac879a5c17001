-- SPDX-License-Identifier: GPL-2.0-only
-- A system call error drill: openat(2) fails with EINTR three times, for two small
-- programs that read a configuration file. The naive one gives up on the first error;
-- the careful one retries and must get the file on its fourth try. EINTR (or EAGAIN)
-- are the errors a program is expected to retry.
--
--   kchaos-lua scenarios/retry-drill.lua [DIR]    (DIR: where the file goes, /tmp)
--
-- The programs are busybox shells: busybox is linked statically, so no dynamic loader
-- opens libraries with the same system call before the script runs. Each runs as a
-- workload made here with start = false, so each rule is scoped to one program's
-- process tree from the start, and the programs start with their phases.
local dir = arg[1] or "/tmp"
local conf = dir .. "/kchaos-drill.conf"
if not kchaos.dry_run() then
	local f = assert(io.open(conf, "w"))
	f:write("retries=yes\n")
	f:close()
end

local naive = kchaos.spawn({ "busybox", "sh", "-c", ([[
	read -r line < %s || exit 1
	echo "naive: read '$line'"]]):format(conf) }, { start = false, capture = true })

local careful = kchaos.spawn({ "busybox", "sh", "-c", ([[
	tries=0
	until read -r line < %s; do
		tries=$((tries + 1))
		[ $tries -lt 10 ] || { echo "careful: gave up"; exit 1; }
	done
	echo "careful: read '$line' after $tries failed tries"]]):format(conf) },
	{ start = false, capture = true })

-- openat fails with EINTR, three times, for processes named busybox in one tree.
local function eintr(name, program)
	return kchaos.func("__x64_sys_openat", { name = name, retval = "EINTR", times = 3,
		comm = "busybox", tree = program, armed = false })
end
local naive_opens, careful_opens = eintr("naive opens", naive), eintr("careful opens", careful)

kchaos.scenario{
	name = "retry-drill",
	phases = {
		{
			name = "naive",
			rules = { naive_opens },
			run = naive,
			check = function(p)
				io.write(p.workload:output())
				kchaos.expect(p.workload:status() == 1, "the naive program fails: %s",
					p.workload:describe())
				kchaos.expect(p.workload:output():find("Interrupted system call", 1, true),
					"it reports EINTR")
			end,
		},
		{
			name = "careful",
			rules = { careful_opens },
			run = careful,
			check = function(p)
				io.write(p.workload:output())
				kchaos.expect(p.workload:status() == 0, "the careful program succeeds: %s",
					p.workload:describe())
				kchaos.expect(p.workload:output():find("after 3 failed tries", 1, true),
					"it retried exactly three times")
				kchaos.expect(p:injected() == 3, "3 injections, not %d", p:injected())
			end,
		},
	},
	cleanup = function() os.remove(conf) end,
}
