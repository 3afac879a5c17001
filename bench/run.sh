#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The benchmarks (`make bench` runs this inside the guest): arm latency, hot-path overhead,
# event delivery, scale and memory of kchaos-lua, against Debian's inject-bpfcc and the
# bare kernel, measured in one run and printed as one table. Needs a kernel that can
# override (the guest's), ./kchaos-lua, build/bench/hot (bench/hot.c) and inject-bpfcc.
#
# Environment (run-guest.sh passes KCHAOS_* variables into the guest):
#   KCHAOS_BENCH_PASSES     passes over every configuration, in alternating order (2)
#   KCHAOS_BENCH_ROUNDS     workload runs per configuration and pass (3)
#   KCHAOS_BENCH_CALLS      stat() calls per workload run (30000)
#   KCHAOS_BENCH_SECS       seconds of event delivery (5)
#   KCHAOS_BENCH_ARM_LIMIT  seconds a tool may take to arm (600)
#   KCHAOS_BENCH_CONFIGS    the configurations to run, blank-separated (all; see below)
#   KCHAOS_BENCH_HOST_LOAD  the host's load average, printed with the results

cd "$(dirname "$0")/.." || exit 2
K=./kchaos-lua
HOT=${KCHAOS_BENCH_HOT:-build/bench/hot}
PASSES=${KCHAOS_BENCH_PASSES:-2}
ROUNDS=${KCHAOS_BENCH_ROUNDS:-3}
CALLS=${KCHAOS_BENCH_CALLS:-30000}
SECS=${KCHAOS_BENCH_SECS:-5}
ARM_LIMIT=${KCHAOS_BENCH_ARM_LIMIT:-600}
LIST=/sys/kernel/debug/kprobes/list
WORK=/tmp/kcbench
DIR=$WORK/hot

say() { printf '# %s\n' "$*"; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 2; }

# The configurations, in the order of the first pass. reject<N>: N rules whose scope
# (another process) rejects every call; site: one rule matching every call of
# should_failslab at probability 0; chain: one frame on d_alloc_parallel with a STRCMP
# predicate and a header, probability 0 (see bench/rules.lua). inject-site and
# inject-chain are the same rules for inject-bpfcc: its -c 0 keeps a chainless rule from
# injecting (its -P only acts on chains); the chain is its own documented example.
# KCHAOS_BENCH_CONFIGS, a blank-separated list, runs some of them only.
read -r -a CONFIGS <<<"${KCHAOS_BENCH_CONFIGS:-reject1 site inject-site chain inject-chain reject10 reject50}"

# The number of kprobes a configuration attaches once it is armed.
want() {
	case $1 in
	reject*) echo "${1#reject}" ;;
	chain | inject-chain) echo 3 ;;
	*) echo 1 ;;
	esac
}

# Starts configuration $1 in the background; SPID is the tool's own process.
launch() {
	local frame='d_alloc_parallel(struct dentry *parent, const struct qstr *name)'

	case $1 in
	reject*) exec "$K" -q --timeout 1h bench/rules.lua reject "${1#reject}" "$OTHER" ;;
	site | chain) exec "$K" -q --timeout 1h bench/rules.lua "$1" 1 ;;
	inject-site) exec inject-bpfcc kmalloc -c 0 '(true)' ;;
	inject-chain)
		exec inject-bpfcc kmalloc -P 0 -I linux/dcache.h \
			"$frame(STRCMP(name->name, \"bananas\"))" ;;
	esac >"$WORK/$1.out" 2>&1 &
	SPID=$!
}

setup() {
	[ -r "$LIST" ] || die "$LIST is missing: run in the guest (make bench), with debugfs mounted"
	[ -x "$K" ] || die "$K is missing; fix: make"
	[ -x "$HOT" ] || die "$HOT is missing; fix: make bench (it builds bench/hot.c)"
	command -v inject-bpfcc >/dev/null || die "inject-bpfcc is missing; fix: apt-get install bpfcc-tools"
	nprobes
	[ "$NPROBES" = 0 ] || die "kprobes are attached already: $(head -3 "$LIST")"

	mkdir -p "$DIR" || die "cannot create $DIR"
	mount -t tmpfs kcbench "$DIR" || die "cannot mount a tmpfs on $DIR"
	# A pipe nobody writes to: `read -t` on it sleeps without starting a process.
	mkfifo "$WORK/nap" || die "cannot make $WORK/nap"
	exec {NAP}<>"$WORK/nap"
	# Another process, for rules whose scope rejects every call.
	sleep 1d &
	OTHER=$!
}

nap() { read -r -t "$1" -u "$NAP"; }

