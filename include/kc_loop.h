/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kc_loop: the event loop's C half. It waits on the program sets' ring buffers, on
 * signals and on child processes, queues what arrived and hands it to Lua in one batch,
 * so no Lua code ever runs inside a libbpf callback.
 */
#ifndef KC_LOOP_H
#define KC_LOOP_H

#include <stddef.h>
#include <lua.h>

/* Installs signal handlers; `L` is the state a Ctrl-C interrupts while Lua runs. */
int kc_loop_init(lua_State *L);

/* The ring buffer callback: copies one event into the queue. */
int kc_loop_on_event(void *ctx, void *data, size_t size);

/* Registers poll, spawn, release, kill and friends in the table on top. */
void kc_loop_open(lua_State *L);

/* The signal that ended the run (SIGINT, SIGTERM, ...), or 0. */
int kc_loop_signal(void);

/* Sends SIGTERM, then SIGKILL, to every child still running, and reaps them. */
void kc_loop_kill_children(void);

#endif
