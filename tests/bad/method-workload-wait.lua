-- A workload method called with "." instead of ":".
local w = kchaos.spawn("true")
w.wait()
