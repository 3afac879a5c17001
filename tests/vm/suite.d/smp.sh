# SPDX-License-Identifier: GPL-2.0-only
# cpus: 2
# Guest cases that need two CPUs (run-guest.sh --cpus 2; tests/run-all.sh vm boots a
# second guest for them): scopes and `times` hold while processes on both CPUs hit the
# same rule at once. Sourced by tests/vm/suite.sh, which defines K, case_run and cpus.

# need_cpus: fails the case, saying why, on a guest with fewer than two CPUs ($cpus is
# the suite's count).
need_cpus() {
	echo "guest CPUs: $cpus"
	[ "$cpus" -ge 2 ] || { echo "this case needs 2 CPUs: run the guest with --cpus 2"; return 1; }
}

t_concurrency() {
	need_cpus || return 1
	# Two processes outside kchaos-lua create files the rule's chain matches, from the
	# moment its workers start (go_conc) to the moment they are done (stop_conc); none of
	# their creations may fail.
	rm -f /tmp/kctest/go_conc /tmp/kctest/stop_conc /tmp/kctest/conc_outside*
	for j in 1 2; do
		(while [ ! -e /tmp/kctest/go_conc ] && [ ! -e /tmp/kctest/stop_conc ]; do sleep 0.1; done
		i=0; n=0; while [ ! -e /tmp/kctest/stop_conc ]; do i=$((i + 1));
			{ true > /tmp/kctest/kcconc_o${j}_$i; } 2>/dev/null || n=$((n + 1)); done;
			echo "$i $n" > /tmp/kctest/conc_outside$j) &
	done
	$K tests/vm/cases/concurrency.lua
	st=$?
	touch /tmp/kctest/stop_conc
	wait
	for j in 1 2; do
		read -r iters fails < /tmp/kctest/conc_outside$j
		echo "outside $j: $iters creations, $fails failed"
		[ "$iters" -gt 0 ] && [ "$fails" -eq 0 ] || st=1
	done
	[ $st -eq 0 ]
}

t_times_cpus() {
	# Two workers, one pinned to each CPU, race for the same `times` budget.
	need_cpus || return 1
	$K tests/vm/cases/times-cpus.lua
}

case_run concurrency t_concurrency
case_run times-cpus t_times_cpus
