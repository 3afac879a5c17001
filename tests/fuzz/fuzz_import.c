// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_import: a libFuzzer target for the two importers. It embeds LuaJIT with the YAML
 * binding registered as kchaos.core, as the host does, and hands each input to
 * kchaos.import (KC_FUZZ_TARGET "kernelchaos" or "inject"), then normalizes, prints and
 * generates BPF C for what it returns. An error message is an answer; a Lua runtime
 * error (a bug in the importer), a broken invariant, a crash, a hang or a leak is not.
 * The Lua code runs in the interpreter with a line hook that feeds libFuzzer's extra
 * counters, so that new paths through the Lua code count as new coverage too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <luajit.h>

#include "kc_yaml.h"

#ifndef KC_FUZZ_TARGET
#define KC_FUZZ_TARGET "kernelchaos"
#endif
#ifndef KC_FUZZ_ROOT
#define KC_FUZZ_ROOT "."
#endif

/* Returns a function(input) -> nil, or a message saying what went wrong. */
static const char driver[] =
	"local target = ...\n"
	"local import = require 'kchaos.import'\n"
	"local codegen = require 'kchaos.codegen'\n"
	"local ENV = {\n"
	"  injection_list = function() return { should_failslab = 'ERRNO',\n"
	"    should_fail_alloc_page = 'TRUE', should_fail_bio = 'ERRNO' } end,\n"
	"  symbol = function(name) return name ~= 'gone', {} end,\n"
	"}\n"
	"local function same(a, b)\n"
	"  if type(a) ~= 'table' or type(b) ~= 'table' then\n"
	"    return a == b or (a ~= a and b ~= b) end\n"
	"  for k, v in pairs(a) do if not same(v, b[k]) then return false end end\n"
	"  for k in pairs(b) do if a[k] == nil then return false end end\n"
	"  return true\n"
	"end\n"
	"local function check(e)\n"
	"  local r = import.normalize(e, ENV)\n"
	"  local f = assert(loadstring('return ' .. import.to_lua(e.spec)))\n"
	"  setfenv(f, { kchaos = { rule = function(t) return t end } })\n"
	"  if not same(e.spec, f()) then error('INVARIANT: the Lua form differs', 0) end\n"
	"  r.id, r.index = 1, 0\n"
	"  local n = 0\n"
	"  for _, p in ipairs(codegen.generate({ r }).progs) do\n"
	"    if p.target == r.site.func then n = n + 1 end\n"
	"  end\n"
	"  if n ~= 1 then error('INVARIANT: ' .. n .. ' probes on the fault site', 0) end\n"
	"end\n"
	"return function(input)\n"
	"  local ok, err = pcall(function()\n"
	"    if target == 'kernelchaos' then\n"
	"      for _, e in ipairs(import.kernelchaos(input, { name = 'fuzz.yaml',\n"
	"        system = true })) do check(e) end\n"
	"    else\n"
	"      check(import.inject(input, { system = true }))\n"
	"    end\n"
	"  end)\n"
	"  if ok then return nil end\n"
	"  if type(err) ~= 'string' then return 'a non-string error: ' .. tostring(err) end\n"
	"  -- The importer's own messages start with the input's name; a runtime error\n"
	"  -- starts with the place in a .lua file.\n"
	"  if err:find('^INVARIANT') or err:find('^[^\\n]-%.lua:%d+: ')\n"
	"    or err:find('^%[string') or err == 'not enough memory' then return err end\n"
	"  return nil\n"
	"end\n";

static lua_State *L;
static int run_ref;

/* Coverage of the Lua code: one counter per (line, previous line) pair, hashed. */
#define LUA_EDGES (1 << 16)
__attribute__((section("__libfuzzer_extra_counters")))
static uint8_t lua_edges[LUA_EDGES];
static uintptr_t prev_line;

static void line_hook(lua_State *L, lua_Debug *ar)
{
	uintptr_t here;

	if (!lua_getinfo(L, "S", ar))
		return;
	/* A chunk's source string is interned: its address names the chunk. */
	here = ((uintptr_t)ar->source >> 4) * 2654435761u + (uintptr_t)ar->currentline;
	lua_edges[(here ^ (prev_line >> 1)) % LUA_EDGES]++;
	prev_line = here;
}

static void die(const char *what)
{
	fprintf(stderr, "fuzz_import: %s: %s\n", what, lua_tostring(L, -1));
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *root = getenv("KCHAOS_DATADIR");

	L = luaL_newstate();
	if (!L)
		abort();
	luaL_openlibs(L);

	/* kchaos.core with the YAML binding only, as the importer needs. */
	lua_getglobal(L, "package");
	lua_getfield(L, -1, "loaded");
	lua_newtable(L);
	kc_yaml_open(L);
	lua_setfield(L, -2, "kchaos.core");
	lua_pop(L, 1);
	lua_pushfstring(L, "%s/lua/?.lua", root && *root ? root : KC_FUZZ_ROOT);
	lua_setfield(L, -2, "path");
	lua_pop(L, 1);

	if (luaL_loadbuffer(L, driver, sizeof(driver) - 1, "=driver") != 0)
		die("loading the driver");
	lua_pushliteral(L, KC_FUZZ_TARGET);
	if (lua_pcall(L, 1, 1, 0) != 0)
		die("starting the driver");
	run_ref = luaL_ref(L, LUA_REGISTRYINDEX);

	/* Hooks do not run in compiled traces: interpret everything. */
	luaJIT_setmode(L, 0, LUAJIT_MODE_ENGINE | LUAJIT_MODE_OFF);
	lua_sethook(L, line_hook, LUA_MASKLINE, 0);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	prev_line = 0;
	lua_rawgeti(L, LUA_REGISTRYINDEX, run_ref);
	lua_pushlstring(L, (const char *)data, size);
	if (lua_pcall(L, 1, 1, 0) != 0)
		die("the driver failed");
	if (!lua_isnil(L, -1))
		die("importer bug");
	lua_pop(L, 1);
	return 0;
}
