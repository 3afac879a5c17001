-- SPDX-License-Identifier: GPL-2.0-only
-- The classic example: while the workload runs, creating a file named "bananas" fails
-- with ENOMEM (its dentry allocation fails under d_alloc_parallel); "apples" works.
--
--   kchaos-lua -c 'cd /tmp && touch apples && touch bananas' scenarios/bananas.lua
--
-- With -c, the rule is scoped to the workload's process tree; nothing else is touched.
kchaos.slab{
	name = "bananas",
	headers = { "linux/dcache.h" },	-- struct dentry, struct qstr
	callchain = {
		{ func = "d_alloc_parallel", params = "struct dentry *parent, const struct qstr *name",
		  predicate = 'STRNCMP(name->name, "bananas", 8)' },
	},
	on_inject = function(ev)
		print(("failed a dentry allocation of %s[%d] (injection %d)"):format(ev.comm, ev.pid,
			ev.count))
	end,
}
