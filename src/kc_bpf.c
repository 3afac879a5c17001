// SPDX-License-Identifier: GPL-2.0-only
/*
 * kc_bpf: compiles generated BPF C with libbcc, loads its programs, attaches them through
 * perf events bound to file descriptors (so any exit, even SIGKILL, detaches them), and
 * gives Lua access to the set's maps and ring buffer. Relies on libbcc and libbpf.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <linux/perf_event.h>
#include <linux/types.h>

#include <bcc/bcc_common.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <lauxlib.h>

#include "kchaos.h"
#include "kc_bpf.h"
#include "kc_loop.h"
#include "kc_log.h"

#define PROGSET_MT "kchaos.progset"
#define MAX_SETS 256
#define LOG_SIZE (1u << 20)

struct kc_progset {
	void *mod;
	int *fds;		/* program fds and perf event fds, closed in reverse order */
	int nfds;
	int capfds;
	struct ring_buffer *rb;
	int slot;		/* index in open_sets, -1 once closed */
};

static struct kc_progset *open_sets[MAX_SETS];
static int compile_count;

int kc_bpf_compile_count(void)
{
	return compile_count;
}

int kc_bpf_ring_count(void)
{
	return MAX_SETS;
}

struct ring_buffer *kc_bpf_ring_at(int i)
{
	return open_sets[i] ? open_sets[i]->rb : NULL;
}

static int progset_keep_fd(struct kc_progset *ps, int fd)
{
	int *fds;

	if (ps->nfds == ps->capfds) {
		int cap = ps->capfds ? ps->capfds * 2 : 16;

		fds = realloc(ps->fds, cap * sizeof(*fds));
		if (!fds)
			return -ENOMEM;
		ps->fds = fds;
		ps->capfds = cap;
	}
	ps->fds[ps->nfds++] = fd;
	return 0;
}

static void progset_close(struct kc_progset *ps)
{
	if (ps->slot < 0)
		return;

	/* Perf events first (detach), then programs, then the module and its maps. */
	while (ps->nfds > 0)
		close(ps->fds[--ps->nfds]);
	free(ps->fds);
	ps->fds = NULL;
	if (ps->rb) {
		ring_buffer__free(ps->rb);
		ps->rb = NULL;
	}
	if (ps->mod) {
		bpf_module_destroy(ps->mod);
		ps->mod = NULL;
	}
	open_sets[ps->slot] = NULL;
	ps->slot = -1;
}

void kc_bpf_close_all(void)
{
	for (int i = 0; i < MAX_SETS; i++)
		if (open_sets[i])
			progset_close(open_sets[i]);
}

static struct kc_progset *check_progset(lua_State *L)
{
	struct kc_progset *ps = luaL_checkudata(L, 1, PROGSET_MT);

	if (ps->slot < 0)
		luaL_error(L, "attempt to use a closed program set");
	return ps;
}

/*
 * libbcc prints clang's diagnostics on stderr; capture them so Lua can point each one
 * at the rule and frame it came from.
 */
static int stderr_capture_begin(int *saved)
{
	FILE *tmp = tmpfile();
	int fd;

	if (!tmp)
		return -1;
	fd = dup(fileno(tmp));
	fclose(tmp);
	fflush(stderr);
	*saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	return fd;
}

static void stderr_capture_end(lua_State *L, int fd, int saved)
{
	luaL_Buffer b;
	char buf[4096];
	ssize_t n;

	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	lseek(fd, 0, SEEK_SET);
	luaL_buffinit(L, &b);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		luaL_addlstring(&b, buf, n);
	close(fd);
	luaL_pushresult(&b);
}

/*
 * The lease keeper: while libbcc compiles a new set (seconds, with the event loop held up),
 * a thread renews the lease of the sets already open, so their rules go on injecting. It
 * is a thread of this process, so a stopped or frozen process still lets the lease lapse.
 */
