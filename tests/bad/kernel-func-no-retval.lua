-- An ERRNO function without retval.
-- needs: kernel
kchaos.func("__x64_sys_openat", { comm = "x" })
