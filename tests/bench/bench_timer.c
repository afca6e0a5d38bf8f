/*
 * bench_timer.c - what a timer costs: adding and deleting one, and firing
 * many in one loop iteration.
 *
 * Written once against libevent's public API and built twice, against
 * libevent and against minievent (tests/bench/Makefile). Modes:
 *
 *   churn   POOL timers stay pending (like idle timeouts on POOL
 *           connections); COUNT times in all, a random one is deleted and
 *           added again. Prints ns per add+del pair.
 *   fire    COUNT timers, all expired, run by one event_base_loop call.
 *           Prints ns per timer fired.
 *
 * The work is split into ROUNDS rounds (default 11); the result is the
 * median of the rounds after the first, a warm-up.
 *
 * Durations (-d): random (spread over a range: the min-heap works), same (one
 * duration: each new deadline is the latest), common (one duration through
 * event_base_init_common_timeout: a queue instead of the heap, O(1)).
 *
 *   bench_timer -m churn|fire -d random|same|common [-c COUNT] [-p POOL]
 *               [-r ROUNDS]
 *
 * Prints one line of key=value fields ending in
 * "unit=ns_per_op wall=W cpu=C":
 * the cost by the wall clock and by the process's CPU time (which leaves
 * out the time other processes had the CPU).
 */
#include <event2/event.h>
#include <event2/util.h>

#include "bench.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Churned timers are due 10 to 70 s away: none fires during the run. */
#define CHURN_MIN_US  10000000L
#define CHURN_SPAN_US 60000000L
/* Fired timers are due within 1 ms; the run waits 2 ms, so all are due. */
#define FIRE_SPAN_US  1000L

struct bench {
	struct event_base *base;
	struct event **evs;
	const struct timeval *common; /* from event_base_init_common_timeout */
	char durations;               /* 'r'andom, 's'ame or 'c'ommon */
	long min_us, span_us;         /* deadlines fall in [min, min+span) */
	long nevs, fired;
	uint64_t rng; /* xorshift64 state: the same sequence for both libs */
};

static void die(const char *what);
static uint64_t next_rand(struct bench *b);
static void pick_timeout(struct bench *b, struct timeval *tv);
static void make_timers(struct bench *b, long n, int add_now);
static struct cost run_churn(struct bench *b, long pool, long count,
                             int rounds);
static struct cost run_fire(struct bench *b, long count, int rounds);
static struct cost churn(struct bench *b, long count);
static struct cost fire_round(struct bench *b);
static void fire_cb(evutil_socket_t fd, short events, void *arg);

int
main(int argc, char **argv)
{
	struct bench b = {.rng = 0x9e3779b97f4a7c15ULL};
	const char *mode = "churn", *dur = "random";
	long count = 1000000, pool = 10000, i;
	int rounds = 11, opt;
	struct cost ns;

	while ((opt = getopt(argc, argv, "m:d:c:p:r:")) != -1) {
		if (opt == 'm')
			mode = optarg;
		else if (opt == 'd')
			dur = optarg;
		else if (opt == 'c')
			count = atol(optarg);
		else if (opt == 'p')
			pool = atol(optarg);
		else if (opt == 'r')
			rounds = atoi(optarg);
		else
			goto usage;
	}
	if ((strcmp(mode, "churn") && strcmp(mode, "fire")) ||
	    (strcmp(dur, "random") && strcmp(dur, "same") &&
	     strcmp(dur, "common")) ||
	    count < 1 || pool < 1 || rounds < 2 || rounds > BENCH_MAX_ROUNDS)
		goto usage;
	b.durations = dur[0];
	b.base = event_base_new();
	if (b.base == NULL)
		die("event_base_new");
	if (mode[0] == 'c')
		ns = run_churn(&b, pool, count, rounds);
	else
		ns = run_fire(&b, count, rounds);
	printf("bench_timer method=%s mode=%s durations=%s timers=%ld "
	       "unit=ns_per_op wall=%.1f cpu=%.1f\n",
	       event_base_get_method(b.base), mode, dur, b.nevs, ns.wall,
	       ns.cpu);
	for (i = 0; i < b.nevs; i++)
		event_free(b.evs[i]);
	free(b.evs);
	event_base_free(b.base);
	return 0;
usage:
	fprintf(stderr, "usage: bench_timer -m churn|fire "
	                "-d random|same|common [-c COUNT] [-p POOL] "
	                "[-r ROUNDS (2-64)]\n");
	return 2;
}