nprobes() {
	local lines
	mapfile -t lines <"$LIST"
	NPROBES=${#lines[@]}
}

now_us() { echo "${EPOCHREALTIME/./}"; }

# Whether process $1 has exited (a zombie counts as exited).
gone() {
	local state
	# The third field; the second, the command name, holds no blank for these tools.
	read -r _ _ state _ 2>/dev/null <"/proc/$1/stat" || return 0
	[ "$state" = Z ]
}

# The CPU time process $1 has used (all its threads), in clock ticks.
cpu_ticks() {
	local f
	read -r -a f 2>/dev/null <"/proc/$1/stat" || { echo 0; return; }
	echo $((f[13] + f[14]))
}

# Waits until process $1 is idle, so that the work a tool does after attaching (freeing
# the compiler, starting its loop) does not count as hot-path overhead: its CPU time
# grows by at most one tick in half a second. Gives up after 60 s.
settle() {
	local a b i

	a=$(cpu_ticks "$1")
	for ((i = 0; i < 120; i++)); do
		nap 0.5
		b=$(cpu_ticks "$1")
		[ $((b - a)) -le 1 ] && return 0
		a=$b
	done
	say "warning: process $1 is still busy after 60 s"
}

# median N...: the median of numbers (each argument may hold several, blank-separated).
median() {
	echo "$*" | tr -s ' ' '\n' | sed '/^$/d' | sort -g | awk '{ v[NR] = $1 }
		END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2];
		      else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# calc EXPR: awk arithmetic, printed.
calc() { awk "BEGIN { print $1 }"; }

# Runs the workload ROUNDS times; appends each time (ns) to the array named $1.
hot_rounds() {
	local -n into=$1
	local i t

	for ((i = 0; i < ROUNDS; i++)); do
		t=$("$HOT" "$DIR" "$CALLS") || say "warning: the workload saw ENOMEM"
		into+=("$t")
	done
}

# Starts configuration $1 and times it from the start of its process until every kprobe
# it needs is listed. Sets ARM_US, or FAILED (the tool exited) or TIMEDOUT.
arm() {
	local name=$1 t0 limit n

	FAILED="" TIMEDOUT=""
	n=$(want "$name")
	t0=$(now_us)
	limit=$((t0 + ARM_LIMIT * 1000000))
	launch "$name"
	while :; do
		nprobes
		if [ "$NPROBES" -ge "$n" ]; then
			ARM_US=$(($(now_us) - t0))
			return 0
		fi
		if gone "$SPID"; then
			ARM_US=$(($(now_us) - t0))
			wait "$SPID"
			FAILED="exit $?: $(grep -v '^\s*$' "$WORK/$name.out" | tail -n 1)"
			return 1
		fi
		if [ "$(now_us)" -gt "$limit" ]; then
			TIMEDOUT=1
			stop
			return 1
		fi
		nap 0.02
	done
}

# Stops the running configuration and waits until its kprobes are gone.
stop() {
	kill -TERM "$SPID" 2>/dev/null
	wait "$SPID" 2>/dev/null
	nprobes
	while [ "$NPROBES" -gt 0 ]; do
		nap 0.05
		nprobes
	done
}

# Results, by configuration: arm times (us), hot-path ratios and peak memory (KiB) of
# every pass, as space-separated lists; why it failed to arm.
declare -A ARMS RATIOS HWM FAIL
BARE=()

# One configuration in one pass: bare runs before it, then armed runs; its ratio is
# taken against the bare runs just before and just after it (the next one's "before").
measure() {
	local name=$1 armed=()
	local -n before=$2

	if ! arm "$name"; then
		if [ -n "$TIMEDOUT" ]; then
			FAIL[$name]="not armed after ${ARM_LIMIT} s"
		else
			FAIL[$name]="fails to load after $(calc "$ARM_US / 1e6") s ($FAILED)"
		fi
		say "$name: ${FAIL[$name]}"
		return 1
	fi
	ARMS[$name]+="$ARM_US "
	settle "$SPID"
	hot_rounds armed
	HWM[$name]+="$(awk '/^VmHWM/ { print $2 }' "/proc/$SPID/status") "
	stop
	PENDING=$name
	PENDING_MED=$(median "${armed[@]}")
	say "$name: armed in $(calc "$ARM_US / 1e6") s, hot runs ${armed[*]} ns (bare before: ${before[*]})"
}

# Closes the pending configuration's ratio once the bare runs after it are known.
close_pending() {
	local -n bare_before=$1 bare_after=$2

	[ -n "$PENDING" ] || return 0
	RATIOS[$PENDING]+="$(calc "$PENDING_MED / $(median "${bare_before[@]}" "${bare_after[@]}")") "
	PENDING=""
}

# shellcheck disable=SC2034 # prev and cur are read through namerefs
hot_path_passes() {
	local pass order i name prev=() cur=()

	for ((pass = 1; pass <= PASSES; pass++)); do
		order=("${CONFIGS[@]}")
		if ((pass % 2 == 0)); then
			order=()
			for ((i = ${#CONFIGS[@]} - 1; i >= 0; i--)); do order+=("${CONFIGS[i]}"); done
		fi
		say "pass $pass of $PASSES: ${order[*]}"
		for name in "${order[@]}"; do
			cur=()
			hot_rounds cur
			BARE+=("${cur[@]}")
			close_pending prev cur
			prev=("${cur[@]}")
			measure "$name" prev
		done
	done
	cur=()
	hot_rounds cur
	BARE+=("${cur[@]}")
	close_pending prev cur
}

# Event delivery: one process failing as fast as it can for SECS seconds.
delivery() {
	say "event delivery: $SECS s"
	DELIVER=$("$K" -q --timeout 10m bench/deliver.lua "$HOT" "$DIR" "$SECS" 2>"$WORK/deliver.err" |
		grep '^deliver ')
	[ -n "$DELIVER" ] || { say "event delivery failed:"; sed 's/^/#   /' "$WORK/deliver.err"; }
	say "$DELIVER"
}

# field KEY: the value of KEY=value in the delivery line.
field() { printf '%s\n' "$DELIVER" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# Formatting: seconds from a list of microsecond times (median), a ratio (median), MiB.
secs_of() { [ -n "$1" ] && calc "sprintf(\"%.1f s\", $(median "$1") / 1e6)" || echo "-"; }
ratio_of() { [ -n "$1" ] && calc "sprintf(\"%.3f\", $(median "$1"))" || echo "-"; }
mib_of() { [ -n "$1" ] && calc "sprintf(\"%.0f MiB\", $(median "$1") / 1024)" || echo "-"; }
# met COND: "met" when the awk condition holds, "missed" otherwise.
met() { if awk "BEGIN { exit !($1) }"; then echo met; else echo missed; fi; }

# spread N...: (largest - smallest) / median, in percent.
spread() {
	echo "$*" | tr -s ' ' '\n' | sed '/^$/d' | sort -g | awk -v m="$(median "$@")" '{ v[NR] = $1 }
		END { printf "%.0f%%\n", (v[NR] - v[1]) * 100 / m }'
}

row() { printf '%-44s %-14s %-14s %-9s %s\n' "$@"; }

# value_of NAME FORMATTED: the value, or why the configuration did not arm.
value_of() { if [ -n "${FAIL[$1]}" ]; then echo "did not load"; else echo "$2"; fi; }

report_arm() {
	local s=${ARMS[site]} is=${ARMS[inject-site]} c=${ARMS[chain]} ic=${ARMS[inject-chain]}
	local r g

	r=-; g="no data"
	if [ -n "$s" ] && [ -n "$is" ]; then
		r=$(calc "sprintf(\"%.2f\", $(median "$s") / $(median "$is"))")
		g="$(met "$(median "$s") < $(median "$is")") (ours < inject)"
	elif [ -n "$s" ]; then
		g="met (inject-bpfcc did not load)"
	fi
	row "arm: one rule on should_failslab" "$(value_of site "$(secs_of "$s")")" \
		"$(value_of inject-site "$(secs_of "$is")")" "$r" "$g"

	r=-; g="no data"
	if [ -n "$c" ] && [ -n "$ic" ]; then
		r=$(calc "sprintf(\"%.2f\", $(median "$c") / $(median "$ic"))")
		g="$(met "$(median "$c") < $(median "$ic")") (ours < inject)"
	elif [ -n "$c" ]; then
		g="met (inject-bpfcc fails to load)"
	fi
	row "arm: chain d_alloc_parallel+STRCMP+header" "$(value_of chain "$(secs_of "$c")")" \
		"$(value_of inject-chain "$(secs_of "$ic")")" "$r" "$g"
}

report_hot() {
	local per_call rej site is ch r g

	per_call=$(calc "sprintf(\"%.2f us/call\", $(median "${BARE[@]}") / $CALLS / 1000)")
	row "hot: bare, nothing attached" "1 ($per_call)" "" "" "runs spread $(spread "${BARE[@]}")"
	rej=${RATIOS[reject1]}
	g="no data"
	[ -n "$rej" ] && g="$(met "$(median "$rej") <= 1.10") (<= 1.10)"
	row "hot: scope rejects (pid of another process)" "$(value_of reject1 "$(ratio_of "$rej")")" \
		"(no scopes)" "" "$g"

	site=${RATIOS[site]} is=${RATIOS[inject-site]}
	r=-; g="no data"
	if [ -n "$site" ] && [ -n "$is" ]; then
		r=$(calc "sprintf(\"%.3f\", $(median "$site") / $(median "$is"))")
		g="$(met "$(median "$site") <= $(median "$is")") (ours <= inject)"
	fi
	row "hot: every slab call matches, p=0" "$(value_of site "$(ratio_of "$site")")" \
		"$(value_of inject-site "$(ratio_of "$is")")" "$r" "$g"

	ch=${RATIOS[chain]}
	g="no data"
	[ -n "$ch" ] && [ -n "${FAIL[inject-chain]}" ] && g="met (inject-bpfcc fails to load)"
	if [ -n "$ch" ] && [ -n "${RATIOS[inject-chain]}" ]; then
		g="$(met "$(median "$ch") <= $(median "${RATIOS[inject-chain]}")") (ours <= inject)"
	fi
	row "hot: chain, predicate rejects every call" "$(value_of chain "$(ratio_of "$ch")")" \
		"$(value_of inject-chain "$(ratio_of "${RATIOS[inject-chain]}")")" "" "$g"
}

report_scale() {
	local a1=${ARMS[reject1]} a50=${ARMS[reject50]} r g n

	for n in 1 10 50; do
		row "scale: arm, $n rule(s) (scope rejects)" \
			"$(value_of reject$n "$(secs_of "${ARMS[reject$n]}")")" "" "" ""
	done
	r=-; g="no data"
	if [ -n "$a1" ] && [ -n "$a50" ]; then
		r=$(calc "sprintf(\"%.2f\", $(median "$a50") / $(median "$a1"))")
		g="$(met "$r < 3") (50 rules < 3 x 1 rule)"
	fi
	row "scale: arm time, 50 rules / 1 rule" "$r" "" "" "$g"
	for n in 1 10 50; do
		row "scale: hot, $n rule(s), ratio to bare" \
			"$(value_of reject$n "$(ratio_of "${RATIOS[reject$n]}")")" "" "" ""
	done
	row "memory: peak RSS (VmHWM), 1 rule" "$(mib_of "${HWM[reject1]}")" \
		"$(mib_of "${HWM[inject-site]}")" "" ""
	row "memory: peak RSS (VmHWM), 50 rules" "$(mib_of "${HWM[reject50]}")" "" "" ""
}

report_delivery() {
	local inj del lost ns calls g

	inj=$(field injected) del=$(field delivered) lost=$(field lost) ns=$(field ns)
	calls=$(field calls)
	if ! [[ $ns =~ ^[0-9]+$ && $calls =~ ^[0-9]+$ && $inj =~ ^[0-9]+$ ]] ||
		[ "$(field status)" != 0 ]; then
		row "events: delivery" "failed" "" "" "no data (workload: $(field status))"
		return
	fi
	row "events: calls of the workload per second" "$(calc "sprintf(\"%.0f\", $calls / ($ns / 1e9))")" \
		"" "" ""
	row "events: injected per second (kernel count)" "$(calc "sprintf(\"%.0f\", $inj / ($ns / 1e9))")" \
		"" "" ""
	row "events: delivered to on_inject per second" "$(calc "sprintf(\"%.0f\", $del / ($ns / 1e9))")" \
		"" "" ""
	g="$(met "$lost == 0 && $del == $inj") (0 lost, delivered = injected)"
	row "events: injected / delivered / lost" "$inj / $del / $lost" "" "" "$g"
}

report() {
	echo
	echo "kchaos-lua benchmarks: $(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(uname -r)," \
		"$(nproc) vCPU (QEMU TCG), host load ${KCHAOS_BENCH_HOST_LOAD:-unknown}"
	echo "$PASSES passes, $ROUNDS runs of $CALLS stat() calls per configuration and pass;" \
		"medians; ratios to the bare runs beside each"
	echo
	row "measurement" "kchaos-lua" "inject-bpfcc" "ours/inj" "goal"
	report_arm
	report_hot
	report_delivery
	report_scale
	for name in inject-site inject-chain site chain; do
		[ -n "${FAIL[$name]}" ] && echo "$name: ${FAIL[$name]}"
	done
	return 0
}

main() {
	setup
	say "guest $(uname -r), $(nproc) vCPU; $PASSES passes of ${CONFIGS[*]}"
	hot_path_passes
	delivery
	kill "$OTHER" 2>/dev/null
	report
}

main "$@"
