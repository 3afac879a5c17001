// SPDX-License-Identifier: GPL-2.0-only
/*
 * kc_loop: signals, workloads and ring buffer events for the Lua event loop.
 * Signals are turned into a byte on a self-pipe (so poll never misses one) and, while
 * Lua code runs, into a hook that raises "interrupted" the way lua.c does. Reading the
 * script, which may wait on a FIFO, is cut short by a signal too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <linux/types.h>

#include <bpf/libbpf.h>
#include <lauxlib.h>

#include "kchaos.h"
#include "kc_bpf.h"
#include "kc_log.h"
#include "kc_loop.h"

#define MAX_CHILDREN 64
#define MAX_QUEUE (1u << 20)	/* events taken from the rings in one turn */
#define DROP_IDS 1024		/* rule ids counted apart; higher ids share the last slot */

struct child {
	pid_t pid;
	int gate;		/* write end of the pipe the child waits on, -1 once released */
	int group;		/* the child leads a process group of its own */
};

/* How a child starts: where it waits, which group it joins, where its output goes. */
struct child_setup {
	int gate;		/* read end of the gate, or -1 */
	int group;		/* lead a new process group */
	int output;		/* file for stdout and stderr, or -1 */
};

static lua_State *hook_state;
static volatile sig_atomic_t got_signal;
static volatile sig_atomic_t in_poll;
static int wake_pipe[2] = { -1, -1 };
static struct child children[MAX_CHILDREN];

static struct kc_event *queue;
static size_t queue_len, queue_cap;
static unsigned long long dropped[DROP_IDS];	/* per rule id, until core.dropped() */
static int any_dropped;

/* Raises the error a signal ends Lua code with. */
static int raise_signal(lua_State *L)
{
	lua_sethook(L, NULL, 0, 0);
	/* No position: the user pressed Ctrl-C, the script did nothing wrong. */
	lua_pushstring(L, got_signal == SIGINT ? "interrupted" : strsignal(got_signal));
	return lua_error(L);
}

static void interrupt_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	raise_signal(L);
}

static void on_signal(int sig)
{
	int saved = errno;

	/* A broken pipe signals again at every write: the first one is the one that counts. */
	if (sig == SIGPIPE && got_signal)
		sig = SIGCHLD;
	if (sig != SIGCHLD) {
		/*
		 * A second signal before the first was seen: the process is held up in C (a
		 * compile takes seconds). Probes die with their file descriptors and children
		 * get SIGTERM when their parent dies, so ending at once leaves nothing behind.
		 */
		if (got_signal && !in_poll) {
			static const char msg[] = "kchaos-lua: signalled twice: exiting now, without a report\n";

			(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
			_exit(128 + sig);
		}
		got_signal = sig;
		if (!in_poll && hook_state)
			lua_sethook(hook_state, interrupt_hook,
				    LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
	}
	if (wake_pipe[1] >= 0)
		(void)!write(wake_pipe[1], "", 1);
	errno = saved;
}

/*
 * The handlers restart interrupted system calls, so that stdio and io.* never see EINTR;
 * `on` lifts that for the signals that end a run, around a call that may wait forever.
 */
static void set_interruptible(int on)
{
	const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (sigaction(sigs[i], NULL, &sa) < 0 || sa.sa_handler != on_signal)
			continue;
		if (on)
			sa.sa_flags &= ~SA_RESTART;
		else
			sa.sa_flags |= SA_RESTART;
		sigaction(sigs[i], &sa, NULL);
	}
}

int kc_loop_init(lua_State *L)
{
	struct sigaction sa;
	const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGCHLD };

	hook_state = L;
	if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return -errno;
	for (int i = 0; i < MAX_CHILDREN; i++)
		children[i].pid = 0;
	return 0;
}

int kc_loop_signal(void)
{
	return got_signal;
}

int kc_loop_on_event(void *ctx, void *data, size_t size)
{
	(void)ctx;
	if (size < sizeof(struct kc_event))
		return 0;
	if (queue_len == queue_cap) {
		size_t cap = queue_cap ? queue_cap * 2 : 256;
		struct kc_event *q;

		if (cap > MAX_QUEUE || !(q = realloc(queue, cap * sizeof(*q)))) {
			const struct kc_event *e = data;

			dropped[e->rule < DROP_IDS ? e->rule : DROP_IDS - 1]++;
			any_dropped = 1;
			return 0;
		}
		queue = q;
		queue_cap = cap;
	}
	memcpy(&queue[queue_len++], data, sizeof(struct kc_event));
	return 0;
}

