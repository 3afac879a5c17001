#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# PID 1 of the guest that run-guest.sh starts: mounts the pseudo file systems, runs the
# job found on the results share (9p tag kcres) with its output on ttyS1, records its
# exit status there and ends the guest. Needs only /bin/sh and a static /bin/busybox.

bb=/bin/busybox
share=/run/kchaos
out=/dev/ttyS1
mounted_share=0
job_cwd=/
job_interactive=0
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

say() { printf 'kchaos-lua: %s\n' "$*" >/dev/console 2>/dev/null; }

# Ends the guest: the marker and the status first, then a reboot that QEMU's
# -no-reboot turns into its exit. Should the reboot fail, PID 1 exiting panics
# the kernel, and panic=-1 reboots it just the same.
finish() {
	say "guest end (status $1)"
	[ "$mounted_share" = 1 ] && printf '%s\n' "$1" >"$share/status"
	$bb sync
	$bb reboot -f
	exit "$1"
}

# A step the job cannot go without: say what failed and end with status 125,
# telling the user too when the output port is already set up.
fail() {
	say "error: $*"
	{ printf 'kchaos-lua: error: %s\n' "$*" >&3; } 2>/dev/null
	finish 125
}

# mnt TYPE DIR [OPTIONS]: mounts a file system of TYPE, creating DIR if needed.
mnt() {
	[ -d "$2" ] || $bb mkdir -p "$2" 2>/dev/null
	$bb mount -t "$1" ${3:+-o "$3"} "$1" "$2"
}

mount_pseudo() {
	mnt proc /proc || fail "cannot mount /proc"
	mnt sysfs /sys || fail "cannot mount /sys"
	mnt devtmpfs /dev mode=0755 || fail "cannot mount /dev"
	mnt devpts /dev/pts mode=0620,ptmxmode=0666 || say "warning: no /dev/pts"
	mnt tmpfs /dev/shm mode=1777 || say "warning: no /dev/shm"
	mnt tmpfs /run mode=0755 || fail "cannot mount /run"
	mnt debugfs /sys/kernel/debug || say "warning: no debugfs"
	mnt tracefs /sys/kernel/tracing || say "warning: no tracefs"
	mnt cgroup2 /sys/fs/cgroup || say "warning: no cgroup2"
}

# The guest's /tmp shows the host's /tmp (so a job may start in a directory made
# with mktemp) with the writes kept in memory; a plain tmpfs if overlayfs fails.
mount_tmp() {
	$bb mkdir -p /run/tmp/upper /run/tmp/work && $bb chmod 1777 /run/tmp/upper &&
		$bb mount -t overlay overlay \
		-o lowerdir=/tmp,upperdir=/run/tmp/upper,workdir=/run/tmp/work /tmp 2>/dev/null &&
		return 0
	say "warning: /tmp is an empty tmpfs (overlayfs over the host's /tmp failed)"
	mnt tmpfs /tmp mode=1777 || fail "cannot mount /tmp"
}

# libbcc unpacks /sys/kernel/kheaders.tar.xz into /tmp/kheaders-RELEASE through a rename
# that an overlay refuses (EXDEV); unpacked here in place, it is found and used as is.
unpack_headers() {
	hdr=/tmp/kheaders-$($bb uname -r)
	[ -r /sys/kernel/kheaders.tar.xz ] && [ ! -d "$hdr" ] || return 0
	$bb rm -rf "$hdr.tmp" && $bb mkdir -p "$hdr.tmp" &&
		tar -xf /sys/kernel/kheaders.tar.xz -C "$hdr.tmp" 2>/dev/null &&
		$bb mv "$hdr.tmp" "$hdr" 2>/dev/null ||
		{ $bb mkdir -p "$hdr" && tar -xf /sys/kernel/kheaders.tar.xz -C "$hdr"; }
}

mount_share() {
	$bb mkdir -p "$share" || fail "cannot create $share"
	$bb mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 kcres "$share" ||
		fail "cannot mount the results share (9p tag kcres)"
	mounted_share=1
}

# The job's port, kept open on fd 3 (a serial port forgets its size when closed):
# raw, so that "\n" stays "\n"; in interactive mode a sane terminal the size of
# the user's, without adding "\r" (the host's terminal does), with the job as its
# session leader and the port as its controlling terminal.
setup_port() {
	[ -c "$out" ] || fail "no second serial port $out"
	exec 3<>"$out"
	if [ "$job_interactive" = 1 ]; then
		$bb stty sane -onlcr <&3
		[ "${job_rows:-0}" -gt 0 ] && [ "${job_cols:-0}" -gt 0 ] &&
			$bb stty rows "$job_rows" cols "$job_cols" <&3
	else
		$bb stty raw -echo <&3
	fi
}

# The job runs in a subshell with only the environment the runner passed, plus
# PATH, HOME and the location of the results share.
run_job() (
	for name in $($bb env | $bb sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/\1/p'); do
		unset "$name" 2>/dev/null
	done
	export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	export HOME=/tmp/home KCHAOS_VM=1 KCHAOS_VM_RESULTS="$share"
	job_env

	cd "$job_cwd" 2>/dev/null || {
		echo "kchaos-lua: error: the working directory $job_cwd does not exist in the guest;" \
			"fix: run from a directory of the shared root outside /run and /dev" >&2
		exit 125
	}
	if [ "$job_interactive" = 1 ]; then
		# busybox's setsid would run its own applets: /bin/sh finds the command.
		exec $bb setsid -c /bin/sh -c 'exec "$@"' sh "$@"
	fi
	exec "$@" </dev/null
)

printf '\n' >/dev/console # the firmware leaves its last line open
mount_pseudo
mount_tmp
unpack_headers
mount_share
$bb mkdir -p /tmp/home
$bb hostname kchaos-guest
$bb ip link set lo up || say "warning: cannot bring up lo"

[ -r "$share/job" ] || fail "no job in the results share"
. "$share/job" || fail "cannot read the job"
setup_port

say "guest begin"
if [ "$job_interactive" = 1 ]; then
	run_job "$@" <&3 >&3 2>&3 3>&-
else
	run_job "$@" >&3 2>&3 3>&-
fi
status=$?
$bb stty raw -echo <&3 2>/dev/null # returns once the port has sent all output
exec 3>&-
finish "$status"
