-- bio: direct writes to one loop device fail with EIO; another device, and reads, do not.
local T = dofile("tests/vm/lib.lua")
os.execute(("truncate -s 8M %s/a.img %s/b.img"):format(T.dir, T.dir))
local a = T.out(("losetup -f --show %s/a.img"):format(T.dir)):match("%S+")
local b = T.out(("losetup -f --show %s/b.img"):format(T.dir)):match("%S+")
assert(a and b and a ~= b, "losetup failed")
local r = kchaos.bio{ device = a, op = "write", tree = kchaos.pid() }
local function dd(args)
	return T.out(("dd %s bs=4096 count=1 2>&1; echo status=$?"):format(args))
end
T.run(function()
	local out = dd("if=/dev/zero of=" .. a .. " oflag=direct")
	T.check(out:find("Input/output error", 1, true) and out:find("status=1", 1, true),
		"write to %s: %s", a, out)
	out = dd("if=/dev/zero of=" .. b .. " oflag=direct")
	T.check(out:find("status=0", 1, true), "write to %s: %s", b, out)
	out = dd("if=" .. a .. " of=/dev/null iflag=direct")
	T.check(out:find("status=0", 1, true), "read from %s: %s", a, out)
end, function()
	T.check(r:stats().injected >= 1, "injected %d", r:stats().injected)
	os.execute(("losetup -d %s %s"):format(a, b))
end)