static void push_event(lua_State *L, const struct kc_event *e)
{
	char comm[sizeof(e->comm) + 1];

	lua_createtable(L, 0, 10);
	lua_pushnumber(L, (lua_Number)e->time);
	lua_setfield(L, -2, "time");
	lua_pushinteger(L, e->rule);
	lua_setfield(L, -2, "rule_id");
	lua_pushinteger(L, e->pid);
	lua_setfield(L, -2, "pid");
	lua_pushinteger(L, e->tid);
	lua_setfield(L, -2, "tid");
	memcpy(comm, e->comm, sizeof(e->comm));
	comm[sizeof(e->comm)] = '\0';
	lua_pushstring(L, comm);
	lua_setfield(L, -2, "comm");
	lua_pushnumber(L, (lua_Number)e->retval);
	lua_setfield(L, -2, "retval");
	lua_pushnumber(L, (lua_Number)e->count);
	lua_setfield(L, -2, "count");
	lua_pushnumber(L, (lua_Number)e->cgroup);
	lua_setfield(L, -2, "cgroup");
	if (e->stack_id >= 0) {
		lua_pushinteger(L, e->stack_id);
		lua_setfield(L, -2, "stack_id");
	}
}

static void reap_children(lua_State *L, int exits)
{
	int status, n = 0;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (int i = 0; i < MAX_CHILDREN; i++) {
			if (children[i].pid != pid)
				continue;
			children[i].pid = 0;
			if (children[i].gate >= 0)
				close(children[i].gate);
		}
		lua_createtable(L, 0, 3);
		lua_pushinteger(L, pid);
		lua_setfield(L, -2, "pid");
		if (WIFEXITED(status)) {
			lua_pushinteger(L, WEXITSTATUS(status));
			lua_setfield(L, -2, "code");
		} else if (WIFSIGNALED(status)) {
			lua_pushinteger(L, WTERMSIG(status));
			lua_setfield(L, -2, "signal");
			lua_pushinteger(L, 128 + WTERMSIG(status));
			lua_setfield(L, -2, "code");
		}
		lua_rawseti(L, exits, ++n);
	}
}

/*
 * core.poll(timeout_ms [, watch_stdin]) -> events, exits, signal, stdin_ready
 * Waits for ring buffer data, a child's exit, a signal or (optionally) input.
 */
static int l_poll(lua_State *L)
{
	int timeout = (int)luaL_optinteger(L, 1, 0);
	int watch_stdin = lua_toboolean(L, 2);
	struct pollfd pfd[2 + 256];
	struct ring_buffer *rbs[256];
	int n = 0, nrb = 0, stdin_ready = 0, exits;
	char drain[64];

	pfd[n].fd = wake_pipe[0];
	pfd[n++].events = POLLIN;
	if (watch_stdin) {
		pfd[n].fd = STDIN_FILENO;
		pfd[n++].events = POLLIN;
	}
	for (int i = 0; i < kc_bpf_ring_count() && nrb < 256; i++) {
		struct ring_buffer *rb = kc_bpf_ring_at(i);

		if (!rb)
			continue;
		rbs[nrb++] = rb;
		pfd[n].fd = ring_buffer__epoll_fd(rb);
		pfd[n++].events = POLLIN;
	}

	if (!got_signal) {
		in_poll = 1;
		(void)poll(pfd, n, timeout);
		in_poll = 0;
	}
	while (read(wake_pipe[0], drain, sizeof(drain)) > 0)
		;
	if (watch_stdin && (pfd[1].revents & (POLLIN | POLLHUP)))
		stdin_ready = 1;

	/* Consume every ring, even ones poll did not flag: events are cheap to check. */
	queue_len = 0;
	for (int i = 0; i < nrb; i++)
		ring_buffer__consume(rbs[i]);

	lua_createtable(L, (int)queue_len, 0);
	for (size_t i = 0; i < queue_len; i++) {
		push_event(L, &queue[i]);
		lua_rawseti(L, -2, (int)i + 1);
	}
	lua_newtable(L);
	exits = lua_gettop(L);
	reap_children(L, exits);
	if (got_signal)
		lua_pushstring(L, strsignal(got_signal));
	else
		lua_pushnil(L);
	lua_pushboolean(L, stdin_ready);
	return 4;
}

static int child_slot(void)
{
	for (int i = 0; i < MAX_CHILDREN; i++)
		if (!children[i].pid)
			return i;
	return -1;
}

static void child_exec(const struct child_setup *cs, char **argv)
{
	struct sigaction sa;
	sigset_t none;
	char c;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (cs->group)
		setpgid(0, 0);
	if (cs->output >= 0 && (dup2(cs->output, STDOUT_FILENO) < 0 ||
				dup2(cs->output, STDERR_FILENO) < 0))
		_exit(127);

	/* Wait until the rules are armed (or the parent gives up and closes the gate). */
	if (cs->gate >= 0) {
		if (read(cs->gate, &c, 1) != 1)
			_exit(127);
		close(cs->gate);
	}
	execvp(argv[0], argv);
	kc_err("cannot run '%s': %s", argv[0], strerror(errno));
	_exit(127);
}

