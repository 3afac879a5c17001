// SPDX-License-Identifier: GPL-2.0-only
/*
 * kchaos-lua: the host program. main() parses the command line into a Lua table, then
 * runs everything in protected mode through one call path (docall) with a traceback
 * handler and Ctrl-C handling; the Lua library in lua/kchaos/ does the rest.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <libgen.h>
#include <errno.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "kc_bpf.h"
#include "kc_log.h"
#include "kc_loop.h"
#include "kc_repl.h"
#include "kc_sys.h"
#include "kc_yaml.h"

#ifndef KC_VERSION
#define KC_VERSION "0.1.0"
#endif
#ifndef KC_DATADIR
#define KC_DATADIR "/usr/local/share/kchaos-lua"
#endif

struct cmdline {
	int argc;
	char **argv;
};

enum {
	OPT_DOCTOR = 256, OPT_VM, OPT_VM_KERNEL, OPT_VERSION, OPT_TIMEOUT, OPT_KERNELCHAOS,
	OPT_INJECT, OPT_SYSTEM, OPT_CGROUP, OPT_CHECK, OPT_LEASE,
};

static const struct option long_opts[] = {
	{ "dry-run", no_argument, NULL, 'd' },
	{ "help", no_argument, NULL, 'h' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "format", required_argument, NULL, 'f' },
	{ "output", required_argument, NULL, 'o' },
	{ "doctor", no_argument, NULL, OPT_DOCTOR },
	{ "vm", no_argument, NULL, OPT_VM },
	{ "vm-kernel", required_argument, NULL, OPT_VM_KERNEL },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "kernelchaos", required_argument, NULL, OPT_KERNELCHAOS },
	{ "inject", required_argument, NULL, OPT_INJECT },
	{ "system", no_argument, NULL, OPT_SYSTEM },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "lease", required_argument, NULL, OPT_LEASE },
	{ NULL, 0, NULL, 0 },
};

static void set_str(lua_State *L, const char *key, const char *val)
{
	lua_pushstring(L, val);
	lua_setfield(L, -2, key);
}

static void set_bool(lua_State *L, const char *key)
{
	lua_pushboolean(L, 1);
	lua_setfield(L, -2, key);
}

static void append_str(lua_State *L, const char *key, const char *val)
{
	lua_getfield(L, -1, key);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushvalue(L, -1);
		lua_setfield(L, -3, key);
	}
	lua_pushstring(L, val);
	lua_rawseti(L, -2, (int)lua_objlen(L, -2) + 1);
	lua_pop(L, 1);
}

static const char *opt_name(int c, int idx)
{
	static char buf[3];

	for (int i = 0; idx < 0 && c >= 256 && long_opts[i].name; i++)
		if (long_opts[i].val == c)
			idx = i;
	if (idx >= 0)
		return long_opts[idx].name;
	buf[0] = '-';
	buf[1] = (char)c;
	buf[2] = '\0';
	return buf;
}

/*
 * The long option `arg` ("--name" or "--name=value") names, as getopt_long takes it (an
 * unambiguous prefix will do), or NULL.
 */
static const struct option *find_long(const char *arg)
{
	const struct option *found = NULL;
	size_t n = strcspn(arg + 2, "=");

	for (const struct option *o = long_opts; o->name; o++) {
		if (strncmp(o->name, arg + 2, n) != 0)
			continue;
		if (strlen(o->name) == n)
			return o;
		if (found)
			return NULL;
		found = o;
	}
	return found;
}

/*
 * Pushes "ambiguous option '--ver' (--verbose or --version?)" when `arg` is the prefix of
 * several long options, and returns 1; returns 0 when it is not.
 */
