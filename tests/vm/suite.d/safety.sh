# SPDX-License-Identifier: GPL-2.0-only
# Guest cases for the safety promises of docs/safety.md: nothing left after any exit, the
# dead-man switch with a chosen lease, the time limit of unscoped rules, processes that
# are never failed and lost events that are counted (scopes and times under concurrency
# are the smp area's, on two CPUs).
# Sourced by tests/vm/suite.sh, which defines K, case_run and wait_armed.

SAFE_DALLOC='params = "struct dentry *p, const struct qstr *name"'

# safe_rule PREFIX [FIELDS]: a rule failing the creation of names starting with PREFIX.
safe_rule() {
	echo "kchaos.slab{ $2 headers = { \"linux/dcache.h\" }, callchain = { { func = \"d_alloc_parallel\", $SAFE_DALLOC," \
		"predicate = 'STRNCMP(name->name, \"$1\", ${#1})' } } }"
}

# exit_armed: waits until the rule fails this shell's creations (it is scoped to $$).
exit_armed() {
	wait_armed || { echo "never armed"; return 1; }
	n=0
	while { true > /tmp/kctest/kcleft_probe; } 2>/dev/null; do
		rm -f /tmp/kctest/kcleft_probe
		n=$((n + 1))
		[ $n -gt 300 ] && { echo "armed, but this shell's creations do not fail"; return 1; }
		sleep 0.1
	done
	# kchaos-lua may have ended already (a callback error ends it on the first injection).
	progs_armed=$(grep -c ' bpf_prog_[0-9a-f]*_kc_' /proc/kallsyms)
	return 0
}

# exit_nothing_left KIND: no kprobe, no BPF program of ours, and a creation the rule
# would have failed succeeds.
exit_nothing_left() {
	sleep 0.5
	if grep -q . /sys/kernel/debug/kprobes/list; then
		echo "$1: kprobes left:"
		cat /sys/kernel/debug/kprobes/list
		return 1
	fi
	left=$(grep -c ' bpf_prog_[0-9a-f]*_kc_' /proc/kallsyms)
	if [ "$left" -gt 0 ]; then
		echo "$1: $left BPF programs left:"
		grep ' bpf_prog_[0-9a-f]*_kc_' /proc/kallsyms
		return 1
	fi
	if ! { true > /tmp/kctest/kcleft_after; } 2>/dev/null; then
		echo "$1: a creation failed after the exit"
		return 1
	fi
	rm -f /tmp/kctest/kcleft_after
	echo "$1: nothing left ($progs_armed BPF programs were listed while armed)"
}

# exit_case KIND STATUS TRIGGER ARGS...: runs kchaos-lua ARGS, waits until armed, runs
# TRIGGER (a shell command; $kc is kchaos-lua's pid), and checks the exit status and
# that nothing is left.
exit_case() {
	kind=$1 want=$2 trigger=$3
	shift 3
	"$K" -q "$@" >/tmp/kctest/exit.out 2>&1 &
	kc=$!
	exit_armed || { kill -KILL $kc; wait $kc; cat /tmp/kctest/exit.out; return 1; }
	eval "$trigger"
	wait $kc
	st=$?
	if [ $st -ne "$want" ]; then
		echo "$kind: exit status $st, wanted $want"
		cat /tmp/kctest/exit.out
		return 1
	fi
	exit_nothing_left "$kind"
}

