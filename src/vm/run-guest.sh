#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs one command in a throwaway QEMU guest (software emulation) booting the kchaos-lua
# test kernel on this machine's root file system, shared read-only over 9p; relays its
# output and exits with its status. Relies on build-kernel.sh, guest-init.sh and QEMU.
# shellcheck disable=SC2317 # cleanup and on_signal run from traps

usage() {
	cat <<EOF
usage: run-guest.sh [OPTIONS] [--] CMD [ARGS...]

Runs CMD in a guest that sees this machine's files read-only (writes to /tmp stay in
the guest), in the current directory, as root, with TERM, LANG, PATH and KCHAOS_*
passed in and KCHAOS_VM_RESULTS naming a directory whose files reach the host; with
KCHAOS_VM_OUTPUT set, the file "output" written there is copied to that path.
Its output (stdout and stderr together) comes out on stdout; the exit status is its.

options:
  --kernel FILE      boot FILE (an x86 bzImage) instead of the one build-kernel.sh
                     builds and caches (environment: KCHAOS_VM_KERNEL)
  --timeout SECONDS  stop the guest after SECONDS (default 900; KCHAOS_VM_TIMEOUT)
  --mem SIZE         guest memory, as for qemu -m (default 2G)
  --cpus N           virtual CPUs of the guest (default 1; KCHAOS_VM_CPUS)
  --keep DIR         use DIR as the results directory and keep it
  --interactive      connect the terminal to CMD (Ctrl-A x stops the guest)
  -h, --help         show this help

exit status: CMD's; 124 when the time ran out; 125 when the guest failed to report
one (boot failure, crash; the console log is kept); 2 for a usage or setup error;
130/143 when interrupted.
EOF
}

here=$(cd "$(dirname "$0")" && pwd)
marker_begin='kchaos-lua: guest begin'

say() { printf 'kchaos-lua: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 2; }
progress() { [ -t 2 ] && say "$*"; }

# quote WORD: WORD as one single-quoted word of /bin/sh.
quote() {
	local s=${1//\'/\'\\\'\'}
	printf "'%s'" "$s"
}

parse_args() {
	kernel=${KCHAOS_VM_KERNEL:-}
	timeout_s=${KCHAOS_VM_TIMEOUT:-900}
	mem=2G
	cpus=${KCHAOS_VM_CPUS:-1}
	keep=""
	interactive=0
	while [ $# -gt 0 ]; do
		case $1 in
		--kernel) [ -n "${2:-}" ] || die "--kernel needs a FILE"; kernel=$2; shift 2 ;;
		--kernel=?*) kernel=${1#*=}; shift ;;
		--timeout) [ $# -ge 2 ] || die "--timeout needs SECONDS"; timeout_s=$2; shift 2 ;;
		--timeout=*) timeout_s=${1#*=}; shift ;;
		--mem) [ $# -ge 2 ] || die "--mem needs a SIZE"; mem=$2; shift 2 ;;
		--mem=*) mem=${1#*=}; shift ;;
		--cpus) [ $# -ge 2 ] || die "--cpus needs a NUMBER"; cpus=$2; shift 2 ;;
		--cpus=*) cpus=${1#*=}; shift ;;
		--keep) [ $# -ge 2 ] || die "--keep needs a DIR"; keep=$2; shift 2 ;;
		--keep=*) keep=${1#*=}; shift ;;
		--interactive) interactive=1; shift ;;
		-h | --help) usage; exit 0 ;;
		--) shift; break ;;
		-*) die "unknown option '$1'; fix: see run-guest.sh --help" ;;
		*) break ;;
		esac
	done
	[ $# -gt 0 ] || die "no command given; fix: run-guest.sh [OPTIONS] [--] CMD [ARGS...]"
	argv=("$@")

	[[ $timeout_s =~ ^[1-9][0-9]*$ ]] ||
		die "the time limit '$timeout_s' is not a whole number of seconds; fix: --timeout 900"
	[[ $mem =~ ^[1-9][0-9]*[MGmg]?$ ]] ||
		die "the memory size '$mem' is not a size; fix: --mem 2G"
	[[ $cpus =~ ^[1-9][0-9]?$ ]] ||
		die "the CPU count '$cpus' is not a number from 1 to 99; fix: --cpus 2"
}