static int push_ambiguous(lua_State *L, const char *arg)
{
	size_t n = strcspn(arg + 2, "=");
	int count = 0, top = lua_gettop(L);

	if (strncmp(arg, "--", 2) != 0 || n == 0)
		return 0;
	lua_pushliteral(L, "ambiguous option '");
	lua_pushlstring(L, arg, n + 2);
	lua_pushliteral(L, "' (");
	for (const struct option *o = long_opts; o->name; o++) {
		if (strncmp(o->name, arg + 2, n) != 0)
			continue;
		if (strlen(o->name) == n)
			break;
		count++;
		lua_pushfstring(L, "%s--%s", count == 1 ? "" : ", ", o->name);
	}
	if (count < 2) {
		lua_settop(L, top);
		return 0;
	}

	/* "--a, --b, --c" becomes "--a, --b or --c?)". */
	lua_pushfstring(L, " or %s?)", lua_tostring(L, -1) + 2);
	lua_remove(L, -2);
	lua_concat(L, lua_gettop(L) - top);
	return 1;
}

/* Pushes the message for an option getopt_long refused (unknown, or its value wrong). */
static void push_bad_option(lua_State *L, char **argv)
{
	const char *arg = argv[optind - 1];
	const struct option *o = strncmp(arg, "--", 2) == 0 ? find_long(arg) : NULL;

	if (!o && push_ambiguous(L, arg))
		return;
	if (o && optopt && o->val == optopt && o->has_arg == required_argument)
		lua_pushfstring(L, "option '--%s' needs a value", o->name);
	else if (o && optopt && o->val == optopt)
		lua_pushfstring(L, "option '--%s' takes no value", o->name);
	else if (optopt > 0 && optopt < 128 && strchr("ecpfo", optopt))
		lua_pushfstring(L, "option '-%c' needs a value", optopt);
	else if (optopt > 0 && optopt < 128)
		lua_pushfstring(L, "unknown option '-%c'", optopt);
	else
		lua_pushfstring(L, "unknown option '%s'", arg);
}

/* Builds the options table; returns 0, or -1 after a usage error was stored. */
static int push_options(lua_State *L, int argc, char **argv)
{
	int c, idx, verbose = 0;

	lua_newtable(L);
	opterr = 0;
	optind = 1;
	for (;;) {
		idx = -1;
		c = getopt_long(argc, argv, "+e:ilc:p:dvqf:o:hV", long_opts, &idx);
		if (c == -1)
			break;
		switch (c) {
		case 'e': append_str(L, "chunks", optarg); break;
		case 'i': set_bool(L, "interactive"); break;
		case 'l': set_bool(L, "list"); break;
		case 'c': set_str(L, "command", optarg); break;
		case 'p': set_str(L, "pid", optarg); break;
		case 'd': set_bool(L, "dry_run"); break;
		case 'v': verbose++; break;
		case 'q': set_bool(L, "quiet"); break;
		case 'f': set_str(L, "format", optarg); break;
		case 'o': set_str(L, "output", optarg); break;
		case 'h': set_bool(L, "help"); break;
		case 'V':
		case OPT_VERSION: set_bool(L, "version"); break;
		case OPT_DOCTOR: set_bool(L, "doctor"); break;
		case OPT_VM: set_bool(L, "vm"); break;
		case OPT_VM_KERNEL: set_str(L, "vm_kernel", optarg); break;
		case OPT_TIMEOUT: set_str(L, "timeout", optarg); break;
		case OPT_KERNELCHAOS: set_str(L, "kernelchaos", optarg); break;
		case OPT_INJECT: set_str(L, "inject", optarg); break;
		case OPT_SYSTEM: set_bool(L, "system"); break;
		case OPT_CGROUP: set_str(L, "cgroup", optarg); break;
		case OPT_CHECK: set_bool(L, "check"); break;
		case OPT_LEASE: set_str(L, "lease", optarg); break;
		case ':':
			lua_pushfstring(L, "option '%s' needs a value",
					optopt ? opt_name(optopt, -1) : argv[optind - 1]);
			lua_setfield(L, -2, "usage_error");
			return -1;
		default:
			push_bad_option(L, argv);
			lua_setfield(L, -2, "usage_error");
			return -1;
		}
	}
	/* Each -v raises the level one step past hints: -v information, -vv debugging. */
	if (verbose && kc_log_get_level() < KC_LOG_HINT + verbose)
		kc_log_set_level(KC_LOG_HINT + verbose);

	/* The rest: script and its arguments (or, with -l, the glob). */
	lua_newtable(L);
	for (int i = optind; i < argc; i++) {
		lua_pushstring(L, argv[i]);
		lua_rawseti(L, -2, i - optind + 1);
	}
	lua_setfield(L, -2, "rest");

	/* The whole command line, for --vm to run it again inside the guest. */
	lua_newtable(L);
	for (int i = 0; i < argc; i++) {
		lua_pushstring(L, argv[i]);
		lua_rawseti(L, -2, i);
	}
	lua_setfield(L, -2, "argv");
	return 0;
}

