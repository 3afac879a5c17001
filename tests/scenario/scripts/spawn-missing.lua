-- A workload command that does not exist.
local w = kchaos.spawn{ "kc-no-such-program", "--flag" }
