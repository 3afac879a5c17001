-- __GFP_NOFAIL: buffered writes to a block device attach buffer heads to the page cache
-- with __GFP_NOFAIL (create_empty_buffers). A rule that takes such allocations
-- (nofail = true, probability 0) counts them; the same rule without nofail never even
-- sees them, so it can fail none.
local T = dofile("tests/vm/lib.lua")
os.execute(("truncate -s 8M %s/nofail.img"):format(T.dir))
local dev = T.out(("losetup -f --show %s/nofail.img"):format(T.dir)):match("%S+")
assert(dev, "losetup failed")
local seen = kchaos.slab{ name = "seen", tree = kchaos.pid(), gfp = "__GFP_NOFAIL",
	nofail = true, probability = 0 }
local guard = kchaos.slab{ name = "guard", tree = kchaos.pid(), gfp = "__GFP_NOFAIL",
	probability = 0 }
T.run(function()
	T.check(T.sh(("dd if=/dev/zero of=%s bs=4096 count=512 conv=fsync 2>/dev/null"):format(dev)),
		"the writes to %s failed", dev)
end, function()
	print(("__GFP_NOFAIL allocations: %d seen, %d matched by the guard"):format(
		seen:stats().matched, guard:stats().matched))
	T.check(seen:stats().matched > 0, "no __GFP_NOFAIL allocation happened")
	T.eq(0, guard:stats().matched, "__GFP_NOFAIL allocations that reached the guard")
	os.execute("losetup -d " .. dev)
end)
