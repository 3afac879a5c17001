-- The classic example: creating "bananas" fails with ENOMEM, "apples" beside it does not.
-- Run with -c: the rule takes the workload's process tree as its scope.
local events = 0
kchaos.slab{
	name = "bananas",
	callchain = {
		{ func = "d_alloc_parallel", params = "struct dentry *parent, const struct qstr *name",
		  predicate = 'STRNCMP(name->name, "bananas", 8)' },
	},
	on_inject = function(ev)
		events = events + 1
		assert(ev.comm == "sh" or ev.comm == "touch", "unexpected comm " .. ev.comm)
		assert(ev.retval == -12 and ev.site == "slab" and ev.count == events)
		assert(ev.pid > 1 and ev.tid > 1 and ev.time > 0)
	end,
}
