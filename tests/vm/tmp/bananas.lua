local n = 0
kchaos.slab{
  name = "bananas",
  callchain = {
    { func = "d_alloc_parallel", params = "struct dentry *parent, const struct qstr *name",
      predicate = 'STRNCMP(name->name, "bananas", 8)' },
  },
  on_inject = function(ev) n = n + 1; print("event", ev.comm, ev.retval, ev.count) end,
}