t_exits() {
	# A rule on this very shell: while it is armed, the shell's creations fail.
	echo 1 > /proc/sys/net/core/bpf_jit_kallsyms 2>/dev/null
	rule=$(safe_rule kcleft "pid = $$,")
	exit_case "normal end" 0 ":" --timeout 4s -e "$rule" &&
	exit_case "script error" 1 "touch /tmp/kctest/kc_boom" -e "$rule" \
		-e "kchaos.every('100ms', function() if io.open('/tmp/kctest/kc_boom') then error('boom') end end)" &&
	grep -q "boom" /tmp/kctest/exit.out && rm -f /tmp/kctest/kc_boom &&
	exit_case "callback error" 1 ":" -e "$(safe_rule kcleft "pid = $$, on_inject = function() error('boom in on_inject') end,")" &&
	grep -q "boom in on_inject" /tmp/kctest/exit.out &&
	exit_case "SIGINT" 130 "kill -INT \$kc" -e "$rule" &&
	exit_case "SIGTERM" 143 "kill -TERM \$kc" -e "$rule" &&
	exit_case "SIGKILL" 137 "kill -KILL \$kc" -e "$rule" &&
	exit_case "workload killed" 137 "pkill -KILL -P \$kc -x sleep" -c "exec sleep 600" -e "$rule" &&
	# A child made after the rules were armed, which ignores the SIGTERM it gets when
	# kchaos-lua dies, lives on: it must not hold kchaos-lua's probes.
	exit_case "SIGKILL, a child lives on" 137 "sleep 1; kill -KILL \$kc" -e "$rule" \
		-e "kchaos.after(0, function() kchaos.spawn(\"trap '' TERM; exec sleep 601\") end)"
	st=$?
	pkill -KILL -f "sleep 601"
	return $st
}

t_lease_option() {
	# --lease 250ms: once kchaos-lua is stopped (SIGSTOP), injection ends within 250 ms
	# of its last renewal, where the default lease would go on for up to a second; it
	# resumes on SIGCONT. A loop outside kchaos-lua logs each creation with its time.
	rm -f /tmp/kctest/lease2.log
	(while :; do
		if { true > /tmp/kctest/kclease2; } 2>/dev/null; then r=ok; else r=fail; fi
		rm -f /tmp/kctest/kclease2
		echo "$(date +%s%N) $r"
	done >> /tmp/kctest/lease2.log) &
	loop=$!
	$K -q --lease 250ms -p $loop -e "$(safe_rule kclease2)" &
	kc=$!
	wait_armed || { kill $loop $kc; return 1; }
	sleep 1
	stop=$(date +%s%N)
	kill -STOP $kc
	sleep 2
	cont=$(date +%s%N)
	kill -CONT $kc
	sleep 1.5
	kill $loop
	kill $kc
	wait $kc
	awk -v stop="$stop" -v cont="$cont" '
		$1 < stop && $2 == "fail" { before++ }
		$1 > stop && $1 < cont && $2 == "fail" { last = $1 }
		$1 > stop && $1 < cont && $2 == "ok" { ok++ }
		$1 > cont && $2 == "fail" { after++ }
		END {
			late = last ? (last - stop) / 1e6 : 0
			printf "failures before SIGSTOP %d, after SIGCONT %d; successes while stopped %d; last failure %d ms after SIGSTOP\n", before, after, ok, late
			exit !(before > 0 && after > 0 && ok > 0 && late < 500)
		}' /tmp/kctest/lease2.log
}

# lease_loop PREFIX LOG: a loop outside kchaos-lua creating PREFIX over and over, logging
# "TIME ok|fail" per creation, TIME taken before it: a failure logged after a moment was
# injected after it, however late the loop got to write it down.
lease_loop() {
	rm -f "$2"
	(while :; do
		t=$(date +%s%N)
		if { true > "/tmp/kctest/$1"; } 2>/dev/null; then r=ok; else r=fail; fi
		rm -f "/tmp/kctest/$1"
		echo "$t $r"
	done >> "$2") >/dev/null 2>&1 &
	echo $!
}

# kprobes_now: how many kprobes are listed.
kprobes_now() {
	wc -l < /sys/kernel/debug/kprobes/list
}