/* Reads spawn's options table at `idx`: { group = bool, capture = bool }. */
static void spawn_options(lua_State *L, int idx, int *group, int *capture)
{
	*group = *capture = 0;
	if (!lua_istable(L, idx))
		return;
	lua_getfield(L, idx, "group");
	*group = lua_toboolean(L, -1);
	lua_getfield(L, idx, "capture");
	*capture = lua_toboolean(L, -1);
	lua_pop(L, 2);
}

/*
 * core.spawn(argv_table | shell_string, gated [, options]) -> pid [, output_fd] | nil, message
 * A gated child waits before exec until core.release(pid). Options: group = true makes
 * the child lead a process group of its own; capture = true sends its stdout and stderr
 * to an anonymous file whose descriptor is returned (read it as /proc/self/fd/N).
 */
static int l_spawn(lua_State *L)
{
	int gated = lua_toboolean(L, 2);
	int slot = child_slot(), gate[2] = { -1, -1 };
	struct child_setup cs = { -1, 0, -1 };
	int capture;
	char *argv[256];
	int argc = 0;
	pid_t pid;

	if (slot < 0)
		return luaL_error(L, "too many workloads (limit %d)", MAX_CHILDREN);
	if (lua_type(L, 1) == LUA_TSTRING) {
		argv[argc++] = "/bin/sh";
		argv[argc++] = "-c";
		argv[argc++] = (char *)lua_tostring(L, 1);
	} else {
		int n;

		luaL_checktype(L, 1, LUA_TTABLE);
		n = (int)lua_objlen(L, 1);
		if (n < 1 || n > 254)
			return luaL_error(L, "a workload needs 1 to 254 words, not %d", n);
		for (int i = 1; i <= n; i++) {
			lua_rawgeti(L, 1, i);
			argv[argc++] = (char *)luaL_checkstring(L, -1);
			lua_pop(L, 1);
		}
	}
	argv[argc] = NULL;
	spawn_options(L, 3, &cs.group, &capture);

	/* The output file first: a failure here leaves nothing to undo. */
	if (capture) {
		cs.output = memfd_create("kchaos-output", MFD_CLOEXEC);
		if (cs.output < 0) {
			lua_pushnil(L);
			lua_pushfstring(L, "memfd_create: %s", strerror(errno));
			return 2;
		}
	}
	if (gated && pipe2(gate, O_CLOEXEC) < 0) {
		int err = errno;

		if (cs.output >= 0)
			close(cs.output);
		return luaL_error(L, "pipe: %s", strerror(err));
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		int err = errno;

		if (gated) {
			close(gate[0]);
			close(gate[1]);
		}
		if (cs.output >= 0)
			close(cs.output);
		lua_pushnil(L);
		lua_pushfstring(L, "fork: %s", strerror(err));
		return 2;
	}
	if (pid == 0) {
		if (gated)
			close(gate[1]);
		cs.gate = gated ? gate[0] : -1;
		child_exec(&cs, argv);
	}
	if (cs.group)
		setpgid(pid, pid);	/* also here, so a kill right after spawn finds the group */
	if (gated)
		close(gate[0]);
	children[slot].pid = pid;
	children[slot].gate = gated ? gate[1] : -1;
	children[slot].group = cs.group;
	lua_pushinteger(L, pid);
	if (cs.output < 0)
		return 1;
	lua_pushinteger(L, cs.output);
	return 2;
}

/* core.release(pid): lets a gated child exec. */
static int l_release(lua_State *L)
{
	pid_t pid = (pid_t)luaL_checkinteger(L, 1);

	for (int i = 0; i < MAX_CHILDREN; i++) {
		if (children[i].pid != pid || children[i].gate < 0)
			continue;
		(void)!write(children[i].gate, "g", 1);
		close(children[i].gate);
		children[i].gate = -1;
	}
	return 0;
}

/* core.kill(pid, signal_number) -> true | nil, message */
static int l_kill(lua_State *L)
{
	pid_t pid = (pid_t)luaL_checkinteger(L, 1);
	int sig = (int)luaL_optinteger(L, 2, SIGTERM);

	if (kill(pid, sig) < 0) {
		lua_pushnil(L);
		lua_pushstring(L, strerror(errno));
		return 2;
	}
	lua_pushboolean(L, 1);
	return 1;
}

/*
 * core.dropped() -> { [rule_id] = n, ... }: events the queue had no room for since the
 * last call (more than MAX_QUEUE in one turn), so Lua can count them as lost.
 */
static int l_dropped(lua_State *L)
{
	lua_newtable(L);
	if (!any_dropped)
		return 1;
	for (int i = 0; i < DROP_IDS; i++) {
		if (!dropped[i])
			continue;
		lua_pushnumber(L, (lua_Number)dropped[i]);
		lua_rawseti(L, -2, i);
		dropped[i] = 0;
	}
	any_dropped = 0;
	return 1;
}

