// SPDX-License-Identifier: GPL-2.0-only
/*
 * hot: the hot-path workload of the benchmarks. stat() of missing, unique names in a
 * directory (a tmpfs), so that each call looks the name up, allocates a dentry from the
 * slab (should_failslab) and frees it. Relies on nothing but libc.
 *
 *   hot DIR N          N calls; prints the elapsed time in nanoseconds
 *   hot -t SECS DIR    calls for SECS seconds; prints "calls N enomem M ns T"
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* One stat of a name never used before (pid and counter make it unique); 1 on ENOMEM. */
static int probe_name(const char *dir, unsigned long i)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/kcb%d_%lu", dir, (int)getpid(), i);
	return stat(path, &st) != 0 && errno == ENOMEM;
}

static int usage(void)
{
	fprintf(stderr, "usage: hot DIR N | hot -t SECS DIR\n");
	return 2;
}

int main(int argc, char **argv)
{
	unsigned long long t0, t, until;
	unsigned long i, n, enomem = 0;

	if (argc == 4 && strcmp(argv[1], "-t") == 0) {
		t0 = now_ns();
		until = t0 + strtoull(argv[2], NULL, 10) * 1000000000ULL;

		/* The clock is read every 256 calls, to keep it off the hot path. */
		for (i = 0, t = t0; t < until; i++) {
			enomem += probe_name(argv[3], i);
			if ((i & 255) == 255)
				t = now_ns();
		}
		printf("calls %lu enomem %lu ns %llu\n", i, enomem, now_ns() - t0);
		return 0;
	}
	if (argc != 3)
		return usage();

	n = strtoul(argv[2], NULL, 10);
	t0 = now_ns();
	for (i = 0; i < n; i++)
		enomem += probe_name(argv[1], i);
	t = now_ns() - t0;
	printf("%llu\n", t);
	return enomem ? 1 : 0;
}