struct lease_keeper {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int done;
	unsigned long long lease_ns;
	int fds[MAX_SETS];	/* kc_global maps of the open sets, read before the thread starts */
	int nfds;
};

static unsigned long long monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static void keeper_renew(struct lease_keeper *k)
{
	struct kc_global g;
	__u32 key = 0;

	for (int i = 0; i < k->nfds; i++) {
		if (bpf_map_lookup_elem(k->fds[i], &key, &g) < 0)
			continue;
		g.lease = monotonic_ns() + k->lease_ns;
		bpf_map_update_elem(k->fds[i], &key, &g, BPF_ANY);
	}
}

static void *keeper_main(void *arg)
{
	struct lease_keeper *k = arg;
	unsigned long long period = k->lease_ns / 4;
	struct timespec until;

	pthread_mutex_lock(&k->lock);
	while (!k->done) {
		keeper_renew(k);
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += (time_t)(period / 1000000000ull);
		until.tv_nsec += (long)(period % 1000000000ull);
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!k->done && pthread_cond_timedwait(&k->wake, &k->lock, &until) == 0)
			;
	}
	pthread_mutex_unlock(&k->lock);
	return NULL;
}

/* Starts the keeper for the open sets; 0, or -errno (the compile then goes on without). */
static int keeper_start(struct lease_keeper *k, unsigned long long lease_ns)
{
	pthread_condattr_t attr;
	sigset_t all, old;
	int err;

	memset(k, 0, sizeof(*k));
	k->lease_ns = lease_ns;
	for (int i = 0; i < MAX_SETS; i++) {
		int fd = open_sets[i] ? bpf_table_fd(open_sets[i]->mod, "kc_global") : -1;

		if (fd >= 0)
			k->fds[k->nfds++] = fd;
	}
	if (!k->nfds || !lease_ns)
		return -ENOENT;
	pthread_mutex_init(&k->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&k->wake, &attr);
	pthread_condattr_destroy(&attr);
	/* Signals stay with the main thread, which turns them into Lua errors. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&k->thread, NULL, keeper_main, k);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		kc_warn("cannot start the lease keeper: %s; armed rules pause while rules compile",
			strerror(err));
		goto err_destroy;
	}
	return 0;

err_destroy:
	pthread_cond_destroy(&k->wake);
	pthread_mutex_destroy(&k->lock);
	return -err;
}

static void keeper_stop(struct lease_keeper *k)
{
	pthread_mutex_lock(&k->lock);
	k->done = 1;
	pthread_cond_signal(&k->wake);
	pthread_mutex_unlock(&k->lock);
	pthread_join(k->thread, NULL);
	pthread_cond_destroy(&k->wake);
	pthread_mutex_destroy(&k->lock);
}

/*
 * core.compile(text, {cflags...} [, lease_ns]) -> progset | nil, diagnostics
 * With lease_ns, the sets already open keep a lease of that length while it compiles.
 */
static int l_compile(lua_State *L)
{
	const char *text = luaL_checkstring(L, 1);
	lua_Number lease_ns = luaL_optnumber(L, 3, 0);
	const char *cflags[64];
	int ncflags = 0, slot, fd, saved = -1, keeping;
	struct lease_keeper keeper;
	struct kc_progset *ps;
	void *mod;

	if (lua_istable(L, 2)) {
		int n = (int)lua_objlen(L, 2);

		for (int i = 1; i <= n && ncflags < 63; i++) {
			lua_rawgeti(L, 2, i);
			cflags[ncflags++] = luaL_checkstring(L, -1);
			lua_pop(L, 1);	/* still referenced by the table */
		}
	}
	for (slot = 0; slot < MAX_SETS && open_sets[slot]; slot++)
		;
	if (slot == MAX_SETS)
		return luaL_error(L, "too many program sets open (limit %d)", MAX_SETS);

	keeping = lease_ns > 0 && keeper_start(&keeper, (unsigned long long)lease_ns) == 0;
	fd = stderr_capture_begin(&saved);
	mod = bpf_module_create_c_from_string(text, 0, cflags, ncflags, true, NULL);
	if (keeping)
		keeper_stop(&keeper);
	if (fd >= 0)
		stderr_capture_end(L, fd, saved);
	else
		lua_pushliteral(L, "");
	if (!mod) {
		lua_pushnil(L);
		lua_insert(L, -2);
		return 2;
	}
	lua_pop(L, 1);
	compile_count++;

	ps = lua_newuserdata(L, sizeof(*ps));
	memset(ps, 0, sizeof(*ps));
	ps->mod = mod;
	ps->slot = slot;
	open_sets[slot] = ps;
	luaL_getmetatable(L, PROGSET_MT);
	lua_setmetatable(L, -2);
	return 1;
}

/* ps:load(func_name, "kprobe" | "tracepoint") -> prog_fd | nil, message, verifier log */
static int l_load(lua_State *L)
{
	static const char *const kinds[] = { "kprobe", "tracepoint", NULL };
	static const enum bpf_prog_type types[] = {
		BPF_PROG_TYPE_KPROBE, BPF_PROG_TYPE_TRACEPOINT,
	};
	struct kc_progset *ps = check_progset(L);
	const char *name = luaL_checkstring(L, 2);
	int kind = luaL_checkoption(L, 3, "kprobe", kinds);
	LIBBPF_OPTS(bpf_prog_load_opts, opts);
	const struct bpf_insn *insns;
	size_t size;
	char *log;
	int fd, err;

	insns = bpf_function_start(ps->mod, name);
	size = bpf_function_size(ps->mod, name);
	if (!insns)
		return luaL_error(L, "no function '%s' in the program set", name);

	log = calloc(1, LOG_SIZE);
	if (!log)
		return luaL_error(L, "out of memory");
	opts.kern_version = bpf_module_kern_version(ps->mod);
	opts.log_buf = log;
	opts.log_size = LOG_SIZE;
	opts.log_level = 0;
	fd = bpf_prog_load(types[kind], name, bpf_module_license(ps->mod), insns,
			   size / sizeof(struct bpf_insn), &opts);
	if (fd < 0 && !log[0]) {
		/* Load once more with the log on, for the verifier's reasons. */
		opts.log_level = 1;
		fd = bpf_prog_load(types[kind], name, bpf_module_license(ps->mod), insns,
				   size / sizeof(struct bpf_insn), &opts);
	}
	err = -errno;
	if (fd < 0) {
		lua_pushnil(L);
		lua_pushstring(L, kc_strerror(err));
		lua_pushstring(L, log);
		free(log);
		return 3;
	}
	free(log);
	if (progset_keep_fd(ps, fd)) {
		close(fd);
		return luaL_error(L, "out of memory");
	}
	lua_pushinteger(L, fd);
	return 1;
}

static int read_sysfs_int(const char *path, const char *fmt)
{
	FILE *f = fopen(path, "r");
	int v = -1;

	if (!f)
		return -errno;
	if (fscanf(f, fmt, &v) != 1)
		v = -EINVAL;
	fclose(f);
	return v;
}

static int perf_open_attach(lua_State *L, struct kc_progset *ps, struct perf_event_attr *attr,
			    int prog_fd, const char *what)
{
	int fd, err;

	fd = syscall(__NR_perf_event_open, attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto err_out;
	}
	if (ioctl(fd, PERF_EVENT_IOC_SET_BPF, prog_fd) < 0 ||
	    ioctl(fd, PERF_EVENT_IOC_ENABLE, 0) < 0) {
		err = -errno;
		close(fd);
		goto err_out;
	}
	if (progset_keep_fd(ps, fd)) {
		close(fd);
		return luaL_error(L, "out of memory");
	}
	lua_pushboolean(L, 1);
	return 1;

err_out:
	lua_pushnil(L);
	lua_pushfstring(L, "attaching %s failed: %s", what, kc_strerror(err));
	return 2;
}

/* ps:attach_kprobe(prog_fd, kernel_func, is_return) -> true | nil, message */
static int l_attach_kprobe(lua_State *L)
{
	struct kc_progset *ps = check_progset(L);
	int prog_fd = (int)luaL_checkinteger(L, 2);
	const char *func = luaL_checkstring(L, 3);
	int ret = lua_toboolean(L, 4);
	struct perf_event_attr attr;
	char what[200];
	int type, bit = 0;

	type = read_sysfs_int("/sys/bus/event_source/devices/kprobe/type", "%d");
	if (type < 0) {
		lua_pushnil(L);
		lua_pushstring(L, "this kernel has no kprobe perf events (CONFIG_KPROBE_EVENTS)");
		return 2;
	}
	if (ret) {
		bit = read_sysfs_int("/sys/bus/event_source/devices/kprobe/format/retprobe",
				     "config:%d");
		if (bit < 0)
			bit = 0;
	}
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = type;
	attr.config = ret ? 1ULL << bit : 0;
	attr.config1 = (unsigned long)func;
	attr.config2 = 0;
	attr.sample_period = 1;
	attr.wakeup_events = 1;
	snprintf(what, sizeof(what), "%s to '%s'", ret ? "kretprobe" : "kprobe", func);
	return perf_open_attach(L, ps, &attr, prog_fd, what);
}

/* ps:attach_tracepoint(prog_fd, "sched", "sched_process_fork") -> true | nil, message */
static int l_attach_tracepoint(lua_State *L)
{
	struct kc_progset *ps = check_progset(L);
	int prog_fd = (int)luaL_checkinteger(L, 2);
	const char *cat = luaL_checkstring(L, 3);
	const char *name = luaL_checkstring(L, 4);
	static const char *const roots[] = {
		"/sys/kernel/tracing/events", "/sys/kernel/debug/tracing/events",
	};
	struct perf_event_attr attr;
	char path[256], what[200];
	int id = -1;

	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]) && id < 0; i++) {
		snprintf(path, sizeof(path), "%s/%s/%s/id", roots[i], cat, name);
		id = read_sysfs_int(path, "%d");
	}
	if (id < 0) {
		lua_pushnil(L);
		lua_pushfstring(L, "tracepoint %s:%s not found (is tracefs mounted?)", cat, name);
		return 2;
	}
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_TRACEPOINT;
	attr.config = id;
	attr.sample_period = 1;
	attr.wakeup_events = 1;
	snprintf(what, sizeof(what), "tracepoint %s:%s", cat, name);
	return perf_open_attach(L, ps, &attr, prog_fd, what);
}

