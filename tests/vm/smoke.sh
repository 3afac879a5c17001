#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Smoke test of the guest runner, src/vm/run-guest.sh: the command's output and exit
# status come back unchanged, the guest kernel offers the injection points kchaos-lua
# uses, and a file that is no kernel image is refused. Boots the guest twice.

root=$(cd "$(dirname "$0")/../.." && pwd)
run=$root/src/vm/run-guest.sh
passed=0
failed=0

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $1"; failed=$((failed + 1)); }

# check_eq NAME EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		printf '#   expected: %s\n#   got:      %s\n' "$2" "$3"
	fi
}

# check_line NAME FILE LINE: FILE holds LINE, whole.
check_line() {
	if grep -qxF -- "$3" "$2"; then
		ok "$1"
	else
		not_ok "$1"
		printf '#   no line "%s"\n' "$3"
	fi
}

test_output_and_status() {
	"$run" -- sh -c 'echo hello; exit 7' >"$tmp/out" 2>"$tmp/err"
	check_eq "the command's exit status comes back" 7 "$?"
	printf 'hello\n' >"$tmp/want"
	if cmp -s "$tmp/want" "$tmp/out"; then
		ok "the command's output comes back exactly, without boot messages"
	else
		not_ok "the command's output comes back exactly, without boot messages"
		od -c "$tmp/out" | sed 's/^/#   got: /'
		sed 's/^/#   stderr: /' "$tmp/err"
	fi
}

test_guest_facts() {
	list=/sys/kernel/debug/error_injection/list

	KCHAOS_SMOKE="a 'b'" "$run" -- sh -c '
		pwd
		echo "env $KCHAOS_SMOKE"
		read -r line; echo "stdin status $?"
		cut -f1 '"$list"' | grep -x -e should_failslab -e should_fail_alloc_page \
			-e should_fail_bio' >"$tmp/facts" 2>&1
	status=$?
	check_eq "a guest that prints facts ends with status 0" 0 "$status"
	[ "$status" -eq 0 ] || sed 's/^/#   output: /' "$tmp/facts"
	check_line "the command runs in the current directory" "$tmp/facts" "$root"
	check_line "KCHAOS_* variables reach the command" "$tmp/facts" "env a 'b'"
	check_line "the command's stdin is empty" "$tmp/facts" "stdin status 1"
	for fn in should_failslab should_fail_alloc_page should_fail_bio; do
		check_line "$fn is open to error injection" "$tmp/facts" "$fn"
	done
}

test_bogus_kernel() {
	head -c 4096 /dev/zero >"$tmp/bogus"
	"$run" --kernel "$tmp/bogus" -- true >"$tmp/out" 2>"$tmp/err"
	check_eq "a bogus --kernel file fails with status 2" 2 "$?"
	check_eq "a bogus --kernel file gets one error line" 1 "$(wc -l <"$tmp/err")"
	check_eq "the error line says the file is not a kernel image" \
		"kchaos-lua: error: $tmp/bogus is not a kernel image (bzImage)" \
		"$(sed -n '1s/; fix: .*//p' "$tmp/err")"
}

cd "$root" || exit 1
test_output_and_status
test_guest_facts
test_bogus_kernel
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
