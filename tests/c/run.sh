#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Host tests: the C unit tests, and the command line as a user meets it on a kernel that
# cannot inject: errors, dry runs, and generated BPF C compiled with libbcc against the
# guest kernel's own headers (so a code generation mistake shows without booting).
cd "$(dirname "$0")/../.." || exit 2
# KCHAOS_BIN, KCHAOS_BUILD and KCHAOS_MAKEFLAGS choose another build (make test-asan).
K=${KCHAOS_BIN:-./kchaos-lua}
build=${KCHAOS_BUILD:-build}
pass=0
fail=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

ok() { pass=$((pass + 1)); echo "ok - $1"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $1"; sed 's/^/#   /' "$out"; }

# expect NAME STATUS TEXT CMD...: CMD exits with STATUS and its output contains TEXT.
expect() {
	name=$1 want=$2 text=$3
	shift 3
	"$@" >"$out" 2>&1
	st=$?
	if [ "$st" -eq "$want" ] && grep -qF -- "$text" "$out"; then ok "$name"
	else echo "exit status $st, wanted $want and \"$text\"" >>"$out"; not_ok "$name"; fi
}

# expect_no NAME STATUS TEXT CMD...: CMD exits with STATUS and its output lacks TEXT.
expect_no() {
	name=$1 want=$2 text=$3
	shift 3
	"$@" >"$out" 2>&1
	st=$?
	if [ "$st" -eq "$want" ] && ! grep -qF -- "$text" "$out"; then ok "$name"
	else echo "exit status $st, wanted $want and no \"$text\"" >>"$out"; not_ok "$name"; fi
}

# C unit tests: one program per tests/c/test_NAME.c.
for t in tests/c/test_*.c; do
	n=$(basename "$t" .c)
	# shellcheck disable=SC2086 # KCHAOS_MAKEFLAGS holds several words
	if make -s ${KCHAOS_MAKEFLAGS:-} "$build/tests/$n" >"$out" 2>&1 &&
		"$build/tests/$n" >"$out" 2>&1; then
		p=$(grep -c '^ok' "$out")
		pass=$((pass + p))
		echo "ok - C unit tests: $n ($p checks)"
	else
		not_ok "C unit tests: $n"
	fi
done

expect "an error in -e names the chunk and line" 1 "kchaos-lua: error: (command line):1: boom" \
	$K -e 'error("boom")'
# Output that cannot be written (a full disk: /dev/full) is an error, not a silent success.
full="kchaos-lua: error: cannot write the output: No space left on device"
# shellcheck disable=SC2016 # the inner sh expands these
expect "a dry run whose output cannot be written fails" 1 "$full" \
	sh -c '"$0" -d -e "kchaos.slab{comm = \"x\"}" >/dev/full' "$K"
expect "--help whose output cannot be written fails" 1 "$full" sh -c '"$0" --help >/dev/full' "$K"
expect "-V whose output cannot be written fails" 1 "$full" sh -c '"$0" -V >/dev/full' "$K"
expect "an unknown option is one clear line" 2 "unknown option '--bogus'" $K --bogus
expect "an ambiguous prefix names every option it could be" 2 \
	"ambiguous option '--v' (--verbose, --vm, --vm-kernel or --version?)" $K --v
expect "a long option without its value is named" 2 "option '--timeout' needs a value" \
	$K --timeout
expect "an abbreviated long option is named in full" 2 "option '--lease' needs a value" $K --lea
expect "a flag given a value is named" 2 "option '--dry-run' takes no value" $K --dry-run=1
expect "a missing script is named" 1 "cannot open no-such-script.lua: no such file" \
	$K no-such-script.lua
printf 'local x = = 1\n' > /tmp/kc_syntax.lua
expect "a syntax error names the script and line" 1 "/tmp/kc_syntax.lua:1: unexpected symbol" \
	$K /tmp/kc_syntax.lua
expect "a script error names the script and line" 1 "tests/c/scripts/typo.lua:2: rule 'typo': field 'probabilty' is unknown (did you mean 'probability'?)" \
	$K tests/c/scripts/typo.lua
# A script that is a FIFO nobody writes to: open() waits, and a signal still ends the run.
# The signal goes once kchaos-lua waits for a writer (or after 5s); timeout guards the rest.
fifo=$(mktemp -u)
mkfifo "$fifo"
# shellcheck disable=SC2016 # the inner sh expands these
signal_waiting='"$0" "$1" & p=$! i=0
while [ $i -lt 50 ] && ! grep -qs wait_for_partner /proc/$p/wchan; do
	sleep 0.1
	i=$((i + 1))
done
kill -"$2" $p
wait $p'
expect "SIGTERM ends the wait for a FIFO script's writer" 143 "kchaos-lua: error: Terminated" \
	timeout -s KILL 10 sh -c "$signal_waiting" "$K" "$fifo" TERM
expect "SIGINT ends the wait for a FIFO script's writer" 130 "kchaos-lua: error: interrupted" \
	timeout -s KILL 10 sh -c "$signal_waiting" "$K" "$fifo" INT
expect "SIGHUP ends the wait for a FIFO script's writer with status 129" 129 \
	"kchaos-lua: error: Hangup" timeout -s KILL 10 sh -c "$signal_waiting" "$K" "$fifo" HUP
# shellcheck disable=SC2016 # the inner sh expands these
expect "a FIFO script is read once, with its writer" 0 "from a FIFO" \
	timeout -s KILL 10 sh -c 'echo "print(\"from a \" .. \"FIFO\")" >"$1" & "$0" "$1"' "$K" "$fifo"
rm -f "$fifo"
# The -c workload, when the run ends before it: its process group is stopped and reaped,
# and the status is the run's. No rule is armed, so this runs on any host. The signal goes
# once the workload runs (or after 5s); timeout guards the rest.
# gone PATTERN: no process has PATTERN in its command line (the shell's rest leaves too).
gone() {
	! pgrep -f -- "$1" >/dev/null || { echo "still running: $1" >>"$out"; return 1; }
}
# shellcheck disable=SC2016 # the inner sh expands these
signal_running='"$0" -c "sleep $1" -e "x = 1" & p=$! i=0
while [ $i -lt 50 ] && ! pgrep -f "^sleep $1" >/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
kill -"$2" $p
wait $p'
expect "-c: the workload is stopped at the --timeout, and the status is 0" 0 "timeout reached" \
	timeout -s KILL 15 $K -v -c 'sleep 33.4711; echo unreached' --timeout 0.5s -e 'x = 1'
gone "sleep 33.4711" && ok "-c: no process of the workload is left after the --timeout" ||
	not_ok "-c: no process of the workload is left after the --timeout"
expect_no "-c: the workload is stopped on SIGTERM, and the status is 143" 143 "error" \
	timeout -s KILL 15 sh -c "$signal_running" "$K" 33.4712 TERM
gone "sleep 33.4712" && ok "-c: no process of the workload is left after SIGTERM" ||
	not_ok "-c: no process of the workload is left after SIGTERM"
expect_no "-c: the workload is stopped on SIGINT, and the status is 130" 130 "error" \
	timeout -s KILL 15 sh -c "$signal_running" "$K" 33.4713 INT
gone "sleep 33.4713" && ok "-c: no process of the workload is left after SIGINT" ||
	not_ok "-c: no process of the workload is left after SIGINT"
expect_no "-c: the workload is stopped on SIGHUP, and the status is 129" 129 "error" \
	timeout -s KILL 15 sh -c "$signal_running" "$K" 33.4716 HUP
gone "sleep 33.4716" && ok "-c: no process of the workload is left after SIGHUP" ||
	not_ok "-c: no process of the workload is left after SIGHUP"
expect_no "-c: the workload is stopped on SIGPIPE, and the status is 141" 141 "error" \
	timeout -s KILL 15 sh -c "$signal_running" "$K" 33.4717 PIPE
gone "sleep 33.4717" && ok "-c: no process of the workload is left after SIGPIPE" ||
	not_ok "-c: no process of the workload is left after SIGPIPE"
# shellcheck disable=SC2016 # the inner sh expands these
timeout -s KILL 15 sh -c '("$0" -e "for i = 1, 1e6 do print(i) end"; echo "status $?" >&2) |
	head -n 1 >/dev/null' "$K" >"$out" 2>&1
if [ "$(cat "$out")" = "status 141" ]; then
	ok "output to a reader that went away ends the run with status 141 and no message"
else
	not_ok "output to a reader that went away ends the run with status 141 and no message"
fi
expect_no "-c: kchaos.stop(code) before the workload ends gives code" 5 "error" \
	timeout -s KILL 15 $K -c 'sleep 33.4714' -e 'kchaos.after(0.2, function() kchaos.stop(5) end)'
gone "sleep 33.4714" && ok "-c: no process of the workload is left after kchaos.stop" ||
	not_ok "-c: no process of the workload is left after kchaos.stop"
expect "-c: the status is the command's when it ends the run" 7 "seven" \
	timeout -s KILL 15 $K -c 'echo seven; exit 7' --timeout 10s -e 'x = 1'
expect "-f json lists the -c workload stopped at the --timeout" 0 \
	'"signal":"SIGTERM"' \
	timeout -s KILL 15 $K -f json -c 'sleep 33.4715' --timeout 0.5s -e 'x = 1'
expect_no "kchaos.stop(code) in a main chunk that leaves nothing pending gives code" 9 "error" \
	$K -e 'kchaos.stop(9)'
expect_no "kchaos.stop(code) with a timer pending gives code" 9 "error" \
	$K -e 'kchaos.after(10, function() end) kchaos.stop(9)'
expect "arguments reach the script as arg" 0 "args: a b 2" \
	$K -e 'x = 1' tests/c/scripts/args.lua a b
expect "--version" 0 "kchaos-lua 0.1.0" $K --version
expect "--help lists --vm" 0 "--vm " $K --help
# Every option the parser takes is in --help: long ones from long_opts, short ones from
# the getopt_long string of src/kc_main.c.
$K --help >"$out" 2>&1
missing=""
for o in $(sed -n 's/^\t{ "\([a-z-]*\)", .*/\1/p' src/kc_main.c); do
	grep -qE -- "--$o( |,|$)" "$out" || missing="$missing --$o"
done
for o in $(sed -n 's/.*getopt_long(argc, argv, "+\([^"]*\)".*/\1/p' src/kc_main.c | tr -d ':' |
	sed 's/./& /g'); do
	grep -qE -- "^  -$o[ ,]" "$out" || missing="$missing -$o"
done
if [ -z "$missing" ]; then ok "--help lists every option"
else echo "missing:$missing" >>"$out"; not_ok "--help lists every option"; fi
expect "-f takes text or json" 2 "-f takes 'text' or 'json', not 'xml'" $K -f xml -e ''
expect "-i reads statements from a pipe" 0 "2" sh -c "echo 1+1 | $K -i"
expect "--vm-kernel needs --vm" 2 "--vm-kernel goes with --vm" $K --vm-kernel /x -e ''
expect "--vm with a file that is not a kernel" 2 "is not a kernel image" \
	$K --vm --vm-kernel /etc/passwd --doctor
expect "-p needs a live process" 1 "-p 999999: no such process" $K -p 999999 -e ''
expect "a probability out of range" 1 "(command line):1: rule: probability 1.5 is out of range" \
	$K -e 'kchaos.slab{ probability = 1.5 }'
expect "a predicate may not escape" 1 "predicate may not contain ';'" \
	$K -d -e 'kchaos.slab{ callchain = { { func = "f", predicate = "1; evil()" } } }'

# A dry run needs neither root nor a capable kernel.
expect "--dry-run prints BPF C without root" 0 "int kc_r0_site(struct pt_regs *ctx" \
	setpriv --reuid=65534 --regid=65534 --clear-groups $K -d tests/vm/cases/classic.lua

# --check is a dry run too: the workload of -c never starts.
rm -f /tmp/kc-check-ran
$K --check -c 'touch /tmp/kc-check-ran' -e 'kchaos.slab{ comm = "kc-none" }' >"$out" 2>&1
if [ ! -e /tmp/kc-check-ran ] && grep -qF "int kc_r0_site(struct pt_regs *ctx" "$out"; then
	ok "--check without -d is a dry run: the workload is not started"
else
	not_ok "--check without -d is a dry run: the workload is not started"
fi
rm -f /tmp/kc-check-ran

expect "a dry run says an unscoped rule applies to every process" 0 \
	"rule bananas has no scope: it applies to every process on this system" \
	$K -d scenarios/bananas.lua

expect "a dry run warns of a chain function this machine's kernel lacks" 0 \
	"(command line):1: rule: callchain frame 1: function 'd_alloc_paralel' is not in this machine's /proc/kallsyms" \
	$K -d -e 'kchaos.slab{ comm = "kc-none", callchain = { { func = "d_alloc_paralel" } } }'

# Files that are not scripts or manifests: a clear error, not all memory or a crash.
# (17 MiB of spaces: valid Lua and YAML, refused for its size alone.)
big=$(mktemp)
head -c $((17 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$big"
expect "a script larger than 16 MiB is refused, read no further" 1 \
	"kchaos-lua: error: cannot read $big: it is larger than 16 MiB" $K -d "$big"
expect "a manifest larger than 16 MiB is refused" 1 \
	"--kernelchaos: cannot read $big: it is larger than 16 MiB" $K -d --kernelchaos "$big"
rm -f "$big"
expect "a manifest that is a directory says so" 1 \
	"--kernelchaos: cannot read tests: Is a directory" $K -d --kernelchaos tests
expect "a cgroup outside a cgroup v2 file system is refused" 0 \
	"/sys/fs/cgroup/../../../tmp is not in a cgroup v2 file system" \
	$K -e 'print(require("kchaos.kernel").cgroup_id("/sys/fs/cgroup/../../../tmp"))'
expect "an empty --cgroup is refused" 2 "--cgroup needs a cgroup v2 path" $K --cgroup '' -e 1

# An error that carries terminal escapes is written with them as \xNN.
expect "a script's error is written with its control bytes escaped" 1 \
	'kchaos-lua: error: (command line):1: \xff\x1b[31mred' $K -e 'error("\255\27[31mred")'

expect "a gfp filter with __GFP_NOFAIL and no nofail warns that it matches nothing" 0 \
	"never failed without nofail = true: the rule matches nothing" \
	$K -d -e 'kchaos.slab{ comm = "kc-none", gfp = "GFP_KERNEL|__GFP_NOFAIL" }'

expect "--vm with piped input and nothing to run says the prompt needs a terminal" 2 \
	"--vm opens the prompt only at a terminal" sh -c "echo 1 | $K --vm"
expect "r:set retunes a function rule, whose retval is kept" 0 "times 2" \
	$K -d -e 'local r = kchaos.func("__x64_sys_mkdir", { retval = "EPERM", times = 1, comm = "kc-none" })
		r:set{ times = 2 } print("times " .. r.live.times)'

# A bio rule on a device that does not exist (yet) warns, naming the line.
expect "a bio rule on an absent device warns" 0 \
	"warning: (command line):1: rule #1: no block device 4095:1048575 exists now" \
	$K -d -e 'kchaos.bio{ device = "4095:1048575", pid = 2 }'

# KCHAOS_LOG: 0 errors, 1 warnings, 2 hints (the default), 3 information, 4 debugging;
# -v raises it to 3 (-vv to 4), and -q leaves it alone.
absent_dev='kchaos.bio{ device = "4095:1048575", pid = 2 }'
expect_no "KCHAOS_LOG=0 shows no warning" 0 "warning:" env KCHAOS_LOG=0 $K -d -e "$absent_dev"
expect "KCHAOS_LOG=1 shows warnings" 0 "warning: (command line):1" \
	env KCHAOS_LOG=1 $K -d -e "$absent_dev"
expect "-q leaves warnings shown" 0 "warning: (command line):1" $K -q -d -e "$absent_dev"
expect "KCHAOS_LOG=0 still shows errors" 2 "error: -f takes 'text' or 'json'" \
	env KCHAOS_LOG=0 $K -f xml
expect_no "KCHAOS_LOG=0 shows no hint" 2 "hint:" env KCHAOS_LOG=0 $K -f xml
expect_no "KCHAOS_LOG=1 shows no hint" 2 "hint:" env KCHAOS_LOG=1 $K -f xml
expect "a usage error hints at --help by default" 2 "hint: see kchaos-lua --help" $K -f xml
one_timer='kchaos.after(0, function() end)'
expect_no "by default no information" 0 "rules armed" $K -e "$one_timer"
expect "KCHAOS_LOG=3 shows information" 0 "kchaos-lua: 0 rules armed" \
	env KCHAOS_LOG=3 $K -e "$one_timer"
expect "-v shows information" 0 "kchaos-lua: 0 rules armed" $K -v -e "$one_timer"
expect "-v overrides KCHAOS_LOG=0" 0 "kchaos-lua: 0 rules armed" \
	env KCHAOS_LOG=0 $K -v -e "$one_timer"
expect_no "by default an error has no traceback" 1 "stack traceback" $K -e 'error("boom")'
expect "KCHAOS_LOG=3 follows an error with its traceback" 1 "stack traceback" \
	env KCHAOS_LOG=3 $K -e 'error("boom")'

# Generated C compiled by libbcc against the guest kernel's headers.
kdir=$(src/vm/build-kernel.sh 2>/dev/null)
if [ -z "$kdir" ]; then
	echo "cannot build the guest kernel" >"$out"
	not_ok "guest kernel headers for compile checks"
else
	KCHAOS_KERNEL_HEADERS=$(dirname "$kdir")/headers
	export KCHAOS_KERNEL_HEADERS
	for f in tests/vm/cases/*.lua; do
		case $f in *bio.lua) continue ;; esac
		expect "$(basename "$f") compiles against the guest headers" 0 "BPF C compiles" \
			$K -d --check "$f"
	done
	expect "a predicate that does not compile names rule and frame" 1 \
		"(command line):1: rule 'p': the predicate of callchain frame 1 does not compile: no member named 'nope' in 'struct dentry'" \
		$K -d --check -e 'kchaos.slab{ name = "p", callchain = { { func = "d_alloc_parallel", params = "struct dentry *parent", predicate = "parent->nope == 1" } } }'
	expect "a header that does not exist" 1 \
		"(command line):1: rule: header 'linux/nope.h' does not exist in this kernel's headers" \
		$K -d --check -e 'kchaos.slab{ comm = "x", headers = { "linux/nope.h" } }'
	expect "a kernel without override support names the option and --vm" 1 \
		"CONFIG_BPF_KPROBE_OVERRIDE (check with --doctor, or run with --vm)" \
		$K -e 'kchaos.slab{ comm = "nothing" }'
fi
expect "--doctor on this host says it cannot inject and suggests --vm" 1 "--vm" $K --doctor

echo "host: $pass passed, $fail failed"
[ $fail -eq 0 ]