/* core.signal() -> the number of the signal that ends the run, or nil */
static int l_signal(lua_State *L)
{
	if (!got_signal)
		return 0;
	lua_pushinteger(L, got_signal);
	return 1;
}

/* core.clear_interrupt() -> true when the signal that arrived was SIGINT, now forgotten. */
static int l_clear_interrupt(lua_State *L)
{
	int was = got_signal == SIGINT;

	if (was) {
		got_signal = 0;
		lua_sethook(L, NULL, 0, 0);
	}
	lua_pushboolean(L, was);
	return 1;
}

/* core.sleep(ms): waits without running the loop (a signal cuts it short). */
static int l_sleep(lua_State *L)
{
	lua_Number ms = luaL_checknumber(L, 1);
	struct timespec ts;

	if (ms <= 0)
		return 0;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)((ms - (lua_Number)ts.tv_sec * 1000) * 1e6);
	nanosleep(&ts, NULL);
	return 0;
}

/*
 * core.read_file(path [, max]) -> contents | nil, message
 * Reads a whole file, of at most `max` bytes when given (a larger one is an error, so
 * that /dev/zero cannot take all memory). A FIFO's open waits for a writer and its read
 * for data, maybe forever: a signal ends the wait and raises the error it raises while
 * Lua runs.
 */
static int l_read_file(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	size_t max = (size_t)luaL_optinteger(L, 2, 0);
	char *text = NULL, *p;
	size_t len = 0, cap = 0;
	ssize_t n = 0;
	int fd, err;

	set_interruptible(1);
	fd = got_signal ? -1 : open(path, O_RDONLY | O_CLOEXEC);
	while (fd >= 0) {
		if (max && len > max) {
			errno = EFBIG;
			n = -1;
			break;
		}
		if (len == cap) {
			cap = cap ? cap * 2 : 8192;
			if (!(p = realloc(text, cap))) {
				errno = ENOMEM;
				n = -1;
				break;
			}
			text = p;
		}
		n = read(fd, text + len, cap - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	err = errno;
	set_interruptible(0);
	if (fd >= 0)
		close(fd);

	if ((fd < 0 || n < 0) && got_signal) {
		free(text);
		return raise_signal(L);
	}
	if (fd < 0 || n < 0) {
		free(text);
		lua_pushnil(L);
		if (err == EFBIG)
			lua_pushfstring(L, "%s: it is larger than %d MiB", path, (int)(max >> 20));
		else
			lua_pushfstring(L, "%s: %s", path, strerror(err));
		return 2;
	}
	lua_pushlstring(L, text ? text : "", len);
	free(text);
	return 1;
}

/* core.close(fd): closes a descriptor core.spawn returned. */
static int l_close(lua_State *L)
{
	close((int)luaL_checkinteger(L, 1));
	return 0;
}

/* Signals a child, and its whole process group when it leads one. */
static void signal_child(const struct child *c, int sig)
{
	if (c->group && kill(-c->pid, sig) == 0)
		return;
	kill(c->pid, sig);
}

void kc_loop_kill_children(void)
{
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	int live = 0;

	for (int i = 0; i < MAX_CHILDREN; i++) {
		if (!children[i].pid)
			continue;
		if (children[i].gate >= 0) {
			close(children[i].gate);	/* a gated child exits at once */
			children[i].gate = -1;
		}
		signal_child(&children[i], SIGTERM);
		live++;
	}
	for (int round = 0; live && round < 50; round++) {
		live = 0;
		for (int i = 0; i < MAX_CHILDREN; i++) {
			if (!children[i].pid)
				continue;
			if (waitpid(children[i].pid, NULL, WNOHANG) == children[i].pid)
				children[i].pid = 0;
			else
				live++;
		}
		if (live)
			nanosleep(&pause, NULL);
	}
	for (int i = 0; i < MAX_CHILDREN; i++) {
		if (!children[i].pid)
			continue;
		signal_child(&children[i], SIGKILL);
		waitpid(children[i].pid, NULL, 0);
		children[i].pid = 0;
	}
}

static const luaL_Reg loop_funcs[] = {
	{ "poll", l_poll },
	{ "spawn", l_spawn },
	{ "release", l_release },
	{ "kill", l_kill },
	{ "sleep", l_sleep },
	{ "read_file", l_read_file },
	{ "close", l_close },
	{ "signal", l_signal },
	{ "clear_interrupt", l_clear_interrupt },
	{ "dropped", l_dropped },
	{ NULL, NULL },
};

void kc_loop_open(lua_State *L)
{
	luaL_register(L, NULL, loop_funcs);
}
