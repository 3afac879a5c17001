#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# REPL tests on the host: statements piped in (printing, continuation, errors, commands,
# timers) and a terminal driven through tmux (editing, history, completion, Ctrl-C, and
# output printed over the prompt). Rules cannot be armed here; the guest suite arms them
# (tests/vm/suite.d/repl.sh).
cd "$(dirname "$0")/../.." || exit 2
K=$PWD/kchaos-lua
pass=0
fail=0
tmp=$(mktemp -d)
out=$tmp/out
sock=kcrepl-test-$$
trap 'tmux -L "$sock" kill-server 2>/dev/null; rm -rf "$tmp"' EXIT

tab=$(printf '\t')

ok() { pass=$((pass + 1)); echo "ok - $1"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $1"; sed 's/^/#   /' "$out"; }

# pipe STATUS INPUT ARGS...: INPUT piped into kchaos-lua ARGS exits with STATUS; what
# it printed (stdout and stderr) is in $out for the checks that follow.
pipe() {
	want=$1 input=$2
	shift 2
	printf '%s\n' "$input" | "$K" "$@" >"$out" 2>&1
	st=$?
	[ "$st" -eq "$want" ] || { echo "exit status $st, wanted $want" >>"$out"; return 1; }
}

# has TEXT...: every TEXT is a whole line of $out.
has() {
	for t in "$@"; do
		grep -qxF -- "$t" "$out" || { echo "no line \"$t\"" >>"$out"; return 1; }
	done
}

# check NAME CMD...: CMD (a pipe followed by has, or any test) decides.
check() {
	name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

t_values() {
	pipe 0 '1+1
x = { 1, 2, a = "s", b = { c = { d = { e = 1 } } } }
x
"text"
=nil
1, "two", nil' &&
	has 2 '{ 1, 2, a = "s", b = { c = { d = {...} } } }' text nil "1${tab}two${tab}nil"
}
check "expressions print their values; tables with a depth limit" t_values

t_long_table() {
	pipe 0 't = {} for i = 1, 30 do t["key" .. i] = i end
t' &&
	has '{' '  key1 = 1,' '  key9 = 9' '}'
}
check "a long table prints one key a line" t_long_table

t_continue() {
	pipe 0 'for i = 1, 2 do
  print(i * 10)
end
function f(a,
  b) return a + b end
f(2, 3)' &&
	has 10 20 5
}
check "a statement goes on over lines until it is complete" t_continue

t_errors() {
	pipe 1 'error("boom")
x = = 1
if true then
  error("deeper")
end
nosuch.field
function f()
  error("in f")
end
f()
1+2' &&
	has 'kchaos-lua: error: stdin:1: boom' \
		"kchaos-lua: error: stdin:2: unexpected symbol near '='" \
		'kchaos-lua: error: stdin:4: deeper' \
		"kchaos-lua: error: stdin:6: attempt to index global 'nosuch' (a nil value)" \
		'kchaos-lua: error: stdin:8: in f' 3
}
check "errors name their input line, the session goes on, and its status is 1" t_errors

t_errors_i() {
	pipe 1 '1+
error("x")
print("still here")' -i &&
	has "kchaos-lua: error: stdin:1: unexpected symbol near '1'" \
		'kchaos-lua: error: stdin:2: x' 'still here'
}
check "-i: errors name their input line and make the status 1" t_errors_i

t_commands() {
	pipe 1 '.help
.rules
.c 1
.nope
.5
.exit
print("after exit")' &&
	grep -q '^  \.rules ' "$out" && grep -q '^  \.c \[N\], \.bpf \[N\] ' "$out" &&
	has 'no rules yet' 'kchaos-lua: error: no rules yet' \
		"kchaos-lua: error: unknown command '.nope' (.help lists them)" 0.5 &&
	! grep -q 'after exit' "$out"
}
check "dot commands: .help, .rules, .c, unknown ones (errors: status 1), .exit" t_commands

t_dry_rules() {
	pipe 0 'r = kchaos.slab{ name = "b", callchain = { { func = "d_alloc_parallel", params = "struct dentry *parent, const struct qstr *name", predicate = [[STRNCMP(name->name, "b", 2)]] } } }
r
.rules
.c b
.bpf 1' -d &&
	has 'rule b: d_alloc_parallel > should_failslab, p=1, disarmed, matched 0, injected 0' &&
	[ "$(grep -cF 'int kc_r0_site(struct pt_regs *ctx' "$out")" -eq 2 ]
}
check "-d: rules made at the prompt print, list and show their BPF C" t_dry_rules

t_no_override() {
	kdir=$(src/vm/build-kernel.sh 2>/dev/null) || return 1
	(
		KCHAOS_KERNEL_HEADERS=$(dirname "$kdir")/headers
		export KCHAOS_KERNEL_HEADERS
		pipe 1 'r = kchaos.slab{ comm = "nothing", name = "n" }
.rules
r
r = kchaos.slab{ comm = "nothing", name = "n" }
1+1'
	) &&
	grep -q "^kchaos-lua: error: stdin:1: rule 'n': this kernel cannot inject faults: it lacks .*CONFIG_BPF_KPROBE_OVERRIDE (check with --doctor, or run with --vm)$" "$out" &&
	grep -q "^kchaos-lua: error: stdin:4: rule 'n': this kernel cannot inject faults" "$out" &&
	has 'no rules yet' nil 2
}
check "a rule this kernel cannot arm is refused, its name stays free, the session goes on" \
	t_no_override

t_script_then_prompt() {
	pipe 0 'x + 1' -e 'x = 41' -i && has 42
}
check "-i opens the prompt after -e, with its globals" t_script_then_prompt

t_stop() {
	pipe 3 'kchaos.stop(3)
print("not reached")' && ! grep -q 'not reached' "$out"
}
check "kchaos.stop(code) ends the session with that status" t_stop

t_timer() {
	(echo 'kchaos.every(0.1, function() print("tick") end)'; sleep 1; echo '.exit') |
		"$K" >"$out" 2>&1 &&
	[ "$(grep -cx tick "$out")" -ge 5 ]
}
check "timers fire while the prompt waits for input" t_timer

t_timeout() {
	(sleep 5; echo 'print("late")') | "$K" --timeout 0.3 >"$out" 2>&1 &&
	! grep -q late "$out"
}
check "--timeout ends the session" t_timeout

t_eof() {
	"$K" -i </dev/null >"$out" 2>&1 && [ ! -s "$out" ]
}
check "the end of input ends the session quietly with status 0" t_eof

t_eof_midway() {
	pipe 1 'print("first")
for i = 1, 2 do
print(i)' -i &&
	has first "kchaos-lua: error: stdin:3: 'end' expected (to close 'for' at line 2) near '<eof>'" &&
	! grep -qx 1 "$out"
}
check "input that ends in the middle of a statement is an error, status 1" t_eof_midway

t_signal() {
	(printf '%s\n' 'io.stderr:write("spinning\n") while true do end'; sleep 5) |
		"$K" >"$out" 2>&1 &
	n=0
	until grep -qx spinning "$out" || [ $n -gt 200 ]; do sleep 0.1; n=$((n + 1)); done
	pkill -INT -f "^$K\$" || return 1
	wait $!
	st=$?
	echo "exit status $st" >>"$out"
	[ "$st" -eq 130 ] && grep -qE '^kchaos-lua: error: (stdin:[0-9]+: )?interrupted' "$out"
}
check "without a terminal, Ctrl-C ends the session (status 130)" t_signal

# The terminal, through tmux: a screen of 120x30, a fresh $HOME for the history.
term() { tmux -L "$sock" "$@"; }
screen() { term capture-pane -p -S -500 -t kc; }
keys() { term send-keys -t kc "$@"; }
type_line() { term send-keys -t kc -l "$1"; term send-keys -t kc Enter; }

# wait_for REGEX: waits up to 20 s (the host may be busy) for a screen line matching REGEX.
wait_for() {
	n=0
	while ! screen | grep -qE -- "$1"; do
		n=$((n + 1))
		[ $n -gt 200 ] && { screen >"$out"; echo "never saw /$1/" >>"$out"; return 1; }
		sleep 0.1
	done
}

# The guest kernel's headers, so that rules compile here (and then fail to attach).
kdir=$(src/vm/build-kernel.sh 2>/dev/null) && headers=$(dirname "$kdir")/headers

start_term() {
	term kill-session -t kc 2>/dev/null
	# The server exits with its last session; wait for it so the new session does not
	# race a server that is shutting down ("no server running").
	n=0
	while term list-sessions >/dev/null 2>&1 && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
	term new-session -d -s kc -x 120 -y 30 \
		"cd '$PWD' && HOME='$tmp' KCHAOS_KERNEL_HEADERS='$headers' '$K'; echo \"status=\$?\"; sleep 60"
	wait_for '^> ?$'
}

# check_term NAME CMD...: as check, showing the screen when CMD fails.
check_term() {
	name=$1
	shift
	if "$@"; then ok "$name"; else screen >"$out"; not_ok "$name"; fi
}

if ! command -v tmux >/dev/null; then
	echo "tmux is missing (apt-get install tmux)" >"$out"
	not_ok "terminal tests"
else
	start_term && ok "the prompt comes up in a terminal" || not_ok "the prompt comes up"

	t_edit() {
		type_line 'x = 41' && type_line 'x + 1' && wait_for '^42$' &&
		keys -l 'print("ab")' && keys Left Left && keys -l c && keys Enter &&
		wait_for '^abc$'
	}
	check_term "lines are edited (cursor keys, insertion)" t_edit

	t_history() {
		keys Up Up && wait_for '^> x \+ 1$' && keys Enter && wait_for '^42$' &&
		[ "$(screen | grep -cx 42)" -eq 2 ]
	}
	check_term "Up recalls earlier lines" t_history

	t_complete() {
		keys -l 'kchaos.sla' && keys Tab && wait_for '^> kchaos\.slab$' &&
		keys C-u && keys -l 'kch' && keys Tab && wait_for '^> kchaos$' && keys C-u &&
		keys -l '.he' && keys Tab && wait_for '^> \.help$' && keys C-u &&
		keys -l 'c = {{ func = "d_alloc_paralle' && keys Tab &&
		wait_for '^> c = \{\{ func = "d_alloc_parallel$' && keys C-u
	}
	check_term "Tab completes fields, globals, commands and kernel functions" t_complete

	t_continue_prompt() {
		type_line 'for i = 1, 2 do' && wait_for '^>> ?$' && type_line 'print(i + 100)' &&
		type_line 'end' && wait_for '^102$'
	}
	check_term "a statement that goes on shows the second prompt" t_continue_prompt

	t_over_prompt() {
		type_line 't = kchaos.every(0.2, function() print("tick-tock") end)' &&
		keys -l 'half typed' && sleep 1 && wait_for '^tick-tock$' &&
		[ "$(screen | grep -cx tick-tock)" -ge 3 ] &&
		[ "$(screen | grep -v '^$' | tail -n 1)" = '> half typed' ] &&
		keys -l ' line' && wait_for '^> half typed line$'
	}
	check_term "timer output prints above the prompt and the line being edited" t_over_prompt

	t_ctrl_c() {
		keys C-c && wait_for '^> ?$' && type_line 't.cancel()' &&
		type_line 'print("spinning") while true do end' && wait_for '^spinning$' &&
		sleep 0.3 && keys C-c &&
		wait_for '^kchaos-lua: error: (stdin:[0-9]+: )?interrupted!?$' && type_line '6 * 7' &&
		[ "$(screen | grep -cx 42)" -eq 3 ]
	}
	check_term "Ctrl-C drops the line, or interrupts a running statement" t_ctrl_c

	t_ctrl_c_compile() {
		# Ctrl-C while the rule compiles (or, if it came too late, the failure to attach
		# on this kernel): either way no rule is left behind.
		[ -n "$headers" ] &&
		type_line 'r = kchaos.slab{ comm = "x", callchain = { { func = "d_alloc_parallel" } } }' &&
		sleep 0.3 && keys C-c &&
		wait_for '^kchaos-lua: error: .*(interrupted|cannot override)' &&
		type_line '.rules' && wait_for '^no rules yet$'
	}
	check_term "Ctrl-C while a rule compiles leaves no rule behind" t_ctrl_c_compile

	t_exit() {
		keys C-d && wait_for '^status=0$' &&
		grep -qxF 'x\040+\0401' "$tmp/.kchaos_history"
	}
	check_term "Ctrl-D leaves with status 0 and keeps the history" t_exit

	t_history_kept() {
		# Up in a new session brings back the last line of the saved history.
		last=$(tail -n 1 "$tmp/.kchaos_history" | sed 's/\\040/ /g') &&
		pat=$(printf '%s' "$last" | sed 's/[][\.*^$+?(){}|]/\\&/g') &&
		start_term && keys Up && wait_for "^> $pat\$" && keys C-u && keys -l '.exit' &&
		keys Enter && wait_for '^status=0$'
	}
	check_term "the history is there in the next session" t_history_kept

	t_long_line() {
		# A line far longer than libedit's first buffers, with a non-ASCII character,
		# recalled with Up and run again; then once more from the saved history.
		long="s = 'é$(printf '%8000s' '' | tr ' ' a)'"
		start_term && type_line "$long" && type_line 's = nil' && keys Up Up &&
		keys Enter && type_line 'print(#s)' && wait_for '^8002$' &&
		type_line '.exit' && wait_for '^status=0$' &&
		h=$tmp/.kchaos_history &&
		back=$(($(wc -l <"$h") - $(grep -n aaaa "$h" | tail -n 1 | cut -d: -f1) + 1)) &&
		start_term && for _ in $(seq "$back"); do keys Up; done && keys Enter &&
		type_line 'print(#s + 1)' && wait_for '^8003$' && type_line '.exit' &&
		wait_for '^status=0$'
	}
	check_term "a long line recalled from history runs, and the session ends with status 0" \
		t_long_line

	t_history_kept_unreadable() {
		printf 'print(1)\nprint(2)\n' >"$tmp/.kchaos_history" && start_term &&
		type_line '.exit' && wait_for '^status=0$' &&
		screen | grep -q "is not a libedit history file; it is left as it is" &&
		[ "$(cat "$tmp/.kchaos_history")" = "$(printf 'print(1)\nprint(2)')" ]
	}
	check_term "a history file libedit cannot read is left as it is" t_history_kept_unreadable
fi

echo "repl: $pass passed, $fail failed"
[ $fail -eq 0 ]
