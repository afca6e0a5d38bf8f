/*
 * bench.c - the timing helpers both benchmarks share; see bench.h.
 */
#include "bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double clock_ns(clockid_t id);
static int cmp_double(const void *a, const void *b);

static double
clock_ns(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) == -1) {
		fprintf(stderr, "bench: clock_gettime: %s\n", strerror(errno));
		exit(1);
	}
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

struct cost
cost_start(void)
{
	struct cost now = {clock_ns(CLOCK_MONOTONIC),
	                   clock_ns(CLOCK_PROCESS_CPUTIME_ID)};

	return now;
}

/* The time since start, divided by per (ops, or 1000 for microseconds). */
struct cost
cost_stop(struct cost start, double per)
{
	struct cost now = cost_start();

	now.wall = (now.wall - start.wall) / per;
	now.cpu = (now.cpu - start.cpu) / per;
	return now;
}

/* The medians of rounds 1..n-1, each clock on its own: round 0 paid for
 * cold caches and first-touch page faults, and a burst of load elsewhere
 * spoils a round or two, not the middle one. */
struct cost
cost_median(const struct cost *c, int n)
{
	double wall[BENCH_MAX_ROUNDS], cpu[BENCH_MAX_ROUNDS];
	struct cost m;
	int i;

	for (i = 1; i < n; i++) {
		wall[i - 1] = c[i].wall;
		cpu[i - 1] = c[i].cpu;
	}
	qsort(wall, n - 1, sizeof(*wall), cmp_double);
	qsort(cpu, n - 1, sizeof(*cpu), cmp_double);
	m.wall = wall[(n - 1) / 2];
	m.cpu = cpu[(n - 1) / 2];
	return m;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}
