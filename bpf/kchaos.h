/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Structures shared by the generated BPF programs, the C host and the Lua library
 * (which reads this file with ffi.cdef, so it holds plain struct declarations only).
 */
#ifndef KCHAOS_SHARED_H
#define KCHAOS_SHARED_H

/* Control block of one rule: everything that can change without recompiling. */
struct kc_ctl {
	__u32 armed;
	__u32 pid;		/* tgid the rule is limited to, 0 for any */
	__u64 tree_mask;	/* bit of the process tree the rule is limited to, 0 for any */
	__u64 cgroup;		/* cgroup v2 id the rule is limited to, 0 for any */
	__u64 prob;		/* inject when a 32-bit random number is below this */
	__u64 times;		/* maximum injections */
	__u64 interval;		/* inject on every Nth matching call (0 and 1: every call) */
	__u64 not_before;	/* window on the monotonic clock, 0 when open */
	__u64 not_after;
	__s64 retval;
};

/* Counters of one rule, kept by the kernel side. */
struct kc_stats {
	__u64 matched;		/* calls that passed scope, chain, filters and window */
	__u64 claimed;		/* tickets taken against `times` */
	__u64 injected;
	__u64 lost;		/* events the ring buffer had no room for */
};

/* Settings of the whole program set. */
struct kc_global {
	__u32 self_tgid;	/* the host itself: never failed */
	__u32 pad;
	__u64 lease;		/* no injection after this monotonic time (dead-man switch) */
};

/* One injection, as sent through the ring buffer. */
struct kc_event {
	__u64 time;
	__u64 count;
	__u64 cgroup;
	__s64 retval;
	__u32 rule;
	__u32 pid;
	__u32 tid;
	__s32 stack_id;
	char comm[16];
};

#endif
