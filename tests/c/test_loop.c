// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of kc_loop's event queue: events taken from the ring buffers are queued for
 * Lua, and those the queue has no room for are counted per rule (core.dropped), never
 * dropped silently. Needs no kernel: events are fed to the ring buffer callback directly.
 */
#include <stdio.h>
#include <string.h>
#include <linux/types.h>

#include <lauxlib.h>
#include <lualib.h>

#include "kchaos.h"
#include "kc_loop.h"

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

/* Lists core.dropped() as "id=n,..." in id order. */
static const char *DROPPED = "local t, ids, out = core.dropped(), {}, {} "
	"for k in pairs(t) do ids[#ids + 1] = k end table.sort(ids) "
	"for _, k in ipairs(ids) do out[#out + 1] = k .. '=' .. t[k] end "
	"return table.concat(out, ',')";

static void feed(unsigned int rule, unsigned long n)
{
	struct kc_event e;

	memset(&e, 0, sizeof(e));
	e.rule = rule;
	for (unsigned long i = 0; i < n; i++) {
		e.count = i + 1;
		kc_loop_on_event(NULL, &e, sizeof(e));
	}
}

static void test_no_drop(lua_State *L)
{
	feed(1, 1000);
	ASSERT_STREQ("", run_lua(L, DROPPED), "nothing is dropped below the queue's size");
	run_lua(L, "core.poll(0)");
}

static void test_drop_counted_per_rule(lua_State *L)
{
	/* The queue holds 2^20 events per turn; the ones after are counted, per rule. */
	feed(3, 1u << 20);
	ASSERT_STREQ("", run_lua(L, DROPPED), "the queue holds 2^20 events");
	feed(3, 5);
	feed(7, 2);
	feed(5000, 1);
	ASSERT_STREQ("3=5,7=2,1023=1", run_lua(L, DROPPED),
		     "events beyond the queue's size are counted per rule id");
	ASSERT_STREQ("", run_lua(L, DROPPED), "core.dropped() counts from its last call");
	run_lua(L, "core.poll(0)");
	feed(3, 1);
	ASSERT_STREQ("", run_lua(L, DROPPED), "a new turn has room again");
}

int main(void)
{
	lua_State *L = luaL_newstate();

	luaL_openlibs(L);
	lua_newtable(L);
	kc_loop_open(L);
	lua_setglobal(L, "core");
	kc_loop_init(L);

	test_no_drop(L);
	test_drop_counted_per_rule(L);

	lua_close(L);
	printf("c-unit: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
