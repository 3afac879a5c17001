-- SPDX-License-Identifier: GPL-2.0-only
-- A scenario that reacts to its own events: file creations fail until the fifth
-- injection, whose callback disarms the rule and moves on to the next phase; there the
-- same workload must create files again without a single failure.
--
--   kchaos-lua scenarios/self-limiting.lua [DIR]      (DIR: where files are made, /tmp)
--
-- Events reach Lua after the injection happened, through a ring buffer: by the time the
-- callback disarms the rule, a fast workload may have met a few more failures. The
-- report shows how many were in flight.
local dir = arg[1] or "/tmp"

-- Creates files kcself.1, kcself.2... in DIR forever, saying which creations fail, with
-- shell built-ins only (starting programs is slow under emulation). { true > f; } is an
-- open(O_CREAT): its dentry comes from d_alloc_parallel.
local creator = ([[cd %s || exit 2; i=0
while :; do
	i=$((i + 1))
	{ true > kcself.$i; } 2>/dev/null || echo "creation $i failed"
done]]):format(dir)

-- 200 more (kcself.r1...); exits with the number that failed.
local checker = ([[cd %s || exit 2; n=0; i=0
while [ $i -lt 200 ]; do
	i=$((i + 1))
	{ true > kcself.r$i; } 2>/dev/null || n=$((n + 1))
done
echo "$n of 200 creations failed"; exit $n]]):format(dir)

local sc
local dentries
dentries = kchaos.slab{
	name = "kcself dentries",
	armed = false,			-- the first phase arms it
	tree = kchaos.pid(),		-- every process kchaos-lua starts, and theirs
	headers = { "linux/dcache.h" },	-- struct dentry, struct qstr
	callchain = {
		{ func = "d_alloc_parallel", params = "struct dentry *parent, const struct qstr *name",
		  predicate = 'STRNCMP(name->name, "kcself", 6)' },
	},
	on_inject = function(ev)
		-- ev.count is the kernel's own count of this rule's injections; the first event
		-- that reaches 5 acts (events after it may still be on their way).
		if ev.count >= 5 and dentries:stats().armed then
			dentries:disarm()
			sc:next()
		end
	end,
}

sc = kchaos.scenario{
	name = "self-limiting",
	phases = {
		{
			name = "until five",
			duration = "30s",	-- only a limit: the fifth injection ends the phase
			rules = { dentries },
			run = { "sh", "-c", creator, capture = true },
			check = function(p)
				kchaos.expect(p.ended_by == "stop",
					"the phase should end on the fifth injection, not by %s", p.ended_by)
				local failed = select(2, p.workload:output():gsub("failed", ""))
				print(("disarmed at injection 5; %d failed in all (%d in flight)")
					:format(p:injected(), p:injected() - 5))
				kchaos.expect(p:injected() >= 5, "5 injections or more, not %d", p:injected())
				-- The workload says so before its next creation, so it has told of every
				-- failure but perhaps the last: it may be stopped before its message.
				kchaos.expect(failed >= p:injected() - 1 and failed <= p:injected(),
					"the workload saw %d failures for %d injections", failed, p:injected())
			end,
		},
		{
			name = "recovery",
			run = { "sh", "-c", checker, capture = true },
			check = function(p)
				io.write(p.workload:output())
				kchaos.expect(p.workload:status() == 0, "after the rule was disarmed: %s",
					p.workload:output())
				kchaos.expect(dentries:stats().injected == p.sc:phase("until five"):injected(),
					"no injection after the first phase")
			end,
		},
	},
	cleanup = function() os.execute(("rm -f %s/kcself.*"):format(dir)) end,
}
