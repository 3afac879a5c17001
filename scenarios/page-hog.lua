-- SPDX-License-Identifier: GPL-2.0-only
-- A memory-hungry workload under page allocation failures: dd fills 64 MiB of a
-- RAM-backed file (tmpfs), one page allocation per 4 KiB. While 1% of those allocations
-- fail, dd must stop with a clean "Cannot allocate memory" rather than crash or hang;
-- once they stop failing, the same workload must succeed.
--
--   kchaos-lua scenarios/page-hog.lua [DIR]     (DIR: on a tmpfs, default /dev/shm)
--
-- The rule is scoped to the workload's own process tree: the workload is made by the
-- main chunk with start = false, so its process id is known when the rules compile, and
-- it starts only when its phase begins.
--
-- dd writes one page at a time: a write(2) that fails after some of its pages went in
-- returns the short count, not the error, and dd goes on with the rest; so with larger
-- blocks most failures would never reach it.
local dir = arg[1] or "/dev/shm"
local file = dir .. "/kchaos-hog"
local fill = { "dd", "if=/dev/zero", "of=" .. file, "bs=4096", "count=16384" }

local function hog(name)
	return kchaos.spawn(fill, { name = name, start = false, capture = true })
end
local starved, fed = hog("dd (starved)"), hog("dd (fed)")

-- Page allocations made while tmpfs takes a write (shmem_write_begin), for the starved
-- workload only; page faults, exec and everything else are left alone.
local pages = kchaos.page{
	name = "tmpfs pages",
	tree = starved,
	probability = "1%",
	armed = false,
	callchain = { { func = "shmem_write_begin" } },
}

kchaos.scenario{
	name = "page-hog",
	phases = {
		{
			name = "starved",
			duration = "60s",	-- a limit: dd ends the phase
			rules = { pages },
			run = starved,
			check = function(p)
				io.write(p.workload:output())
				print(("%d of %d page allocations failed"):format(p:injected(), p:matched()))
				kchaos.expect(p:injected() >= 1, "a page allocation failed")
				kchaos.expect(p.workload:status() == 1 and
					p.workload:output():find("Cannot allocate memory", 1, true),
					"dd stops with ENOMEM: %s", p.workload:describe())
			end,
		},
		{
			name = "fed",
			run = fed,
			check = function(p)
				io.write(p.workload:output())
				kchaos.expect(p.workload:status() == 0, "dd fills the file: %s",
					p.workload:describe())
			end,
		},
	},
	cleanup = function() os.remove(file) end,
}
