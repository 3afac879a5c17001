-- A bio operation that does not exist.
kchaos.bio{ comm = "x", op = "erase" }