t_lease_compile() {
	# A rule made by a timer compiles for a long time (heavy headers) with the event loop
	# held up; meanwhile the rule already armed goes on failing every creation (a thread
	# renews its lease). Stopped in the middle of such a compile, kchaos-lua stops
	# injecting within its lease all the same. Two SIGTERMs end it at once, mid-compile.
	late='kchaos.after("1s", function() kchaos.slab{ comm = "kc-nobody", headers = {
		"linux/fs.h", "linux/mm.h", "linux/blkdev.h", "net/sock.h", "linux/skbuff.h" } } end)'
	for run in keep stop; do
		lease=1s
		[ $run = stop ] && lease=250ms
		loop=$(lease_loop kclease3 /tmp/kctest/lease3.log)
		$K -q --lease $lease -p "$loop" -e "$(safe_rule kclease3)" -e "$late" &
		kc=$!
		wait_armed || { kill "$loop" $kc; return 1; }
		sleep 0.5
		n0=$(kprobes_now)
		armed=$(date +%s%N)
		if [ $run = keep ]; then
			sleep 8
		else
			sleep 2.5
			stop=$(date +%s%N)
			kill -STOP $kc
			sleep 1.5
			kill -CONT $kc
			sleep 0.5
		fi
		ended=$(date +%s%N)
		compiling=1
		[ "$(kprobes_now)" -gt "$n0" ] && compiling=0
		kill "$loop"
		kill -TERM $kc
		sleep 0.2
		kill -TERM $kc
		wait $kc
		st=$?
		gone=$((($(date +%s%N) - ended) / 1000000))
		echo "$run: two SIGTERMs: exit status $st after $gone ms"
		[ $compiling = 1 ] || { echo "the compile ended too soon: cannot test"; return 1; }
		[ $st = 143 ] && [ $gone -lt 3000 ] || return 1
		if [ $run = keep ]; then
			awk -v from=$((armed + 1500000000)) -v to="$ended" '
				$1 > from && $1 < to && $2 == "fail" { n++ }
				$1 > from && $1 < to && $2 == "ok" { ok++ }
				END {
					printf "during the compile (%d ms): %d failures, %d successes\n", (to - from) / 1e6, n, ok
					exit !(n > 0 && ok == 0)
				}' /tmp/kctest/lease3.log || return 1
		else
			awk -v stop="$stop" '
				$1 > stop && $1 < stop + 1.5e9 && $2 == "fail" { last = $1 }
				$1 > stop && $1 < stop + 1.5e9 && $2 == "ok" { ok++ }
				END {
					late = last ? (last - stop) / 1e6 : 0
					printf "stopped during the compile: last failure %d ms after SIGSTOP, %d successes\n", late, ok
					exit !(ok > 0 && late < 500)
				}' /tmp/kctest/lease3.log || return 1
		fi
	done
}

t_system_limit() {
	# A rule without a scope ends the run after 60 s; --system lifts the limit and
	# --timeout chooses the time. The rule's predicate matches no file of this suite.
	rule=$(safe_rule kcnobody)
	$K -e "$rule" >/tmp/kctest/lim1 2>&1 &
	a=$!
	$K --system -e "$rule" >/tmp/kctest/lim2 2>&1 &
	b=$!
	$K --timeout 2s -e "$rule" >/tmp/kctest/lim3 2>&1
	c_st=$?
	wait $a
	a_st=$?
	b_alive=0
	kill -0 $b 2>/dev/null && b_alive=1
	kill -TERM $b
	wait $b
	b_st=$?
	for f in lim1 lim2 lim3; do echo "== $f"; cat /tmp/kctest/$f; done
	echo "status: default $a_st, --system $b_st (alive after 60s: $b_alive), --timeout $c_st"
	[ $a_st -eq 0 ] && [ $c_st -eq 0 ] && [ $b_alive -eq 1 ] && [ $b_st -eq 143 ] &&
	grep -q "rule #1 applies to every process: the run ends in 60s" /tmp/kctest/lim1 &&
	grep -q "ending the run: rules without a scope ran for 60s" /tmp/kctest/lim1 &&
	! grep -q "the run ends in" /tmp/kctest/lim2 &&
	! grep -q "the run ends in" /tmp/kctest/lim3
}

case_run self $K tests/vm/cases/self.lua
case_run nofail $K tests/vm/cases/nofail.lua
case_run lost-events $K tests/vm/cases/lost.lua
case_run lease-option t_lease_option
case_run lease-compile t_lease_compile
case_run exits t_exits
case_run system-limit t_system_limit
