// SPDX-License-Identifier: GPL-2.0-only
/*
 * kc_sys: thin bindings for the clock, process ids, uname, stat, environment, exec and
 * zlib (to read /proc/config.gz). Each returns nil and a message on failure, like io.*.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>

#include <bcc/bcc_version.h>
#include <lauxlib.h>
#include <zlib.h>

#include "kc_bpf.h"
#include "kc_sys.h"

static int push_fail(lua_State *L, const char *what)
{
	int err = errno;

	lua_pushnil(L);
	lua_pushfstring(L, "%s: %s", what, strerror(err));
	lua_pushinteger(L, err);
	return 3;
}

/* core.now() -> nanoseconds on the monotonic clock (the one bpf_ktime_get_ns reads) */
static int l_now(lua_State *L)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	lua_pushnumber(L, (lua_Number)ts.tv_sec * 1e9 + (lua_Number)ts.tv_nsec);
	return 1;
}

/* core.realtime() -> seconds since the epoch, with fractions */
static int l_realtime(lua_State *L)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
	return 1;
}

static int l_getpid(lua_State *L)
{
	lua_pushinteger(L, getpid());
	return 1;
}

static int l_geteuid(lua_State *L)
{
	lua_pushinteger(L, geteuid());
	return 1;
}

static int l_uname(lua_State *L)
{
	struct utsname u;

	if (uname(&u) < 0)
		return push_fail(L, "uname");
	lua_createtable(L, 0, 3);
	lua_pushstring(L, u.release);
	lua_setfield(L, -2, "release");
	lua_pushstring(L, u.version);
	lua_setfield(L, -2, "version");
	lua_pushstring(L, u.machine);
	lua_setfield(L, -2, "machine");
	return 1;
}

/*
 * core.stat(path) -> { type =, ino =, size =, rdev_major =, rdev_minor =, readable =, fs = }
 * fs: the magic number of the file system it is on (statfs's f_type).
 */
static int l_stat(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	struct statfs sf;
	struct stat st;
	const char *type = "other";

	if (stat(path, &st) < 0)
		return push_fail(L, path);
	if (S_ISREG(st.st_mode))
		type = "file";
	else if (S_ISDIR(st.st_mode))
		type = "directory";
	else if (S_ISBLK(st.st_mode))
		type = "block";
	else if (S_ISCHR(st.st_mode))
		type = "char";
	lua_createtable(L, 0, 6);
	lua_pushstring(L, type);
	lua_setfield(L, -2, "type");
	lua_pushnumber(L, (lua_Number)st.st_ino);
	lua_setfield(L, -2, "ino");
	lua_pushnumber(L, (lua_Number)st.st_size);
	lua_setfield(L, -2, "size");
	lua_pushinteger(L, major(st.st_rdev));
	lua_setfield(L, -2, "rdev_major");
	lua_pushinteger(L, minor(st.st_rdev));
	lua_setfield(L, -2, "rdev_minor");
	lua_pushboolean(L, access(path, R_OK) == 0);
	lua_setfield(L, -2, "readable");
	lua_pushnumber(L, statfs(path, &sf) == 0 ? (lua_Number)sf.f_type : 0);
	lua_setfield(L, -2, "fs");
	return 1;
}

/* core.read_gz(path) -> contents | nil, message */
static int l_read_gz(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	gzFile f = gzopen(path, "rb");
	luaL_Buffer b;
	char buf[8192];
	int n;

	if (!f)
		return push_fail(L, path);
	luaL_buffinit(L, &b);
	while ((n = gzread(f, buf, sizeof(buf))) > 0)
		luaL_addlstring(&b, buf, n);
	if (n < 0) {
		int errnum;
		const char *msg = gzerror(f, &errnum);

		lua_pushnil(L);
		lua_pushfstring(L, "%s: %s", path, msg);
		gzclose(f);
		return 2;
	}
	gzclose(f);
	luaL_pushresult(&b);
	return 1;
}

static int l_setenv(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);

	if (lua_isnil(L, 2))
		unsetenv(name);
	else
		setenv(name, luaL_checkstring(L, 2), 1);
	return 0;
}

static int l_isatty(lua_State *L)
{
	lua_pushboolean(L, isatty((int)luaL_checkinteger(L, 1)));
	return 1;
}

/* core.exec({argv...}) replaces the process; returns only on failure. */
static int l_exec(lua_State *L)
{
	char *argv[512];
	int n = (int)lua_objlen(L, 1);

	luaL_checktype(L, 1, LUA_TTABLE);
	if (n < 1 || n > 510)
		return luaL_error(L, "exec needs 1 to 510 words");
	for (int i = 1; i <= n; i++) {
		lua_rawgeti(L, 1, i);
		argv[i - 1] = (char *)luaL_checkstring(L, -1);
		lua_pop(L, 1);
	}
	argv[n] = NULL;
	kc_bpf_close_all();
	fflush(NULL);
	execv(argv[0], argv);
	return push_fail(L, argv[0]);
}

/* core.exe() -> absolute path of the running binary */
static int l_exe(lua_State *L)
{
	char buf[4096];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);

	if (n < 0)
		return push_fail(L, "/proc/self/exe");
	lua_pushlstring(L, buf, n);
	return 1;
}

static int l_getcwd(lua_State *L)
{
	char buf[4096];

	if (!getcwd(buf, sizeof(buf)))
		return push_fail(L, "getcwd");
	lua_pushstring(L, buf);
	return 1;
}

static const luaL_Reg sys_funcs[] = {
	{ "now", l_now },
	{ "realtime", l_realtime },
	{ "getpid", l_getpid },
	{ "geteuid", l_geteuid },
	{ "uname", l_uname },
	{ "stat", l_stat },
	{ "read_gz", l_read_gz },
	{ "setenv", l_setenv },
	{ "isatty", l_isatty },
	{ "exec", l_exec },
	{ "exe", l_exe },
	{ "getcwd", l_getcwd },
	{ NULL, NULL },
};

void kc_sys_open(lua_State *L)
{
	luaL_register(L, NULL, sys_funcs);
	lua_pushliteral(L, LIBBCC_VERSION);
	lua_setfield(L, -2, "libbcc_version");
}
