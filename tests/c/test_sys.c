// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the C host's pieces that need no kernel: kc_strerror, and the kchaos.core
 * functions of kc_sys (gzip reading, stat, clock) called through a bare Lua state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lualib.h>
#include <zlib.h>

#include "kc_log.h"
#include "kc_sys.h"

static int passed, failed;

#define ASSERT_STREQ(want, got, what) do {					\
	const char *w_ = (want), *g_ = (got);					\
	if (g_ && strcmp(w_, g_) == 0) { passed++; printf("ok - %s\n", what); }	\
	else { failed++; printf("not ok - %s: want \"%s\", got \"%s\"\n", what, w_,	\
		g_ ? g_ : "(null)"); }						\
} while (0)

static const char *run_lua(lua_State *L, const char *chunk)
{
	lua_settop(L, 0);
	if (luaL_dostring(L, chunk))
		return lua_tostring(L, -1);
	return lua_isstring(L, -1) ? lua_tostring(L, -1) : "(not a string)";
}

static void test_strerror(void)
{
	ASSERT_STREQ("ENOMEM: Cannot allocate memory", kc_strerror(-12), "kc_strerror(-ENOMEM)");
	ASSERT_STREQ("EIO: Input/output error", kc_strerror(5), "kc_strerror(EIO)");
}

static void test_read_gz(lua_State *L)
{
	char path[] = "/tmp/kc_test_gzXXXXXX";
	int fd = mkstemp(path);
	gzFile gz;
	char chunk[256];

	close(fd);
	gz = gzopen(path, "wb");
	gzputs(gz, "CONFIG_KPROBES=y\nCONFIG_BPF_KPROBE_OVERRIDE=y\n");
	gzclose(gz);
	snprintf(chunk, sizeof(chunk), "return (core.read_gz('%s'))", path);
	ASSERT_STREQ("CONFIG_KPROBES=y\nCONFIG_BPF_KPROBE_OVERRIDE=y\n", run_lua(L, chunk),
		     "read_gz reads a gzip file");
	unlink(path);
	ASSERT_STREQ("/nonexistent.gz: No such file or directory",
		     run_lua(L, "return (select(2, core.read_gz('/nonexistent.gz')))"),
		     "read_gz names the missing file");
}

static void test_stat(lua_State *L)
{
	ASSERT_STREQ("directory", run_lua(L, "return core.stat('/').type"), "stat of / is a directory");
	ASSERT_STREQ("char", run_lua(L, "return core.stat('/dev/null').type"), "stat of /dev/null");
	ASSERT_STREQ("1:3", run_lua(L, "local s = core.stat('/dev/null') "
		     "return s.rdev_major .. ':' .. s.rdev_minor"), "stat gives major:minor");
	ASSERT_STREQ("true", run_lua(L, "return tostring(core.stat('/nope') == nil)"),
		     "stat of a missing path is nil");
}

static void test_clock(lua_State *L)
{
	ASSERT_STREQ("true", run_lua(L, "local a = core.now() local b = core.now() "
		     "return tostring(b >= a and a > 0)"), "now is monotonic");
}

int main(void)
{
	lua_State *L = luaL_newstate();

	luaL_openlibs(L);
	lua_newtable(L);
	kc_sys_open(L);
	lua_setglobal(L, "core");

	test_strerror();
	test_read_gz(L);
	test_stat(L);
	test_clock(L);

	lua_close(L);
	printf("c-unit: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
