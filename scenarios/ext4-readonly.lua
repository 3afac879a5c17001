-- SPDX-License-Identifier: GPL-2.0-only
-- A disk that stops taking writes under ext4: every write to the loop device holding the
-- file system fails with EIO, the journal cannot commit, ext4 aborts it and turns
-- itself read-only. The scenario checks that it did (a new file and a new directory both
-- get EROFS, once the disk works again), then unmounts and detaches the device.
--
--   kchaos-lua scenarios/ext4-readonly.lua [DIR]    (DIR: where the image goes, /tmp)
--
-- Needs root, mkfs.ext4 (e2fsprogs), losetup and mount.
local dir = arg[1] or "/tmp"
local img = dir .. "/kchaos-ext4.img"
local mnt = dir .. "/kchaos-ext4"

-- Runs a setup command; its output, or an error that shows it.
local function setup(cmd)
	local f = assert(io.popen(cmd .. " 2>&1; echo \"status=$?\""))
	local out = f:read("*a")
	f:close()
	local text, status = out:match("^(.-)status=(%d+)%s*$")
	if status ~= "0" then error(("setup: %s: %s"):format(cmd, text or out), 0) end
	return text
end

-- The file system is made before the rules: the bio rule needs the device it watches.
-- A dry run (-d) sets nothing up and shows the rule for the first loop device, 7:0.
local dev = "7:0"
if not kchaos.dry_run() then
	setup(("truncate -s 32M %s && mkfs.ext4 -q -F %s"):format(img, img))
	dev = setup("losetup -f --show " .. img):match("%S+")
	setup(("mkdir -p %s && mount -t ext4 -o errors=remount-ro %s %s"):format(mnt, dev, mnt))
end

-- Every write request to this device fails, whoever sends it: the journal thread
-- (jbd2) and writeback as much as the workload. So the rule has no process scope, and
-- kchaos-lua says so; the device keeps it to this one file system.
local writes = kchaos.bio{ name = "writes to " .. dev, device = dev, op = "write", armed = false }

-- The mount options of `path` in /proc/mounts, or nil.
local function mount_options(path)
	for line in io.lines("/proc/mounts") do
		local mp, opts = line:match("^%S+ (%S+) %S+ (%S+)")
		if mp == path then return opts end
	end
end

kchaos.scenario{
	name = "ext4-readonly",
	phases = {
		{
			name = "healthy",
			run = { "sh", "-c", ("echo before > %s/before && sync"):format(mnt) },
			check = function(p)
				kchaos.expect(p.workload:status() == 0, "the file system works at first")
			end,
		},
		{
			-- Files are written and synced until a write fails; then the phase ends.
			name = "disk fails",
			duration = "30s",
			rules = { writes },
			run = { "sh", "-c", ([[cd %s || exit 2; i=0
				while echo data > f$i && sync; do i=$((i + 1)); done
				echo "wrote $i files"]]):format(mnt), capture = true },
			check = function(p)
				io.write(p.workload:output())
				kchaos.expect(p:injected() > 0, "writes to %s failed", dev)
				kchaos.expect(p.workload:output():find("Read-only file system", 1, true),
					"the workload stopped on EROFS: %s", p.workload:output())
			end,
		},
		{
			-- Older kernels mark the mount read-only (ro in /proc/mounts); newer ones, and
			-- Debian's 6.1, shut the file system down and leave the flag as it was. Either
			-- way, from now on every change fails with EROFS.
			name = "read-only",
			run = function()
				print(("%s is mounted %s"):format(mnt, mount_options(mnt) or "(not mounted)"))
				for _, cmd in ipairs { "echo after > %s/after", "mkdir %s/dir" } do
					local w = kchaos.spawn({ "sh", "-c", cmd:format(mnt) }, { capture = true })
					kchaos.expect(w:wait() ~= 0 and w:output():find("Read-only file system", 1,
						true), "%s gets EROFS: %s", cmd:format(mnt), w:output())
					io.write(w:output())
				end
			end,
		},
	},
	-- Runs however the scenario ends, even on Ctrl-C.
	cleanup = function()
		os.execute(("umount %s; losetup -d %s; rm -f %s; rmdir %s"):format(mnt, dev, img, mnt))
	end,
}
