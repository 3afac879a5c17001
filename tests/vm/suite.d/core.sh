# SPDX-License-Identifier: GPL-2.0-only
# Guest cases for scopes, stacks and the dead-man switch; sourced by tests/vm/suite.sh.

t_lease() {
	# A loop outside kchaos-lua creates files; the rule is scoped to it with -p. While
	# kchaos-lua is stopped (SIGSTOP) its lease runs out and injection stops; SIGCONT
	# renews it and injection resumes.
	rm -f /tmp/kctest/lease.log
	# Each file is removed again: a name that exists is found in the dentry cache, and its
	# creation would not allocate at all.
	(while :; do { true > /tmp/kctest/kclease; } 2>/dev/null && echo ok || echo fail; \
		rm -f /tmp/kctest/kclease; sleep 0.2; done >> /tmp/kctest/lease.log) &
	loop=$!
	$K -q -p $loop -e 'kchaos.slab{ headers = { "linux/dcache.h" }, callchain = { { func = "d_alloc_parallel", params = "struct dentry *p, const struct qstr *name", predicate = "STRNCMP(name->name, \"kclease\", 8)" } } }' &
	kc=$!
	wait_armed || { kill $loop $kc; return 1; }
	sleep 1
	: > /tmp/kctest/lease.log; sleep 1
	armed=$(grep -c fail /tmp/kctest/lease.log)
	kill -STOP $kc
	sleep 2
	: > /tmp/kctest/lease.log; sleep 1
	stopped=$(grep -c fail /tmp/kctest/lease.log)
	stopped_ok=$(grep -c ok /tmp/kctest/lease.log)
	kill -CONT $kc
	sleep 1
	: > /tmp/kctest/lease.log; sleep 1
	resumed=$(grep -c fail /tmp/kctest/lease.log)
	kill $loop $kc
	wait $kc
	echo "failures: armed $armed, stopped $stopped (ok $stopped_ok), resumed $resumed"
	[ "$armed" -gt 0 ] && [ "$stopped" -eq 0 ] && [ "$stopped_ok" -gt 0 ] && [ "$resumed" -gt 0 ]
}

case_run cgroup $K tests/vm/cases/cgroup.lua
case_run stack $K tests/vm/cases/stack.lua
case_run lease t_lease
