#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Host tests of the importers, as a user meets them on the command line: KernelChaos
# manifests and inject.py command lines in dry runs, their errors, and their BPF C compiled
# against the guest kernel's headers. Ends with "import: N passed, N failed".
cd "$(dirname "$0")/../.." || exit 2
K=./kchaos-lua
pass=0
fail=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
DALLOC='struct dentry *parent, const struct qstr *name'

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

# count_of TEXT CMD...: how many lines of CMD's output contain TEXT.
count_of() {
	text=$1
	shift
	"$@" 2>/dev/null | grep -cF -- "$text"
}

expect "an unscoped manifest is refused, naming the options" 1 \
	"tests/import/bananas.yaml:13: KernelChaos 'bananas' selects pods (spec.selector), which cannot be resolved without a cluster; give -p PID, -c CMD or --cgroup PATH to scope it, or --system to apply it to every process" \
	$K -d --kernelchaos tests/import/bananas.yaml
expect "an unscoped inject.py spec is refused" 1 \
	"--inject: an inject.py spec applies to every process; give -p PID" \
	$K -d --inject "kmalloc 'd_alloc_parallel()'"
expect "--dry-run shows the imported rule in Lua form" 0 \
	'//         { func = "d_alloc_parallel", params = "struct dentry *parent, const struct qstr *name", predicate = "STRNCMP(name->name, \"bananas\", 8)" },' \
	$K -d -c true --kernelchaos tests/import/bananas.yaml
expect "--dry-run shows the scope the command line gives" 0 \
	"// with the command line's scope: tree = <the process tree of -c's command>, cgroup = \"/sys/fs/cgroup/test\"" \
	$K -d -c true --cgroup /sys/fs/cgroup/test --kernelchaos tests/import/mount.yaml
expect "--dry-run shows the BPF C after the Lua form" 0 "int kc_r0_site(struct pt_regs *ctx" \
	$K -d --system --kernelchaos tests/import/bananas.yaml
expect "--cgroup scopes an imported rule" 0 "kchaos.rule{" \
	$K -d --cgroup /sys/fs/cgroup/test --kernelchaos tests/import/two-faults.yaml
expect "--system lets an inject.py spec run unscoped" 0 '// --inject: inject.py spec, as a rule:' \
	$K -d --system --inject "bio -P 0.5 -c 2 '(bio_op(bio) == REQ_OP_WRITE)'"
expect "a Schedule is run once, and says so" 0 \
	"tests/import/schedule.yaml:7: Schedule 'page-faults-every-5m': the KernelChaos it wraps runs once, now; its schedule \"@every 5m\" is not followed" \
	$K -d --system --kernelchaos tests/import/schedule.yaml
expect "a missing manifest is named" 1 \
	"--kernelchaos: cannot open no-such.yaml: No such file or directory" \
	$K -d --system --kernelchaos no-such.yaml
printf 'kind: KernelChaos\nspec:\n  failKernRequest:\n    failtype: 0\n   times: 3\n' >/tmp/kc_bad.yaml
expect "malformed YAML names line and column" 1 \
	"/tmp/kc_bad.yaml:5:4: malformed YAML: did not find expected key" \
	$K -d --system --kernelchaos /tmp/kc_bad.yaml
printf 'kind: KernelChaos\nspec:\n  failKernRequest:\n    failtype: 5\n' >/tmp/kc_bad.yaml
expect "a wrong failtype names the field and line" 1 \
	"/tmp/kc_bad.yaml:4: spec.failKernRequest.failtype must be 0 (slab), 1 (page) or 2 (bio), not 5" \
	$K -d --system --kernelchaos /tmp/kc_bad.yaml
expect "an unbalanced spec names the column" 1 \
	"--inject: column 26: the spec is unbalanced: this '(' is never closed" \
	$K -d --system --inject "kmalloc 'd_alloc_parallel(struct dentry *parent'"
expect "a frame with an invalid identifier names the column" 1 \
	"--inject: column 10: frame 1: \"1st_frame\" is not a function name (a C identifier)" \
	$K -d --system --inject "kmalloc '1st_frame()'"
expect "kchaos.kernelchaos takes YAML text in a script" 0 "// (command line):1: manifest:4" \
	$K -d -e 'kchaos.kernelchaos("kind: KernelChaos\nspec:\n  selector: {}\n  failKernRequest: {failtype: 2}\n", { tree = 1 })'
expect "kchaos.inject returns a rule in a script" 0 "slab 1" \
	$K -d -e 'local r = kchaos.inject("kmalloc -c 1 \"f()\"", { system = true }); print(r.site.kind .. " " .. r.times)'
expect "the example scenario imports a manifest and a command line" 0 \
	"// scenarios/kernelchaos.lua:7: inject: inject.py spec, as a rule:" \
	$K -d -c true scenarios/kernelchaos.lua
expect "kchaos.inject names the script line" 1 \
	"(command line):1: inject: column 1: mode 'slab' is unknown" \
	$K -d -e 'kchaos.inject("slab \"f()\"", { system = true })'

# Naming the fault site in the chain probes it once, with its predicate.
n=$(count_of 'should_failslab' $K -d --system --inject \
	"kmalloc 'should_failslab(struct kmem_cache *s, gfp_t gfpflags)(s->size == 64) => d_alloc_parallel($DALLOC)'")
if [ "$n" -ge 1 ] && [ "$(count_of 'int kc_r0_site(' $K -d --system --inject \
	"kmalloc 'should_failslab(struct kmem_cache *s, gfp_t gfpflags)(s->size == 64) => d_alloc_parallel($DALLOC)'")" = 1 ]; then
	ok "the fault site named in the chain gets one program"
else
	echo "site programs: $n" >"$out"
	not_ok "the fault site named in the chain gets one program"
fi

# The imported rules' BPF C compiles against the guest kernel's headers.
kdir=$(src/vm/build-kernel.sh 2>/dev/null)
if [ -z "$kdir" ]; then
	echo "cannot build the guest kernel" >"$out"
	not_ok "guest kernel headers for compile checks"
else
	KCHAOS_KERNEL_HEADERS=$(dirname "$kdir")/headers
	export KCHAOS_KERNEL_HEADERS
	for f in bananas two-faults schedule workflow vm-times vm-last-predicate; do
		expect "$f.yaml compiles against the guest headers" 0 "BPF C compiles" \
			$K -d --check --system --kernelchaos "tests/import/$f.yaml"
	done
	expect "an inject.py spec compiles against the guest headers" 0 "BPF C compiles" \
		$K -d --check --system --inject \
		"kmalloc -P 0.5 'should_failslab(struct kmem_cache *s, gfp_t gfpflags)(STRCMP(s->name, dentry)) => d_alloc_parallel($DALLOC)(STRCMP(name->name, 'bananas')) => do_sys_openat2()'"
fi

echo "import: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
