-- SPDX-License-Identifier: GPL-2.0-only
-- A probability ramp: the same fault at 1%, then 5%, then 20% of calls, one phase per
-- step, so the report shows how often each step failed (calls matched, injections).
-- The workload creates files as fast as it can (with shell built-ins only, as starting
-- programs is slow under emulation); each step checks that the share of creations that
-- failed is what was asked, within chance. The files are removed at the end.
--
--   kchaos-lua scenarios/ramp.lua [DIR] [SECONDS]     (defaults: /tmp, 3 per step)
--
-- All rules are made here, in the main chunk, disarmed: they compile together once,
-- and each phase only arms its own (a map write, no compile).
local dir = arg[1] or "/tmp"
local step = tonumber(arg[2]) or 3

-- Each step's workload makes files kcramp<step>.1, kcramp<step>.2, ...
local function creator(i)
	return { "sh", "-c", ([[cd %s || exit 2; i=0
		while :; do i=$((i + 1)); { true > kcramp%d.$i; } 2>/dev/null; done]]):format(dir, i) }
end

local phases = {}
for i, pct in ipairs { 1, 5, 20 } do
	local p = pct / 100
	local r = kchaos.slab{
		name = ("step %d"):format(i),
		probability = p,
		armed = false,
		tree = kchaos.pid(),	-- every process kchaos-lua starts, and theirs
		headers = { "linux/dcache.h" },	-- struct dentry, struct qstr
		callchain = {
			{ func = "d_alloc_parallel", params = "struct dentry *parent, const struct qstr *name",
			  predicate = 'STRNCMP(name->name, "kcramp", 6)' },
		},
	}
	phases[i] = {
		name = pct .. "%",
		duration = step,
		rules = { r },
		run = creator(i),
		check = function(ph)
			local n, k = ph:matched(), ph:injected()
			print(("%3d%%: %d of %d creations failed (%.1f%%)"):format(pct, k, n,
				n > 0 and 100 * k / n or 0))
			-- The number of failures is binomial: within 5 standard deviations of n * p.
			local sd = math.sqrt(n * p * (1 - p))
			kchaos.expect(n >= 20, "the workload made only %d creations", n)
			kchaos.expect(math.abs(k - n * p) <= 5 * sd + 1,
				"%d failures in %d creations is far from %d%%", k, n, pct)
		end,
	}
end

kchaos.scenario{
	name = "ramp",
	phases = phases,
	cleanup = function() os.execute(("rm -f %s/kcramp*"):format(dir)) end,
}
