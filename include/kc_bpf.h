/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kc_bpf: program sets. A program set is one libbcc module (generated BPF C compiled at
 * run time), the programs loaded from it, the perf events that attach them, and the ring
 * buffer that brings its events back. It is exposed to Lua as a `kchaos.progset` userdata.
 */
#ifndef KC_BPF_H
#define KC_BPF_H

#include <lua.h>

struct ring_buffer;

/* Registers the progset metatable and the module functions in the table on top. */
void kc_bpf_open(lua_State *L);

/* Number of successful compiles since start (live control must not add any). */
int kc_bpf_compile_count(void);

/* Walks the open program sets' ring buffers, for the event loop. */
int kc_bpf_ring_count(void);
struct ring_buffer *kc_bpf_ring_at(int i);

/* Detaches and closes every program set; safe to call more than once. */
void kc_bpf_close_all(void);

#endif