/* msg prefixed with "chunk:line:" of the innermost Lua function on the stack, if any. */
static const char *locate(lua_State *L, const char *msg)
{
	lua_Debug ar;

	for (int level = 1; level < 16 && lua_getstack(L, level, &ar); level++) {
		if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0)
			return lua_pushfstring(L, "%s:%d: %s", ar.short_src, ar.currentline, msg);
	}
	return msg;
}

/* The message handler of every protected call: message plus traceback. */
static int msghandler(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);

	if (!msg) {
		if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
			return 1;
		msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
	}
	/*
	 * After a stack overflow the handler has a few slots to work in, not enough for a
	 * traceback; and a message raised from compiled code names no line: add it.
	 */
	if (strstr(msg, "stack overflow")) {
		if (strcmp(msg, "stack overflow") == 0)
			msg = locate(L, msg);
		lua_pushstring(L, msg);
		lua_setfield(L, LUA_REGISTRYINDEX, "kchaos.last_traceback");
		lua_pushstring(L, msg);
		return 1;
	}

	/* Keep the bare message for users and the traceback for -v. */
	lua_getglobal(L, "debug");
	lua_getfield(L, -1, "traceback");
	lua_pushstring(L, msg);
	lua_pushinteger(L, 2);
	if (lua_pcall(L, 2, 1, 0) != 0) {
		lua_pop(L, 1);
		lua_pushstring(L, msg);
	}
	lua_setfield(L, LUA_REGISTRYINDEX, "kchaos.last_traceback");
	lua_pop(L, 1);
	lua_pushstring(L, msg);
	return 1;
}

/* The one call path from C into Lua. */
static int docall(lua_State *L, int narg, int nres)
{
	int base = lua_gettop(L) - narg;
	int status;

	lua_pushcfunction(L, msghandler);
	lua_insert(L, base);
	status = lua_pcall(L, narg, nres, base);
	lua_remove(L, base);
	return status;
}

static void set_paths(lua_State *L)
{
	char exe[PATH_MAX], dir[PATH_MAX], probe[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const char *root = KC_DATADIR;
	const char *env = getenv("KCHAOS_DATADIR");

	if (n > 0) {
		exe[n] = '\0';
		snprintf(dir, sizeof(dir), "%s", dirname(exe));
		snprintf(probe, sizeof(probe), "%s/lua/kchaos/main.lua", dir);
		if (access(probe, R_OK) == 0)
			root = dir;
	}
	if (env && *env)
		root = env;

	lua_getglobal(L, "package");
	lua_pushfstring(L, "%s/lua/?.lua;%s/lua/?/init.lua;", root, root);
	lua_getfield(L, -2, "path");
	lua_concat(L, 2);
	lua_setfield(L, -2, "path");
	lua_pop(L, 1);

	lua_pushstring(L, root);
	lua_setfield(L, -2, "datadir");
}

/*
 * core.call(f, ...): f(...), called from C. The main chunks run through it so that, as
 * under lua.c, the frame above a chunk is C: error("msg", 2) in a chunk then names no
 * line, rather than the line of kchaos's own code that ran it. Errors pass through.
 */
static int l_call(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TFUNCTION);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	return lua_gettop(L);
}