static int map_fd(lua_State *L, struct kc_progset *ps, int arg)
{
	const char *name = luaL_checkstring(L, arg);
	int fd = bpf_table_fd(ps->mod, name);

	if (fd < 0)
		luaL_error(L, "no map '%s' in the program set", name);
	return fd;
}

/* ps:update(map, key_bytes, value_bytes) -> true | nil, message */
static int l_update(lua_State *L)
{
	struct kc_progset *ps = check_progset(L);
	int fd = map_fd(L, ps, 2);
	const char *key = luaL_checkstring(L, 3);
	const char *val = luaL_checkstring(L, 4);

	if (bpf_map_update_elem(fd, key, val, BPF_ANY) < 0) {
		lua_pushnil(L);
		lua_pushstring(L, kc_strerror(-errno));
		return 2;
	}
	lua_pushboolean(L, 1);
	return 1;
}

/* ps:lookup(map, key_bytes) -> value_bytes | nil */
static int l_lookup(lua_State *L)
{
	struct kc_progset *ps = check_progset(L);
	const char *mapname = luaL_checkstring(L, 2);
	int fd = map_fd(L, ps, 2);
	const char *key = luaL_checkstring(L, 3);
	size_t size = bpf_table_leaf_size(ps->mod, mapname);
	char buf[1024];

	if (size > sizeof(buf))
		return luaL_error(L, "map '%s' has values too large to read", mapname);
	if (bpf_map_lookup_elem(fd, key, buf) < 0)
		return 0;
	lua_pushlstring(L, buf, size);
	return 1;
}

