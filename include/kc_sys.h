/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kc_sys: small system calls Lua needs and plain Lua lacks (clock, ids, uname, stat,
 * gzip reading, exec), registered in the `kchaos.core` table.
 */
#ifndef KC_SYS_H
#define KC_SYS_H

#include <lua.h>

void kc_sys_open(lua_State *L);

#endif
