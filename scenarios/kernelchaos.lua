-- SPDX-License-Identifier: GPL-2.0-only
-- An existing KernelChaos manifest and an inject.py command line, run from a script that
-- adds what neither can say: a line printed for each injection, by its rule.
-- Run from the sources, with a workload to scope the rules to:
--   kchaos-lua -c 'cd /tmp && touch bananas apples; touch kcimp-a1' scenarios/kernelchaos.lua
local rules = kchaos.kernelchaos(arg[1] or "tests/import/two-faults.yaml")
rules[#rules + 1] = kchaos.inject("kmalloc -c 1 'd_alloc_parallel(struct dentry *parent, "
	.. "const struct qstr *name)(STRCMP(name->name, bananas))'")

for _, r in ipairs(rules) do
	r.on_inject = function(ev)
		print(("%s: %s returned %d to %s[%d]"):format(r.label, ev.func, ev.retval, ev.comm,
			ev.pid))
	end
end
