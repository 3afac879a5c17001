#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Scenario tests that need no kernel support: scenarios without rules compile nothing,
# so phases, timers, workloads, reports, errors and signals run on any host, unprivileged.
# Prints "ok"/"not ok" per case and "scenario: N passed, N failed".
cd "$(dirname "$0")/../.." || exit 2
K=./kchaos-lua
D=tests/scenario/scripts
pass=0
fail=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

ok() { pass=$((pass + 1)); echo "ok - $1"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $1"; sed 's/^/#   /' "$out"; }

# has TEXT: the last run's output holds the line TEXT (a basic regular expression).
has() {
	grep -q -- "$1" "$out" || { echo "missing: $1" >>"$out"; return 1; }
}

# check NAME STATUS CMD... -- CHECKS: CMD exits with STATUS and then the shell commands
# in CHECKS (one argument) all succeed.
check() {
	name=$1 want=$2 checks=$3
	shift 3
	"$@" >"$out" 2>&1
	st=$?
	if [ "$st" -ne "$want" ]; then
		echo "exit status $st, wanted $want" >>"$out"
		not_ok "$name"
	elif eval "$checks"; then ok "$name"
	else not_ok "$name"; fi
}

# no_process PATTERN: no process runs with PATTERN in its command line.
no_process() {
	! pgrep -f -- "$1" >/dev/null || { echo "still running: $1" >>"$out"; return 1; }
}

check "phases of every kind run in order, with a report" 0 '
	has "^at 100ms$" && has "^body of body in kinds$" && has "^body done$" &&
	has "^kchaos-lua: scenario kinds: phase command (2/4) begins$" &&
	has "^kchaos-lua: scenario kinds: passed in " &&
	has "^phase    status   time  matched  injected  workloads$" &&
	has "^command  done    0\.[0-9]*s        0         0  sh -c echo hello; sleep 0\.2; echo bye: exited 0$" &&
	has "^cut      done    0\.[0-9]*s        0         0  sleep 5.137: killed by SIGTERM$" &&
	no_process "sleep 5.137"' \
	$K $D/phases.lua

check "-f json gives one document with scenarios and workloads" 0 '
	[ "$(grep -c "^{" "$out")" -eq 1 ] &&
	has "\"scenarios\":\[{" && has "\"name\":\"cut\"" && has "\"signal\":\"SIGTERM\"" &&
	has "\"workloads\":\[{" && has "\"status\":\"passed\"" &&
	! grep -q "^kchaos-lua: scenario" "$out"' \
	$K -f json $D/phases.lua

check "a failed expectation fails the scenario at its line" 1 '
	has "^kchaos-lua: error: $D/expect.lua:4: expectation failed: arithmetic: 2$" &&
	has "^second  failed " && has "^third   skipped " &&
	has "^kchaos-lua: scenario checks: failed in "' \
	$K $D/expect.lua

check "callbacks end a phase, stop a scenario and start another" 0 '
	has "^current: b$" && has "^second runs$" && has "^at of second: on time$" &&
	has "^a      done " && has "^b      stopped " && has "^c      skipped " &&
	has "^kchaos-lua: scenario first: stopped in " &&
	has "^kchaos-lua: scenario second: passed in "' \
	$K $D/control.lua

check "held workloads, captured output and waits with a time limit" 0 '
	has "workload .* has no captured output; spawn it with capture = true$" \&\&
	no_process "sleep 4.137"' \
	$K $D/held.lua

check "a phase whose command is not found fails" 1 '
	has "^kchaos-lua: error: $D/notfound.lua:2: scenario .missing.: phase .run.: workload .cd / && kc-no-such-command. exited with status 127: its command was not found$" &&
	has "^run    failed "' \
	$K $D/notfound.lua

check "pending timers keep a run without rules going until they are done" 0 '
	has "^ticks: [34]$" && has "^last timer after 600ms$"' \
	$K $D/timers-only.lua
check "an every timer keeps the run going until stop()" 3 'has "^tick 3$"' \
	$K -e 'local n = 0
		kchaos.every("50ms", function()
			n = n + 1
			print("tick " .. n)
			if n == 3 then kchaos.stop(3) end
		end)'
check "an every timer keeps the run going until --timeout" 0 'has "^tick$"' \
	$K --timeout 300ms -e 'kchaos.every("100ms", function() print("tick") end)'
check "a run with nothing to wait for ends at once" 0 'has "^declared$"' \
	timeout 5 $K -e 'print("declared") kchaos.after(1, function() end).cancel()'
check "a phase method called with . names the line and the call to write" 1 \
	'has "^kchaos-lua: error: (command line):1: elapsed is a method: call it as phase:elapsed()$"' \
	$K -e 'kchaos.scenario(function(p) p.elapsed() end)'

# interrupt SIGNAL STATUS: SIGNAL mid-phase ends the run with STATUS after the partial
# report, and the phase's workload is killed.
interrupt() {
	: >"$out"	# so the wait below cannot see the previous output
	$K $D/signal.lua >"$out" 2>&1 &
	pid=$!
	n=0
	until grep -q "phase long (2/3) begins" "$out" || [ $n -ge 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	sleep 0.3
	kill -"$1" $pid
	wait $pid
	st=$?
	if [ $st -eq "$2" ] && has "^kchaos-lua: scenario long: interrupted in " &&
		has "^long   interrupted  .* sleep 96.137: killed by SIGTERM$" &&
		has "^never  skipped " && no_process "sleep 96.137"; then
		ok "SIG$1 mid-phase: status $2, partial report, workload killed"
	else
		echo "exit status $st" >>"$out"
		not_ok "SIG$1 mid-phase: status $2, partial report, workload killed"
	fi
}
interrupt TERM 143
interrupt INT 130

# Bad input: an error at the script line, before anything runs.
check "a phase without a duration or a workload" 1 \
	'has "^kchaos-lua: error: $D/no-duration.lua:1: scenario .bad.: phase 2 (.hot.): needs a duration, or a workload or function to wait for (run)$"' \
	$K $D/no-duration.lua
check "two phases of the same name" 1 \
	'has "^kchaos-lua: error: $D/dup.lua:1: scenario .bad.: phase 2 is named .warm. like phase 1; phase names must be unique$"' \
	$K $D/dup.lua
check "a negative duration" 1 \
	'has "^kchaos-lua: error: $D/negative.lua:1: scenario .bad.: phase 1 (.warm.): duration must be a non-negative number of seconds, not -1$"' \
	$K $D/negative.lua
check "a malformed duration" 1 \
	'has "^kchaos-lua: error: $D/malformed.lua:1: scenario .bad.: phase 1 (.warm.): duration \"3 sec\" is malformed"' \
	$K $D/malformed.lua
check "a workload command that does not exist" 1 \
	'has "^kchaos-lua: error: $D/spawn-missing.lua:2: spawn: command .kc-no-such-program. not found (searched \$PATH)$"' \
	$K $D/spawn-missing.lua
check "sleep in the main chunk" 1 \
	'has "^kchaos-lua: error: $D/sleep-main.lua:1: kchaos.sleep cannot run in the main chunk"' \
	$K $D/sleep-main.lua
check "a malformed sleep" 1 \
	'has "^kchaos-lua: error: (command line):1: sleep \"soon\" is malformed"' \
	$K -e 'kchaos.scenario(function() kchaos.sleep("soon") end)'

# The scenarios of scenarios/ (run for real by the guest suite) are valid: a dry run
# prints their rules, and sets nothing up.
for s in bananas ext4-readonly page-hog ramp retry-drill self-limiting; do
	f=scenarios/$s.lua
	check "$(basename "$f") is valid (dry run)" 0 'has "^/\* BPF program set generated by kchaos-lua"' \
		$K -d "$f" /tmp
done

echo "scenario: $pass passed, $fail failed"
[ $fail -eq 0 ]
