#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Runs the test suites (all by default, or those named: lua c asan vm...) and ends with one line
# summing them: "N passed, N failed". The guest suite boots the guest kernel, building it
# first when it is not cached; a guest that cannot boot counts as a failure.
cd "$(dirname "$0")/.." || exit 2
# Suites: lua, c (host), every tests/<name>/run.sh that prints "<name>: N passed, N failed",
# and vm (the guest; its cases include tests/vm/suite.d/*.sh).
extra=$(for f in tests/*/run.sh; do d=${f%/run.sh}; d=${d#tests/}; \
	case $d in c|vm|lua) ;; *) echo "$d" ;; esac; done)
suites=${*:-lua c $extra asan vm}
total_pass=0
total_fail=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

count() {
	# count PASS FAIL: adds a suite's result to the totals.
	total_pass=$((total_pass + $1))
	total_fail=$((total_fail + $2))
}

run_lua() {
	echo "== lua: busted specs (LuaJIT)"
	busted --lua=luajit --helper=tests/lua/helper.lua -o TAP tests/lua >"$log" 2>&1
	st=$?
	grep -E '^not ok' -A8 "$log"
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok' "$log")
	[ $st -ne 0 ] && [ "$f" -eq 0 ] && { cat "$log"; f=1; }
	echo "lua: $p passed, $f failed"
	count "$p" "$f"
}

run_suite() {
	# run_suite NAME CMD...: a suite that ends with "NAME: N passed, N failed".
	name=$1
	shift
	echo "== $name"
	"$@" 2>&1 | tee "$log"
	line=$(grep -E "^$name: [0-9]+ passed, [0-9]+ failed$" "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "$name: the suite did not finish (no summary line): counted as 1 failure"
		count 0 1
		return
	fi
	p=$(echo "$line" | sed 's/.*: \([0-9]*\) passed.*/\1/')
	f=$(echo "$line" | sed 's/.* \([0-9]*\) failed$/\1/')
	count "$p" "$f"
}

for s in $suites; do
	case $s in
	lua) run_lua ;;
	c) run_suite host tests/c/run.sh ;;
	asan)
		# The host and bad-input suites again, against the AddressSanitizer and UBSan
		# build (make SANITIZE=1); a sanitizer report exits 86 or 87, which no test takes.
		echo "== asan: build/asan/kchaos-lua"
		if ! make -s SANITIZE=1 build/asan/kchaos-lua; then
			echo "asan: the sanitized build failed: counted as 1 failure"
			count 0 1
			continue
		fi
		for t in c bad; do
			run_suite "$([ $t = c ] && echo host || echo bad)" env \
				ASAN_OPTIONS=detect_leaks=1:exitcode=86 \
				UBSAN_OPTIONS=halt_on_error=1:exitcode=87:print_stacktrace=1 \
				KCHAOS_BIN=build/asan/kchaos-lua KCHAOS_DATADIR="$PWD" \
				KCHAOS_MAKEFLAGS=SANITIZE=1 KCHAOS_BUILD=build/asan "tests/$t/run.sh"
		done
		;;
	vm)
		# One guest on one CPU for every area, a second on two for the areas that
		# need them (tests/vm/suite.d/smp.sh).
		run_suite guest src/vm/run-guest.sh --cpus 1 --timeout "${KCHAOS_VM_TIMEOUT:-3600}" \
			-- tests/vm/suite.sh
		run_suite guest src/vm/run-guest.sh --cpus 2 --timeout "${KCHAOS_VM_TIMEOUT:-3600}" \
			-- tests/vm/suite.sh smp
		;;
	*)
		[ -x "tests/$s/run.sh" ] || { echo "unknown suite '$s'"; exit 2; }
		run_suite "$s" "tests/$s/run.sh"
		;;
	esac
done

echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