/* Keeps pool timers pending, then times count del+add pairs in rounds;
 * returns the median round's ns per pair. */
static struct cost
run_churn(struct bench *b, long pool, long count, int rounds)
{
	struct cost ns[BENCH_MAX_ROUNDS];
	int i;

	b->min_us = CHURN_MIN_US;
	b->span_us = CHURN_SPAN_US;
	make_timers(b, pool, 1);
	for (i = 0; i < rounds; i++)
		ns[i] = churn(b, count / (rounds - 1) + 1);
	return cost_median(ns, rounds);
}

/* Fires count timers per round; returns the median round's ns per timer. */
static struct cost
run_fire(struct bench *b, long count, int rounds)
{
	struct cost ns[BENCH_MAX_ROUNDS];
	int i;

	b->span_us = FIRE_SPAN_US;
	make_timers(b, count, 0);
	for (i = 0; i < rounds; i++)
		ns[i] = fire_round(b);
	return cost_median(ns, rounds);
}

static void
die(const char *what)
{
	fprintf(stderr, "bench_timer: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint64_t
next_rand(struct bench *b)
{
	b->rng ^= b->rng << 13;
	b->rng ^= b->rng >> 7;
	b->rng ^= b->rng << 17;
	return b->rng;
}

/* "random" draws a duration from the range; "same" and "common" use its
 * end for every timer. */
static void
pick_timeout(struct bench *b, struct timeval *tv)
{
	long us = b->min_us + b->span_us;

	if (b->durations == 'c') {
		*tv = *b->common;
		return;
	}
	if (b->durations == 'r')
		us = b->min_us + (long)(next_rand(b) % b->span_us);
	tv->tv_sec = us / 1000000;
	tv->tv_usec = us % 1000000;
}

/* Creates n timer events, and adds them now if add_now (churn); fire adds
 * them in each round. */
static void
make_timers(struct bench *b, long n, int add_now)
{
	struct timeval tv;
	long i;

	b->evs = calloc(n, sizeof(*b->evs));
	if (b->evs == NULL)
		die("calloc");
	if (b->durations == 'c') {
		tv.tv_sec = (b->min_us + b->span_us) / 1000000;
		tv.tv_usec = (b->min_us + b->span_us) % 1000000;
		b->common = event_base_init_common_timeout(b->base, &tv);
		if (b->common == NULL)
			die("event_base_init_common_timeout");
	}
	for (b->nevs = 0; b->nevs < n; b->nevs++) {
		b->evs[b->nevs] = event_new(b->base, -1, 0, fire_cb, b);
		if (b->evs[b->nevs] == NULL)
			die("event_new");
	}
	for (i = 0; add_now && i < n; i++) {
		pick_timeout(b, &tv);
		if (event_add(b->evs[i], &tv) == -1)
			die("event_add");
	}
}

/* Deletes and re-adds a random pending timer count times; returns ns per
 * add+del pair. The random draw is timed too: a few ns, the same for both. */
static struct cost
churn(struct bench *b, long count)
{
	struct timeval tv;
	struct event *ev;
	struct cost start = cost_start();
	long i;

	for (i = 0; i < count; i++) {
		ev = b->evs[next_rand(b) % b->nevs];
		pick_timeout(b, &tv);
		if (event_del(ev) == -1 || event_add(ev, &tv) == -1)
			die("event_del/event_add");
	}
	return cost_stop(start, count);
}

/* Adds every timer, waits until all are due, then times the loop that
 * fires them; returns ns per timer fired. */
static struct cost
fire_round(struct bench *b)
{
	struct timeval tv;
	struct timespec pause = {0, 2 * FIRE_SPAN_US * 1000};
	struct cost start;
	long i;

	for (i = 0; i < b->nevs; i++) {
		pick_timeout(b, &tv);
		if (event_add(b->evs[i], &tv) == -1)
			die("event_add");
	}
	while (nanosleep(&pause, &pause) == -1)
		if (errno != EINTR)
			die("nanosleep");
	b->fired = 0;
	start = cost_start();
	/* All are due, so one iteration should run them all; loop anyway,
	 * since how many run per iteration is the library's business. */
	while (b->fired < b->nevs)
		if (event_base_loop(b->base, EVLOOP_ONCE) == -1)
			die("event_base_loop");
	return cost_stop(start, b->nevs);
}

static void
fire_cb(evutil_socket_t fd, short events, void *arg)
{
	struct bench *b = arg;

	(void)fd;
	(void)events;
	b->fired++;
}
