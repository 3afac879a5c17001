#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Builds the importer fuzz targets (libFuzzer, with AddressSanitizer and UBSan) and runs
# each for SECONDS (default 600) in one worker at the lowest priority, starting from the
# seed corpus in tests/fuzz/corpus-<target>/. New inputs and any crash go to build/fuzz/.
# Needs clang and its runtime: apt-get install clang libclang-rt-14-dev.
# Usage: tests/fuzz/fuzz.sh [SECONDS [kernelchaos|inject ...]], or make fuzz FUZZ_SECONDS=N.
# (Not named run.sh: tests/run-all.sh runs every tests/*/run.sh as a test suite.)
set -eu
cd "$(dirname "$0")/../.."
secs=${1:-600}
[ $# -gt 0 ] && shift
targets=${*:-kernelchaos inject}
out=build/fuzz
CC=${FUZZ_CC:-clang}

command -v "$CC" >/dev/null 2>&1 ||
	{ echo "fuzz: $CC is missing; fix: apt-get install clang libclang-rt-14-dev" >&2; exit 2; }
mkdir -p "$out"
flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-Iinclude $(pkg-config --cflags luajit yaml-0.1) -DKC_FUZZ_ROOT=\"$PWD\""
libs="$(pkg-config --libs luajit yaml-0.1)"

status=0
for t in $targets; do
	bin=$out/fuzz-$t
	echo "fuzz: building $bin"
	# shellcheck disable=SC2086
	$CC $flags -DKC_FUZZ_TARGET="\"$t\"" -o "$bin" tests/fuzz/fuzz_import.c src/kc_yaml.c $libs
	mkdir -p "$out/corpus-$t"
	echo "fuzz: running $t for $secs s (log: $out/$t.log)"
	start=$(date +%s)
	set +e
	nice -n 19 "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
		-print_final_stats=1 -artifact_prefix="$out/$t-" -dict="tests/fuzz/$t.dict" \
		"$out/corpus-$t" "tests/fuzz/corpus-$t" >"$out/$t.log" 2>&1
	st=$?
	set -e
	end=$(date +%s)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t.log")
	last=$(grep -E '^#[0-9]+' "$out/$t.log" | tail -n 1)
	cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
	result="no crash, hang or leak"
	[ $st -eq 0 ] || { result="FAILED (status $st)"; status=1; }
	echo "fuzz: $t: $((end - start)) s, ${runs:-?} executions, ${cov:-?} C edges," \
		"${ft:-?} features (C and Lua lines), corpus ${corp:-?}: $result"
	[ $st -eq 0 ] || tail -n 40 "$out/$t.log"
done
exit $status
