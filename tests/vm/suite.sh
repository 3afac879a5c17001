#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The guest test suite: runs inside the guest kernel (tests/run-all.sh vm boots it) and
# checks real injections with real syscalls. Prints "ok"/"not ok" per case and a total.
cd "$(dirname "$0")/../.." || exit 2
K=./kchaos-lua
pass=0
fail=0
mkdir -p /tmp/kctest && mount -t tmpfs kctest /tmp/kctest || exit 2
cpus=$(grep -c '^processor' /proc/cpuinfo)	# that this guest runs on

# no_probes_left: true when no kprobe is registered (debugfs files report size 0, so
# the list is read; perf events are released shortly after their last fd closes).
no_probes_left() {
	n=0
	while grep -q . /sys/kernel/debug/kprobes/list && [ $n -lt 20 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	! grep -q . /sys/kernel/debug/kprobes/list
}

report() {
	if [ "$1" = 0 ]; then
		pass=$((pass + 1))
		echo "ok - $2 ($(($(date +%s) - t0)) s)"
	else
		fail=$((fail + 1))
		echo "not ok - $2 ($(($(date +%s) - t0)) s)"
		sed 's/^/#   /' /tmp/kctest/out
	fi
}

# case NAME CMD...: runs CMD; passes when it exits 0 and no kprobe remains afterwards.
case_run() {
	name=$1
	shift
	t0=$(date +%s)
	"$@" >/tmp/kctest/out 2>&1
	st=$?
	if [ $st -eq 0 ] && ! no_probes_left; then
		echo "kprobes left behind:" >>/tmp/kctest/out
		cat /sys/kernel/debug/kprobes/list >>/tmp/kctest/out
		st=1
	fi
	[ $st -eq 0 ] || echo "exit status $st" >>/tmp/kctest/out
	report $st "$name"
}

t_classic() {
	out=$($K -c 'cd /tmp/kctest && touch apples && echo apples=ok; touch bananas || echo bananas=failed' \
		tests/vm/cases/classic.lua 2>&1)
	echo "$out"
	echo "$out" | grep -q '^apples=ok$' &&
	echo "$out" | grep -q '^bananas=failed$' &&
	echo "$out" | grep -q "cannot touch 'bananas': Cannot allocate memory" &&
	[ -e /tmp/kctest/apples ] && [ ! -e /tmp/kctest/bananas ]
}

t_classic_json() {
	$K -q -f json -c 'touch /tmp/kctest/bananas' tests/vm/cases/classic.lua \
		>/tmp/kctest/json 2>/dev/null
	st=$?
	cat /tmp/kctest/json
	# Exit status is the workload's; every injection is one JSON event line.
	[ $st -eq 1 ] &&
	n=$(grep -c '"retval":-12' /tmp/kctest/json) &&
	[ "$n" -ge 1 ] &&
	grep -q "\"injected\":$n" /tmp/kctest/json &&
	grep -q "\"events\":$n" /tmp/kctest/json
}

t_outside() {
	# The process outside the scope runs during the whole case.
	rm -f /tmp/kctest/stop /tmp/kctest/outside
	(i=0; n=0; while [ ! -e /tmp/kctest/stop ]; do i=$((i+1)); \
		{ true > /tmp/kctest/kcq_out$i; } 2>/dev/null || n=$((n+1)); rm -f /tmp/kctest/kcq_out$i; done; \
		echo "$i $n" > /tmp/kctest/outside) &
	$K tests/vm/cases/scope.lua
	st=$?
	touch /tmp/kctest/stop
	wait
	read -r iters fails < /tmp/kctest/outside
	echo "outside: $iters creations, $fails failed"
	[ $st -eq 0 ] && [ "$iters" -gt 0 ] && [ "$fails" -eq 0 ]
}

t_errors() {
	# Bad rules fail before anything is attached, with the script line.
	$K -e 'kchaos.func("vfs_read", { retval = -5 })' 2>&1 | tee /tmp/kctest/e1
	grep -q "(command line):1: rule: 'vfs_read' is not on this kernel's error-injection list" /tmp/kctest/e1 &&
	$K -e 'kchaos.slab{ callchain = { { func = "no_such_function_kc" } } }' 2>&1 | tee /tmp/kctest/e2
	grep -q "(command line):1: rule: callchain frame 1: function 'no_such_function_kc' does not exist in this kernel" /tmp/kctest/e2 &&
	$K -e 'kchaos.func("should_fail_alloc_page", { retval = -12 })' 2>&1 | tee /tmp/kctest/e3
	grep -q "retval -12 does not fit 'should_fail_alloc_page', whose error type is TRUE" /tmp/kctest/e3 &&
	$K -l 'should_fail*' > /tmp/kctest/l && cat /tmp/kctest/l &&
	[ "$(cat /tmp/kctest/l)" = "$(printf 'should_fail_alloc_page\tTRUE\nshould_fail_bio\tERRNO\nshould_failslab\tERRNO')" ]
}

# wait_armed: waits until kprobes are listed (rules armed), up to 300 s.
wait_armed() {
	n=0
	while ! grep -q . /sys/kernel/debug/kprobes/list && [ $n -lt 1500 ]; do
		sleep 0.2
		n=$((n + 1))
	done
	grep -q . /sys/kernel/debug/kprobes/list
}

t_signals() {
	# SIGTERM: the summary is printed, the status is 143, no probe is left.
	$K -e 'kchaos.slab{ comm = "kc-nothing" }' >/tmp/kctest/term 2>&1 &
	pid=$!
	wait_armed || { echo "never armed"; cat /tmp/kctest/term; return 1; }
	kill -TERM $pid
	wait $pid
	st=$?
	cat /tmp/kctest/term
	[ $st -eq 143 ] && grep -q 'matched' /tmp/kctest/term && no_probes_left || return 1
	# SIGKILL: the kernel closes the perf events; nothing stays attached or injects.
	$K -e 'kchaos.slab{ comm = "kc-nothing" }' >/dev/null 2>&1 &
	pid=$!
	wait_armed || { echo "never armed"; return 1; }
	kill -KILL $pid
	wait $pid
	sleep 0.5
	echo "after SIGKILL: $(wc -l < /sys/kernel/debug/kprobes/list) kprobes"
	no_probes_left
}

builtin_cases() {
	for c in times probability interval live chains bio page syscall; do
		case_run "$c" $K "tests/vm/cases/$c.lua"
	done
	case_run classic t_classic
	case_run classic-json t_classic_json
	case_run scope t_outside
	case_run errors t_errors
	case_run signals t_signals
}

# With arguments, only those areas run: "builtin" or the name of a suite.d file.
if [ $# -gt 0 ]; then
	for a in "$@"; do
		if [ "$a" = builtin ]; then builtin_cases; else . "tests/vm/suite.d/$a.sh"; fi
	done
else
	builtin_cases
	# More cases, one file per area: each defines t_ functions and calls case_run. An
	# area that needs more CPUs than this guest has ("# cpus: N") is left to a guest
	# booted with them (tests/run-all.sh vm boots one), and said so.
	for f in tests/vm/suite.d/*.sh; do
		[ -e "$f" ] || continue
		need=$(sed -n 's/^# cpus: \([0-9]*\)$/\1/p' "$f")
		a=${f##*/}
		a=${a%.sh}
		if [ -n "$need" ] && [ "$cpus" -lt "$need" ]; then
			echo "# area $a needs $need CPUs, this guest has $cpus: run it with" \
				"run-guest.sh --cpus $need -- tests/vm/suite.sh $a"
			continue
		fi
		. "$f"
	done
fi

echo "guest: $pass passed, $fail failed"
[ $fail -eq 0 ]
