# SPDX-License-Identifier: GPL-2.0-only
# Guest cases of the importers: KernelChaos manifests (tests/import/vm-*.yaml) and inject.py
# command lines, injecting into real file creations. Sourced by tests/vm/suite.sh, which
# defines K and case_run; files go to the tmpfs /tmp/kctest.

IMP_DALLOC='struct dentry *parent, const struct qstr *name'
# The guest may run slowly (no KVM, a busy host): a long lease keeps the dead-man switch
# from pausing injection between two turns of the event loop.
KI="$K --lease 30s"

# imp_creations PREFIX N: a command that creates /tmp/kctest/PREFIX1..N (open(O_CREAT),
# which looks the name up through d_alloc_parallel) and prints "failed=F".
imp_creations() {
	echo "cd /tmp/kctest && n=0; i=0; while [ \$i -lt $2 ]; do i=\$((i+1));" \
		"{ true > $1\$i; } 2>/dev/null || n=\$((n+1)); done; echo failed=\$n"
}

t_import_times() {
	$KI -q -f json -c "$(imp_creations kcimpt 10)" --kernelchaos tests/import/vm-times.yaml \
		>/tmp/kctest/imp 2>&1
	st=$?
	cat /tmp/kctest/imp
	[ $st -eq 0 ] && grep -q '^failed=3$' /tmp/kctest/imp &&
	grep -q '"injected":3' /tmp/kctest/imp && grep -q '"matched":10' /tmp/kctest/imp
}

t_import_probability_zero() {
	$KI -q -f json -c "$(imp_creations kcimpa 5)" --kernelchaos tests/import/vm-always.yaml \
		>/tmp/kctest/imp 2>&1
	st=$?
	cat /tmp/kctest/imp
	[ $st -eq 0 ] && grep -q '^failed=5$' /tmp/kctest/imp &&
	grep -q 'probability 0 means that every matching call fails' /tmp/kctest/imp
}

t_import_last_predicate() {
	$KI -q -c "$(imp_creations kcimpl 2); $(imp_creations kcimpn 2)" \
		--kernelchaos tests/import/vm-last-predicate.yaml >/tmp/kctest/imp 2>&1
	st=$?
	cat /tmp/kctest/imp
	[ $st -eq 0 ] && [ "$(grep '^failed=' /tmp/kctest/imp | tr '\n' ' ')" = "failed=2 failed=0 " ]
}

# imp_wait_armed: waits until kprobes are listed (rules armed), up to 10 minutes: compiling
# in a guest without KVM on a busy host can take minutes.
imp_wait_armed() {
	n=0
	while ! grep -q . /sys/kernel/debug/kprobes/list && [ $n -lt 3000 ]; do
		sleep 0.2
		n=$((n + 1))
	done
	grep -q . /sys/kernel/debug/kprobes/list
}

t_inject_probability_one_frame() {
	# A spec of one frame, on the fault site (inject.py ignores -P there), for one shell
	# (-p): its only new dentries are those of its 1000 creations, one each. The shell
	# waits for the rule to be armed; its result file exists before, so needs no dentry.
	rm -f /tmp/kctest/go
	: >/tmp/kctest/res
	sh -c "while [ ! -e /tmp/kctest/go ]; do sleep 0.1; done;
		$(imp_creations kcimpp 1000) >/tmp/kctest/res" &
	wpid=$!
	$KI -q -f json -p $wpid --inject "kmalloc -P 0.3 '(STRCMP(s->name, \"dentry\"))'" \
		>/tmp/kctest/imp 2>&1 &
	kpid=$!
	if ! imp_wait_armed; then
		echo "the rule was not armed after 10 minutes"
		kill $kpid
		touch /tmp/kctest/go
		wait
		cat /tmp/kctest/imp
		return 1
	fi
	touch /tmp/kctest/go
	wait $wpid
	kill -TERM $kpid
	wait $kpid
	grep -v '^{' /tmp/kctest/imp
	sum=$(grep '"summary"' /tmp/kctest/imp)
	echo "$sum"
	n=$(sed -n 's/^failed=//p' /tmp/kctest/res)
	m=$(echo "$sum" | sed -n 's/.*"matched":\([0-9]*\).*/\1/p')
	inj=$(echo "$sum" | sed -n 's/.*"injected":\([0-9]*\).*/\1/p')
	# Every creation is a matching call; each fails with chance 0.3: the count lies in
	# the binomial 99.9% interval (mean +- 3.29 sd), and the shell saw each failure but
	# those of the shell's other allocations that matched (a dentry of its own, now and
	# then: matched is then above 1000).
	echo "matched ${m:-?}, injected ${inj:-?}, creations that failed ${n:-?} of 1000"
	[ -n "$n" ] && [ -n "$m" ] && [ -n "$inj" ] && [ "$m" -ge 1000 ] && [ "$n" -le "$inj" ] &&
	[ $((inj - n)) -le $((m - 1000)) ] &&
	awk -v m="$m" -v k="$inj" 'BEGIN { d = 3.29 * sqrt(m * 0.21)
		exit !(k >= m * 0.3 - d && k <= m * 0.3 + d) }'
}

t_inject_one_frame_chain() {
	$KI -q -c 'cd /tmp/kctest; { true > kcimpo1; } 2>/dev/null || echo kcimpo=failed;
		true > other && echo other=created' \
		--inject "kmalloc 'd_alloc_parallel($IMP_DALLOC)(STRNCMP(name->name, \"kcimpo\", 6))'" \
		>/tmp/kctest/imp 2>&1
	st=$?
	cat /tmp/kctest/imp
	[ $st -eq 0 ] && grep -q '^kcimpo=failed$' /tmp/kctest/imp &&
	grep -q '^other=created$' /tmp/kctest/imp && [ ! -e /tmp/kctest/kcimpo1 ]
}

t_inject_site_named_once() {
	# The fault site named in the chain: one probe on should_failslab, not two.
	$KI -q -c 'grep -c should_failslab /sys/kernel/debug/kprobes/list >/tmp/kctest/nprobes;
		cd /tmp/kctest; { true > kcimps1; } 2>/dev/null || echo kcimps=failed' \
		--inject "kmalloc 'should_failslab(struct kmem_cache *s, gfp_t gfpflags)(STRCMP(s->name, \"dentry\")) => d_alloc_parallel($IMP_DALLOC)(STRNCMP(name->name, \"kcimps\", 6))'" \
		>/tmp/kctest/imp 2>&1
	st=$?
	cat /tmp/kctest/imp
	echo "probes on should_failslab while armed: $(cat /tmp/kctest/nprobes)"
	[ $st -eq 0 ] && grep -q '^kcimps=failed$' /tmp/kctest/imp &&
	[ "$(cat /tmp/kctest/nprobes)" = 1 ]
}

case_run import-times t_import_times
case_run import-probability-zero t_import_probability_zero
case_run import-last-predicate t_import_last_predicate
case_run inject-probability-one-frame t_inject_probability_one_frame
case_run inject-one-frame-chain t_inject_one_frame_chain
case_run inject-site-named-once t_inject_site_named_once
