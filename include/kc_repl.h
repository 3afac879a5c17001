/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kc_repl: the terminal half of the REPL. Line editing, history and completion through
 * libedit in unbuffered mode, one keystroke at a time, so the event loop keeps polling
 * while a line is edited; lua/kchaos/repl.lua decides what each line means.
 */
#ifndef KC_REPL_H
#define KC_REPL_H

#include <lua.h>

/* Registers rl_* (line editing) and stdin_read (plain input) in the table on top. */
void kc_repl_open(lua_State *L);

#endif
