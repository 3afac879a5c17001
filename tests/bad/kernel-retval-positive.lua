-- A retval outside the function's error type.
-- needs: kernel
kchaos.func("__x64_sys_openat", { comm = "x", retval = 5 })