/* ps:delete(map, key_bytes) */
static int l_delete(lua_State *L)
{
	struct kc_progset *ps = check_progset(L);
	int fd = map_fd(L, ps, 2);
	const char *key = luaL_checkstring(L, 3);

	lua_pushboolean(L, bpf_map_delete_elem(fd, key) == 0);
	return 1;
}

/* ps:stack(map, stack_id) -> { "ffffffff81234567", ... } */
static int l_stack(lua_State *L)
{
	struct kc_progset *ps = check_progset(L);
	int fd = map_fd(L, ps, 2);
	unsigned int id = (unsigned int)luaL_checkinteger(L, 3);
	unsigned long long ips[127];

	memset(ips, 0, sizeof(ips));
	lua_newtable(L);
	if (bpf_map_lookup_elem(fd, &id, ips) < 0)
		return 1;
	/* Fixed-width hex strings: a Lua number cannot hold a kernel address exactly. */
	for (int i = 0; i < 127 && ips[i]; i++) {
		char hex[17];

		snprintf(hex, sizeof(hex), "%016llx", ips[i]);
		lua_pushstring(L, hex);
		lua_rawseti(L, -2, i + 1);
	}
	return 1;
}

/* ps:ring(map) starts consuming the set's ring buffer in the event loop. */
static int l_ring(lua_State *L)
{
	struct kc_progset *ps = check_progset(L);
	int fd = map_fd(L, ps, 2);

	if (ps->rb)
		return luaL_error(L, "the program set already has a ring buffer");
	ps->rb = ring_buffer__new(fd, kc_loop_on_event, NULL, NULL);
	if (!ps->rb) {
		lua_pushnil(L);
		lua_pushstring(L, kc_strerror(-errno));
		return 2;
	}
	lua_pushboolean(L, 1);
	return 1;
}

