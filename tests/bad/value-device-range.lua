-- A device number out of range.
kchaos.bio{ comm = "x", device = "99999:1" }
