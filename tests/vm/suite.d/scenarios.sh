# SPDX-License-Identifier: GPL-2.0-only
# Guest cases for scenarios; sourced by tests/vm/suite.sh. Every script in scenarios/
# runs with its expectations met (a scenario exits 0 only then), and a scenario that
# breaks or is interrupted mid-phase reports, kills its workloads and leaves no probe.

# no_process PATTERN: no process runs with PATTERN in its command line.
no_process() {
	for f in /proc/[0-9]*/cmdline; do
		if tr '\0' ' ' <"$f" 2>/dev/null | grep -q -- "$1"; then
			echo "still running: $(tr '\0' ' ' <"$f")"
			return 1
		fi
	done
	return 0
}

t_scenario_bananas() {
	$K -c 'cd /tmp/kctest && touch apples && touch bananas' scenarios/bananas.lua \
		>/tmp/kctest/sc.out 2>&1
	st=$?
	cat /tmp/kctest/sc.out
	[ $st -eq 1 ] &&
	grep -q "cannot touch 'bananas': Cannot allocate memory" /tmp/kctest/sc.out &&
	grep -q '^failed a dentry allocation of touch\[[0-9]*\] (injection 1)$' /tmp/kctest/sc.out
}

t_scenario_ext4() {
	$K scenarios/ext4-readonly.lua /tmp/kctest >/tmp/kctest/sc.out 2>&1
	st=$?
	cat /tmp/kctest/sc.out
	[ $st -eq 0 ] &&
	grep -q '^kchaos-lua: scenario ext4-readonly: passed in ' /tmp/kctest/sc.out &&
	grep -q 'mkdir: cannot create directory .*: Read-only file system' /tmp/kctest/sc.out &&
	# The cleanup ran: nothing mounted, no loop device left on the image.
	! grep -q kchaos-ext4 /proc/mounts && ! losetup -a | grep -q kchaos-ext4
}

t_scenario_page_hog() {
	$K scenarios/page-hog.lua /tmp/kctest >/tmp/kctest/sc.out 2>&1
	st=$?
	cat /tmp/kctest/sc.out
	[ $st -eq 0 ] && grep -q '^kchaos-lua: scenario page-hog: passed in ' /tmp/kctest/sc.out &&
	[ ! -e /tmp/kctest/kchaos-hog ]
}

t_scenario_ramp() {
	# With -f json: one JSON document at the end, with a record per step.
	$K -f json scenarios/ramp.lua /tmp/kctest 2 >/tmp/kctest/sc.json 2>/tmp/kctest/sc.err
	st=$?
	cat /tmp/kctest/sc.err /tmp/kctest/sc.json
	doc=$(grep '"scenarios":' /tmp/kctest/sc.json)
	[ $st -eq 0 ] &&
	[ "$(grep -c '"scenarios":' /tmp/kctest/sc.json)" -eq 1 ] &&
	for step in 1 5 20; do
		echo "$doc" | grep -q "\"name\":\"$step%\"" || return 1
		grep -q "^ *$step%: [0-9]* of [0-9]* creations failed" /tmp/kctest/sc.json || return 1
	done &&
	echo "$doc" | grep -q '"status":"passed"' && ! echo "$doc" | grep -q '"status":"failed"'
}

t_scenario_retry_drill() {
	$K scenarios/retry-drill.lua /tmp/kctest >/tmp/kctest/sc.out 2>&1
	st=$?
	cat /tmp/kctest/sc.out
	[ $st -eq 0 ] &&
	grep -q "^careful: read 'retries=yes' after 3 failed tries$" /tmp/kctest/sc.out
}

t_scenario_self_limiting() {
	$K scenarios/self-limiting.lua /tmp/kctest >/tmp/kctest/sc.out 2>&1
	st=$?
	cat /tmp/kctest/sc.out
	[ $st -eq 0 ] && grep -q '^0 of 200 creations failed$' /tmp/kctest/sc.out
}

t_scenario_broken_timer() {
	# -v: the traceback of the failing callback follows the error.
	$K -v tests/vm/scripts/scenario-broken-timer.lua >/tmp/kctest/sc.out 2>&1
	st=$?
	cat /tmp/kctest/sc.out
	[ $st -eq 1 ] &&
	grep -q "^kchaos-lua: error: tests/vm/scripts/scenario-broken-timer.lua:8: attempt to index local 't' (a nil value)$" \
		/tmp/kctest/sc.out &&
	grep -q '^stack traceback:' /tmp/kctest/sc.out &&
	grep -q '^busy *failed .* sleep 97: killed by SIGTERM$' /tmp/kctest/sc.out &&
	grep -q '^never *skipped ' /tmp/kctest/sc.out &&
	no_process 'sleep 97'
}

# interrupt SIGNAL STATUS: a scenario killed by SIGNAL mid-phase exits with STATUS,
# after its partial report.
interrupt() {
	: >/tmp/kctest/sc.out	# so the wait below cannot see the previous output
	$K tests/vm/scripts/scenario-long.lua >/tmp/kctest/sc.out 2>&1 &
	pid=$!
	n=0
	until grep -q 'phase long (2/3) begins' /tmp/kctest/sc.out || [ $n -ge 1500 ]; do
		sleep 0.2
		n=$((n + 1))
	done
	sleep 0.5
	kill -"$1" $pid
	wait $pid
	st=$?
	cat /tmp/kctest/sc.out
	[ $st -eq "$2" ] &&
	grep -q '^kchaos-lua: scenario long: interrupted in ' /tmp/kctest/sc.out &&
	grep -q '^long *interrupted .* sleep 98: killed by SIGTERM$' /tmp/kctest/sc.out &&
	grep -q '^idle ' /tmp/kctest/sc.out &&
	no_process 'sleep 98'
}
t_scenario_sigterm() { interrupt TERM 143; }
t_scenario_sigint() { interrupt INT 130; }

case_run scenario-bananas t_scenario_bananas
case_run scenario-ext4-readonly t_scenario_ext4
case_run scenario-page-hog t_scenario_page_hog
case_run scenario-ramp t_scenario_ramp
case_run scenario-retry-drill t_scenario_retry_drill
case_run scenario-self-limiting t_scenario_self_limiting
case_run scenario-broken-timer t_scenario_broken_timer
case_run scenario-sigterm t_scenario_sigterm
case_run scenario-sigint t_scenario_sigint
