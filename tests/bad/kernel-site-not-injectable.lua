-- A function that is not on the error-injection list.
-- needs: kernel
kchaos.func("vfs_read", { comm = "x", retval = -5 })
