-- Any injectable function: openat returns ENOENT for one program (by comm) only.
local T = dofile("tests/vm/lib.lua")
os.execute(("ln -sf /bin/busybox %s/kcopen"):format(T.dir))
local r = kchaos.func("__x64_sys_openat", { retval = "ENOENT", comm = "kcopen",
	tree = kchaos.pid() })
T.run(function()
	local out = T.out(("bash -c 'exec -a cat %s/kcopen /etc/hostname' 2>&1"):format(T.dir))
	T.check(out:find("No such file or directory", 1, true), "kcopen cat: %q", out)
	T.eq(true, T.sh("cat /etc/hostname >/dev/null"), "cat unaffected")
end, function()
	T.check(r:stats().injected >= 1, "injected %d", r:stats().injected)
end)