static int l_close(lua_State *L)
{
	struct kc_progset *ps = luaL_checkudata(L, 1, PROGSET_MT);

	progset_close(ps);
	return 0;
}

static int l_tostring(lua_State *L)
{
	struct kc_progset *ps = luaL_checkudata(L, 1, PROGSET_MT);

	if (ps->slot < 0)
		lua_pushliteral(L, "progset (closed)");
	else
		lua_pushfstring(L, "progset (%d fds)", ps->nfds);
	return 1;
}

static int l_compile_count(lua_State *L)
{
	lua_pushinteger(L, compile_count);
	return 1;
}

static const luaL_Reg progset_methods[] = {
	{ "load", l_load },
	{ "attach_kprobe", l_attach_kprobe },
	{ "attach_tracepoint", l_attach_tracepoint },
	{ "update", l_update },
	{ "lookup", l_lookup },
	{ "delete", l_delete },
	{ "stack", l_stack },
	{ "ring", l_ring },
	{ "close", l_close },
	{ NULL, NULL },
};

void kc_bpf_open(lua_State *L)
{
	luaL_newmetatable(L, PROGSET_MT);
	lua_newtable(L);
	luaL_register(L, NULL, progset_methods);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, l_close);
	lua_setfield(L, -2, "__gc");
	lua_pushcfunction(L, l_tostring);
	lua_setfield(L, -2, "__tostring");
	lua_pop(L, 1);

	lua_pushcfunction(L, l_compile);
	lua_setfield(L, -2, "compile");
	lua_pushcfunction(L, l_compile_count);
	lua_setfield(L, -2, "compile_count");
}
