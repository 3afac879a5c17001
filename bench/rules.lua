-- SPDX-License-Identifier: GPL-2.0-only
-- The rules bench/run.sh arms: `kchaos-lua bench/rules.lua KIND [N [PID]]` arms N rules
-- of one KIND together and runs until it is stopped. None of them ever injects.
--   reject  slab, scope `pid = PID` (another process): the scope rejects every call
--   site    slab, no scope, probability 0: every call of should_failslab matches
--   chain   slab, one frame on d_alloc_parallel with a STRCMP predicate and a header,
--           no scope, probability 0 (inject-bpfcc's own example rule)
local kind, n, pid = arg[1], tonumber(arg[2] or 1), tonumber(arg[3])

local function rule(i)
	if kind == "reject" then
		return kchaos.slab{ name = "reject" .. i, pid = pid }
	elseif kind == "site" then
		return kchaos.slab{ name = "site" .. i, probability = 0 }
	elseif kind == "chain" then
		return kchaos.slab{
			name = "chain" .. i,
			probability = 0,
			headers = { "linux/dcache.h" },
			callchain = {
				{ func = "d_alloc_parallel",
				  params = "struct dentry *parent, const struct qstr *name",
				  predicate = 'STRCMP(name->name, "bananas")' },
			},
		}
	end
	error(("bench/rules.lua: unknown kind '%s' (reject, site or chain)"):format(tostring(kind)), 0)
end

if kind == "reject" and not pid then
	error("bench/rules.lua: reject needs the PID of another process", 0)
end
for i = 1, n do rule(i) end
