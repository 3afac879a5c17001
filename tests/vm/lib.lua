-- SPDX-License-Identifier: GPL-2.0-only
-- Helpers for guest test scripts: run shell commands as children of kchaos-lua (its
-- own process is never failed; its children are) and check results with clear messages.
local T = {}

T.dir = "/tmp/kctest"
os.execute("mkdir -p " .. T.dir)

-- Runs a shell command as a workload (the event loop keeps running while it does);
-- true when it exits 0.
function T.sh(cmd)
	return kchaos.spawn{ "/bin/sh", "-c", cmd }:wait() == 0
end

-- Runs a shell command and returns its output (stdout and stderr).
function T.out(cmd)
	local file = T.dir .. "/.out"
	kchaos.spawn{ "/bin/sh", "-c", "(" .. cmd .. ") >" .. file .. " 2>&1" }:wait()
	local f = assert(io.open(file, "rb"))
	local s = f:read("*a")
	f:close()
	return s
end

function T.check(cond, fmt, ...)
	if not cond then error("check failed: " .. fmt:format(...), 2) end
end

function T.eq(want, got, what)
	if want ~= got then
		error(("check failed: %s: want %s, got %s"):format(what, tostring(want), tostring(got)), 2)
	end
end

-- The header its parameters need (rules naming it compile faster than with the default).
T.DCACHE = { "linux/dcache.h" }

-- The classic chain frame: d_alloc_parallel on names starting with `prefix`.
function T.dalloc(prefix)
	return { func = "d_alloc_parallel", params = "struct dentry *parent, const struct qstr *name",
		predicate = ('STRNCMP(name->name, "%s", %d)'):format(prefix, #prefix) }
end

-- Runs `body` once the rules are armed, then `finish` once events have arrived.
function T.run(body, finish)
	kchaos.after(0, function()
		body()
		kchaos.after("700ms", function()
			if finish then finish() end
			print("case passed")
			kchaos.stop(0)
		end)
	end)
end

return T
