# SPDX-License-Identifier: GPL-2.0-only
# Guest cases for the REPL; sourced by tests/vm/suite.sh. Statements are piped in, as a
# script would drive the prompt: a rule armed from the prompt injects into a child, is
# retuned live, and nothing stays attached once the session ends.

# Whether a kprobe is attached: the list is read, as debugfs files have no size.
probes_listed() {
	grep -q . /sys/kernel/debug/kprobes/list
}

t_repl() {
	rm -f /tmp/kctest/kcrepl
	$K >/tmp/kctest/repl.out 2>&1 <<'EOF'
r = kchaos.slab{ name = "kcrepl", tree = kchaos.pid(), headers = { "linux/dcache.h" }, callchain = { { func = "d_alloc_parallel", params = "struct dentry *parent, const struct qstr *name", predicate = 'STRNCMP(name->name, "kcrepl", 6)' } } }
"first: " .. kchaos.spawn{ "/bin/sh", "-c", ": > /tmp/kctest/kcrepl" }:wait()
"injected: " .. r:stats().injected
r:set{ probability = 0 }
"second: " .. kchaos.spawn{ "/bin/sh", "-c", ": > /tmp/kctest/kcrepl" }:wait()
"still injected: " .. r:stats().injected
.rules
.c kcrepl
completion = require("kchaos.repl").complete('kchaos.func("should_fail', 13, 24)
completion
EOF
	st=$?
	cat /tmp/kctest/repl.out
	[ $st -eq 0 ] || return 1
	# The first child fails to create its file; the event names the rule and the child
	# (the child's own message may be cut by it: both write to the same file).
	grep -q '^first: [1-9]' /tmp/kctest/repl.out &&
	grep -q 'kchaos-lua: rule kcrepl: should_failslab returned ENOMEM (-12) to sh\[[0-9]*\] (injection 1)$' \
		/tmp/kctest/repl.out &&
	grep -q '^injected: [1-9]' /tmp/kctest/repl.out &&
	# Probability 0: the second child creates it, and the count stays.
	grep -q '^second: 0$' /tmp/kctest/repl.out && [ -e /tmp/kctest/kcrepl ] &&
	[ "$(sed -n 's/^injected: //p' /tmp/kctest/repl.out)" = \
		"$(sed -n 's/^still injected: //p' /tmp/kctest/repl.out)" ] &&
	grep -q '^rule kcrepl: d_alloc_parallel > should_failslab, p=0, armed, matched [1-9][0-9]*, injected [1-9]' \
		/tmp/kctest/repl.out &&
	grep -qF 'int kc_r0_site(struct pt_regs *ctx' /tmp/kctest/repl.out &&
	# Tab in kchaos.func("should_fail: the error-injection list of this kernel.
	grep -q '"should_fail_alloc_page", "should_fail_bio"' /tmp/kctest/repl.out &&
	# Leaving prints the summary, and nothing stays attached.
	grep -q '^kcrepl  *slab  *d_alloc_parallel > should_failslab  *[1-9]' /tmp/kctest/repl.out &&
	! probes_listed
}

t_repl_interrupt() {
	# Statements come through a FIFO held open here; Ctrl-C ends the session with status
	# 130 and the summary, and nothing stays attached.
	rm -f /tmp/kctest/repl.in
	mkfifo /tmp/kctest/repl.in || return 1
	$K </tmp/kctest/repl.in >/tmp/kctest/repl2.out 2>&1 &
	kc=$!
	exec 3>/tmp/kctest/repl.in
	echo 'kchaos.slab{ comm = "kc-nothing" }' >&3
	# The rule prints once it is armed (compiling can take minutes in an emulated guest).
	n=0
	until grep -q '^rule #1: ' /tmp/kctest/repl2.out || [ $n -ge 3000 ]; do
		sleep 0.2
		n=$((n + 1))
	done
	if probes_listed; then armed=1; else armed=0; fi
	kill -INT $kc
	wait $kc
	st=$?
	exec 3>&-
	cat /tmp/kctest/repl2.out
	echo "armed $armed, exit status $st"
	[ $armed -eq 1 ] && [ $st -eq 130 ] && grep -q 'matched' /tmp/kctest/repl2.out &&
	! probes_listed
}

case_run repl t_repl
case_run repl-interrupt t_repl_interrupt
