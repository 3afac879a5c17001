#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The bad-input corpus. Each tests/bad/NAME.lua is a script, run as `kchaos-lua [ARGS]
# NAME.lua` with the ARGS of its "-- args:" line, that must be refused: its output (stdout
# and stderr) is exactly NAME.expected, its exit status is 1 (or that of its "-- status:"
# line), never a signal or a sanitizer's, and no kprobe is left. Cases marked "-- needs:
# kernel" need the kernel's error-injection list and run where it is readable (the guest,
# through tests/vm/suite.d/bad.sh). Ends with "bad: N passed, N failed".
cd "$(dirname "$0")/../.." || exit 2
K=${KCHAOS_BIN:-./kchaos-lua}
list=/sys/kernel/debug/error_injection/list
kprobes=/sys/kernel/debug/kprobes/list
pass=0
fail=0
skipped=0
out=$(mktemp)
before=$(mktemp)
trap 'rm -f "$out" "$before"' EXIT

for f in tests/bad/*.lua; do
	name=$(basename "$f" .lua)
	if grep -q '^-- needs: kernel$' "$f" && [ ! -r "$list" ]; then
		skipped=$((skipped + 1))
		continue
	fi
	args=$(sed -n 's/^-- args: //p' "$f")
	want=$(sed -n 's/^-- status: //p' "$f")
	want=${want:-1}

	cat "$kprobes" >"$before" 2>/dev/null
	# shellcheck disable=SC2086 # ARGS are several words
	timeout 120 "$K" $args "$f" </dev/null >"$out" 2>&1
	st=$?
	why=""
	if [ ! -e "tests/bad/$name.expected" ]; then
		why="tests/bad/$name.expected is missing"
	elif [ "$st" -ne "$want" ]; then
		why="exit status $st, wanted $want"
		[ "$st" -gt 128 ] && why="$why (killed by signal $((st - 128)))"
		[ "$st" -eq 124 ] && why="$why (did not end within 120 s)"
	elif ! cmp -s "tests/bad/$name.expected" "$out"; then
		why="output differs from tests/bad/$name.expected"
	elif [ -r "$kprobes" ] && ! cat "$kprobes" | cmp -s - "$before"; then
		why="kprobes were added or removed"
	fi

	if [ -z "$why" ]; then
		pass=$((pass + 1))
		echo "ok - $name"
	else
		fail=$((fail + 1))
		echo "not ok - $name: $why"
		if [ -e "tests/bad/$name.expected" ]; then
			diff "tests/bad/$name.expected" "$out" | sed 's/^/#   /'
		else
			sed 's/^/#   /' "$out"
		fi
	fi
done

[ "$skipped" -gt 0 ] && echo "# $skipped cases need the kernel's error-injection list (run in the guest)"
echo "bad: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