# The kernel: the one given, checked to be an x86 bzImage, or the cached build.
find_kernel() {
	local fix="pass an x86 bzImage with --kernel, or unset KCHAOS_VM_KERNEL"

	if [ -z "$kernel" ]; then
		kernel=$(sh "$here/build-kernel.sh") ||
			die "the guest kernel could not be built (see above)"
	fi
	[ -f "$kernel" ] || die "$kernel does not exist; fix: $fix"
	[ "$(dd if="$kernel" bs=1 skip=514 count=4 2>/dev/null | tr -d '\0')" = HdrS ] ||
		die "$kernel is not a kernel image (bzImage); fix: $fix"
}

check_tools() {
	command -v qemu-system-x86_64 >/dev/null 2>&1 ||
		die "qemu-system-x86_64 is missing; fix: apt-get install qemu-system-x86"
	command -v timeout >/dev/null 2>&1 ||
		die "timeout is missing; fix: apt-get install coreutils"
	init=$here/guest-init.sh
	[ -x "$init" ] || die "$init is missing or not executable; fix: chmod +x $init"
	[[ $init != *[[:space:]\"]* ]] ||
		die "the guest cannot start $init (blank or quote in the path); fix: move the project"
}

make_results() {
	if [ -n "$keep" ]; then
		mkdir -p "$keep" || die "cannot create $keep"
		results=$(cd "$keep" && pwd)
		rm -f "$results/job" "$results/status" "$results/console.log" "$results/qemu.log" \
			"$results/qemu.pid"
	else
		results=$(mktemp -d "${TMPDIR:-/tmp}/kchaos-vm.XXXXXX") ||
			die "cannot create a results directory"
	fi
}

# The job, a file that guest-init.sh sources: the working directory, the mode,
# a function exporting the environment, and the command as positional parameters.
write_job() {
	local name rows=24 cols=80 size

	if [ "$interactive" = 1 ] && size=$(stty size 2>/dev/null) && [ -n "$size" ]; then
		rows=${size% *}
		cols=${size#* }
	fi
	{
		echo "# kchaos-lua guest job, read by guest-init.sh"
		echo "job_cwd=$(quote "$PWD")"
		echo "job_interactive=$interactive"
		echo "job_rows=$rows"
		echo "job_cols=$cols"
		echo "job_env() {"
		echo "	:"
		for name in $(compgen -e | LC_ALL=C sort); do
			case $name in
			TERM | LANG | PATH | KCHAOS_*) echo "	export $(quote "$name=${!name}")" ;;
			esac
		done
		echo "}"
		printf 'set --'
		for name in "${argv[@]}"; do
			printf ' %s' "$(quote "$name")"
		done
		echo
	} >"$results/job" || die "cannot write $results/job"
}

start_guest() {
	local append chardev fore=""

	append="console=ttyS0 root=/dev/root rootfstype=9p"
	append+=" rootflags=trans=virtio,version=9p2000.L,msize=512000,cache=loose ro"
	append+=" init=$init panic=-1 quiet loglevel=1"
	chardev=stdio,id=job,signal=off
	[ "$interactive" = 1 ] && chardev+=,mux=on && fore=--foreground
	# shellcheck disable=SC2054 # the commas belong to QEMU's option values
	qemu=(qemu-system-x86_64 -accel tcg -m "$mem" -smp "$cpus" -nographic -no-reboot
		-monitor none -nic none -pidfile "$results/qemu.pid" -kernel "$kernel"
		-fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap
		-device virtio-9p-pci,fsdev=root,mount_tag=/dev/root
		-fsdev "local,id=res,path=${results//,/,,},security_model=none"
		-device virtio-9p-pci,fsdev=res,mount_tag=kcres
		-serial "file:$results/console.log"
		-chardev "$chardev" -serial chardev:job
		-append "$append")

	# QEMU makes its stdout non-blocking and leaves it so: give it a pipe of its
	# own, relayed by cat, rather than the caller's terminal or file.
	exec {relay}> >(exec cat)
	relay_pid=$!
	if [ "$interactive" = 1 ]; then
		# An explicit <&0, or bash gives a background command /dev/null.
		timeout $fore "$timeout_s" "${qemu[@]}" <&0 1>&"$relay" 2>"$results/qemu.log" &
	else
		timeout "$timeout_s" "${qemu[@]}" </dev/null 1>&"$relay" 2>"$results/qemu.log" &
	fi
	timeout_pid=$!
	exec {relay}>&-
	started=$EPOCHREALTIME
}

# Seconds since the guest started, with one decimal.
elapsed() {
	local ms=$(( (${EPOCHREALTIME/./} - ${started/./}) / 1000 ))

	printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100))
}

# Stops QEMU if it still runs: SIGTERM, then SIGKILL after 5 s.
stop_guest() {
	local pid i

	[ -n "${timeout_pid:-}" ] || return 0
	pid=$(cat "$results/qemu.pid" 2>/dev/null)
	for i in $(seq 50); do
		kill -0 "$timeout_pid" 2>/dev/null || break
		if [ "$i" = 1 ]; then
			kill -TERM "${pid:-$timeout_pid}" "$timeout_pid" 2>/dev/null
		fi
		sleep 0.1
	done
	if kill -0 "$timeout_pid" 2>/dev/null; then
		[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
		kill -KILL "$timeout_pid" 2>/dev/null
	fi
	wait "$timeout_pid" 2>/dev/null
	timeout_pid=""
}

cleanup() {
	stop_guest
	if [ -n "${relay_pid:-}" ]; then
		wait "$relay_pid" 2>/dev/null
	fi
	if [ "${remove_results:-0}" = 1 ] && [ -z "$keep" ]; then
		rm -rf "$results"
	fi
}

on_signal() {
	trap - INT TERM HUP
	say "interrupted; stopping the guest"
	stop_guest
	remove_results=1
	exit "$1"
}

# Waits for QEMU; on a terminal, says when the command starts and how long the
# boot took (to the begin marker on the console).
wait_guest() {
	if [ -t 2 ]; then
		progress "booting guest..."
		while kill -0 "$timeout_pid" 2>/dev/null; do
			if grep -qs "$marker_begin" "$results/console.log"; then
				progress "running... (booted in $(elapsed) s)"
				break
			fi
			sleep 0.1
		done
	fi
	wait "$timeout_pid"
	qemu_status=$?
	timeout_pid=""
	wait "$relay_pid" 2>/dev/null
	relay_pid=""
}

# The command's status from the share, or an explanation of why there is none.
report() {
	local status

	status=$(cat "$results/status" 2>/dev/null)
	# kchaos-lua -o FILE --vm: the guest wrote FILE's contents to the results share.
	if [ -n "${KCHAOS_VM_OUTPUT:-}" ] && [ -f "$results/output" ]; then
		cp "$results/output" "$KCHAOS_VM_OUTPUT" ||
			say "error: cannot copy the output to $KCHAOS_VM_OUTPUT"
	fi
	if [[ $status =~ ^[0-9]+$ ]]; then
		remove_results=1
		exit "$status"
	fi
	if [ "$qemu_status" = 124 ] || [ "$qemu_status" = 137 ]; then
		say "error: the guest did not finish within $timeout_s s; fix: --timeout SECONDS"
		say "console log: $results/console.log"
		exit 124
	fi
	if [ "$interactive" = 1 ]; then
		say "error: the guest stopped without reporting a status (Ctrl-A x, or a crash)"
	else
		say "error: the guest stopped without reporting a status (boot failure or crash)"
	fi
	if [ -s "$results/qemu.log" ]; then
		sed 's/^/  qemu: /' "$results/qemu.log" >&2
	fi
	tail -n 5 "$results/console.log" 2>/dev/null |
		sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1bc//g; s/\r//g; s/^/  console: /' >&2
	say "console log: $results/console.log"
	exit 125
}

parse_args "$@"
check_tools
find_kernel
make_results
trap cleanup EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM
trap 'on_signal 129' HUP
write_job
start_guest
wait_guest
report
