-- A device that is not a block device.
kchaos.bio{ comm = "x", device = "/dev/null" }
