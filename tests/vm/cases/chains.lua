-- Call chains: two frames; a frame named twice needs a recursive call (a single call of
-- d_alloc_parallel never satisfies d_alloc_parallel > d_alloc_parallel); a predicate-only
-- last frame over the fault site's own arguments; a chain through mkdir never matches open.
local T = dofile("tests/vm/lib.lua")
local two = kchaos.slab{ name = "two", tree = kchaos.pid(), headers = T.DCACHE, callchain = {
	{ func = "do_sys_openat2" }, T.dalloc("kc2") } }
local rec = kchaos.slab{ name = "rec", tree = kchaos.pid(), headers = T.DCACHE, callchain = {
	T.dalloc("kcr"), T.dalloc("kcr") } }
local last = kchaos.slab{ name = "last", tree = kchaos.pid(), headers = T.DCACHE, callchain = {
	T.dalloc("kcs"), { predicate = 'STRCMP(s->name, "dentry")' } } }
local lastno = kchaos.slab{ name = "lastno", tree = kchaos.pid(), headers = T.DCACHE, callchain = {
	T.dalloc("kcn"), { predicate = 'STRCMP(s->name, "no-such-cache")' } } }
local other = kchaos.slab{ name = "other", tree = kchaos.pid(), headers = T.DCACHE, callchain = {
	{ func = "do_mkdirat" }, T.dalloc("kco") } }
local function try(name)
	return T.sh(("exec 2>/dev/null; : > %s/%s"):format(T.dir, name))
end
T.run(function()
	T.eq(false, try("kc2a"), "two-frame chain fails the creation")
	T.eq(true, try("kcra"), "recursive chain needs nested calls")
	T.eq(false, try("kcsa"), "predicate-only last frame on the dentry cache")
	T.eq(true, try("kcna"), "predicate-only last frame that does not hold")
	T.eq(true, try("kcoa"), "chain through do_mkdirat does not match an open")
	T.eq(true, try("plain"), "creation outside every chain")
end, function()
	T.eq(1, two:stats().injected, "two injected")
	T.eq(0, rec:stats().injected, "rec injected")
	T.eq(1, last:stats().injected, "last injected")
	T.eq(0, lastno:stats().injected, "lastno injected")
	T.eq(0, other:stats().injected, "other injected")
end)
