-- SPDX-License-Identifier: GPL-2.0-only
-- Event delivery for bench/run.sh: `kchaos-lua -q bench/deliver.lua HOT DIR SECS` runs
-- the hot workload (bench/hot.c) for SECS seconds with a rule that fails the dentry
-- allocation of each of its stat() calls, counts the events its on_inject callback
-- receives and prints them beside the kernel's counters, as one line of key=value pairs.
local hot, dir, secs = arg[1], arg[2], arg[3] or "5"

local delivered, first, last = 0, nil, nil
local p = kchaos.spawn({ hot, "-t", secs, dir }, { capture = true })
-- Only the workload's own names: failing every dentry allocation of the process would
-- also fail the dynamic loader's look-ups while it starts.
local r = kchaos.slab{
	name = "deliver",
	pid = p,
	cache = "dentry",
	headers = { "linux/dcache.h" },
	callchain = {
		{ func = "d_alloc_parallel",
		  params = "struct dentry *parent, const struct qstr *name",
		  predicate = 'STRNCMP(name->name, "kcb", 3)' },
	},
	on_inject = function(ev)
		delivered = delivered + 1
		first = first or ev.time
		last = ev.time
	end,
}

kchaos.after(0, function()
	local status = p:wait()
	-- The last events may still be in the ring buffer: let the loop drain it.
	kchaos.sleep("1s")
	local st = r:stats()
	local calls, enomem, ns = p:output():match("calls (%d+) enomem (%d+) ns (%d+)")
	print(("deliver status=%d calls=%s enomem=%s ns=%s injected=%d delivered=%d lost=%d "
		.. "span_ns=%d"):format(status, calls or "?", enomem or "?", ns or "?", st.injected,
		delivered, st.lost, first and (last - first) or 0))
	kchaos.stop(0)
end)