static int pmain(lua_State *L)
{
	struct cmdline *cl = lua_touserdata(L, 1);
	luaL_openlibs(L);

	/* kchaos.core: the one C module Lua calls. */
	lua_newtable(L);
	kc_bpf_open(L);
	kc_loop_open(L);
	kc_repl_open(L);
	kc_sys_open(L);
	kc_yaml_open(L);
	set_str(L, "version", KC_VERSION);
	lua_pushcfunction(L, l_call);
	lua_setfield(L, -2, "call");
	set_paths(L);
	lua_getglobal(L, "package");
	lua_getfield(L, -1, "loaded");
	lua_pushvalue(L, -3);
	lua_setfield(L, -2, "kchaos.core");
	lua_pop(L, 3);

	lua_getglobal(L, "require");
	lua_pushliteral(L, "kchaos.main");
	lua_call(L, 1, 1);
	lua_getfield(L, -1, "run");
	push_options(L, cl->argc, cl->argv);
	lua_pushinteger(L, kc_log_get_level());
	lua_setfield(L, -2, "log_level");
	lua_call(L, 1, 1);
	return 1;
}

/*
 * Characters come from the environment's LC_CTYPE, as libedit reads keys in it. Plain
 * ASCII (LANG unset, or C) would make it drop every byte past 127 from typed lines, so
 * then C.UTF-8 is used: Lua strings are bytes either way, and no other category changes.
 */
static void set_ctype(void)
{
	if (setlocale(LC_CTYPE, "") && strcmp(nl_langinfo(CODESET), "ANSI_X3.4-1968") != 0)
		return;
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		setlocale(LC_CTYPE, "C");
}

/* What could not be written on stdout is an error: the status says so, not just 0. */
static int finish_output(int code)
{
	int err = 0;

	/* The reader went away (SIGPIPE): the status says so, as when the signal kills. */
	if (kc_loop_signal() == SIGPIPE)
		return code;
	errno = 0;
	if (fflush(stdout) != 0)
		err = errno ? errno : EIO;
	else if (ferror(stdout))
		err = EIO;
	if (!err)
		return code;
	kc_err("cannot write the output: %s", strerror(err));
	return code ? code : 1;
}

int main(int argc, char **argv)
{
	struct cmdline cl = { argc, argv };
	lua_State *L = luaL_newstate();
	int status, code = 1;
	const char *lvl = getenv("KCHAOS_LOG");

	if (!L) {
		kc_err("cannot create the Lua state: not enough memory");
		return 1;
	}
	if (lvl && *lvl)
		kc_log_set_level(atoi(lvl));
	set_ctype();
	if (kc_loop_init(L) < 0)
		kc_warn("cannot install signal handlers; Ctrl-C will not clean up");

	lua_pushcfunction(L, pmain);
	lua_pushlightuserdata(L, &cl);
	status = docall(L, 1, 1);
	if (status == 0) {
		code = lua_isnumber(L, -1) ? (int)lua_tointeger(L, -1) : 0;
	} else {
		const char *msg = lua_tostring(L, -1);

		/* A broken pipe's error is said by the status alone, as when the signal kills. */
		if (kc_loop_signal() != SIGPIPE)
			kc_err("%s", msg ? msg : "(no message)");
		if (kc_log_get_level() >= KC_LOG_INFO) {
			lua_getfield(L, LUA_REGISTRYINDEX, "kchaos.last_traceback");
			if (lua_isstring(L, -1))
				fprintf(stderr, "%s\n", lua_tostring(L, -1));
		}
		code = 1;
	}
	/* A signal that ends the run gives its status, 128 plus its number, wherever it came. */
	if (kc_loop_signal())
		code = 128 + kc_loop_signal();

	/* Teardown: workloads, then every probe and program, then the state. */
	kc_loop_kill_children();
	kc_bpf_close_all();
	lua_close(L);
	return finish_output(code);
}
