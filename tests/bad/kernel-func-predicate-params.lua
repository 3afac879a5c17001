-- A predicate on a function site without params.
-- needs: kernel
kchaos.func("__x64_sys_openat", { comm = "x", retval = -1, callchain = { { predicate = "1" } } })
