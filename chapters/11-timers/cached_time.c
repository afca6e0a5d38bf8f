/*
 * cached_time.c - chapter 11: which clock the loop reads, and when.
 *
 * Part 1: the loop reads the clock once per iteration and caches it, so a
 * callback that works for 50 ms sees the same event_base_gettimeofday_cached()
 * before and after, while gettimeofday() moves on;
 * event_base_update_cache_time() refreshes the cache. Part 2: the two clocks.
 * CLOCK_REALTIME is the wall clock (seconds since 1970), which an administrator
 * or NTP may set; CLOCK_MONOTONIC counts from boot and only goes forward. A
 * timer kept in wall-clock time would stall or fire early when the wall clock
 * is set; the part works out what it would do for a jump of one hour (setting
 * the real clock needs root, and would disturb the machine).
 *
 * Run:   ./cached_time
 * Watch: "moved by" in part 1; the two readings and the resolutions, and
 *        the simulated jump, in part 2.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <event2/event.h>

#define WORK_MS      50
#define TIMER_S      5
#define JUMP_SECONDS 3600

static void work_cb(evutil_socket_t fd, short what, void *arg);
static void clocks(void);
static void busy_wait_ms(long ms);
static double ms_between(const struct timeval *a, const struct timeval *b);
static double clock_seconds(clockid_t id);
_Noreturn static void die(const char *what);

int
main(void)
{
	struct event_base *base = event_base_new();
	if (base == NULL)
		die("event_base_new");
	struct event *ev = evtimer_new(base, work_cb, base);
	struct timeval soon = {0, 10000};
	if (ev == NULL || evtimer_add(ev, &soon) == -1)
		die("evtimer_add");
	printf("part 1: a callback that works for %d ms\n", WORK_MS);
	if (event_base_dispatch(base) == -1)
		die("event_base_dispatch");
	event_free(ev);
	event_base_free(base);
	clocks();
	return 0;
}

static void
work_cb(evutil_socket_t fd, short what, void *arg)
{
	struct event_base *base = arg;
	struct timeval cached0, cached1, cached2, real0, real1;
	(void)fd, (void)what;
	if (event_base_gettimeofday_cached(base, &cached0) == -1 ||
	    gettimeofday(&real0, NULL) == -1)
		die("reading the time");
	busy_wait_ms(WORK_MS);
	if (event_base_gettimeofday_cached(base, &cached1) == -1 ||
	    gettimeofday(&real1, NULL) == -1)
		die("reading the time");
	printf("  gettimeofday() moved by %5.1f ms\n",
	       ms_between(&real0, &real1));
	printf("  cached time    moved by %5.1f ms (%s)\n",
	       ms_between(&cached0, &cached1),
	       evutil_timercmp(&cached0, &cached1, ==) ? "unchanged"
	                                               : "changed");
	if (event_base_update_cache_time(base) == -1 ||
	    event_base_gettimeofday_cached(base, &cached2) == -1)
		die("event_base_update_cache_time");
	printf("  after event_base_update_cache_time(): moved by %5.1f ms "
	       "(%s)\n",
	       ms_between(&cached0, &cached2),
	       evutil_timercmp(&cached0, &cached2, <) ? "forward"
	                                              : "not forward");
}

static void
clocks(void)
{
	struct timespec res, coarse;
	if (clock_getres(CLOCK_MONOTONIC, &res) == -1 ||
	    clock_getres(CLOCK_MONOTONIC_COARSE, &coarse) == -1)
		die("clock_getres");
	double wall = clock_seconds(CLOCK_REALTIME);
	double mono = clock_seconds(CLOCK_MONOTONIC);
	printf("part 2: the clocks\n");
	printf("  CLOCK_REALTIME   %17.6f s (since 1970: the wall clock)\n",
	       wall);
	printf("  CLOCK_MONOTONIC  %17.6f s (since boot: %.1f hours)\n", mono,
	       mono / 3600);
	printf("  resolution: CLOCK_MONOTONIC %ld ns, "
	       "CLOCK_MONOTONIC_COARSE %ld ns\n",
	       res.tv_nsec, coarse.tv_nsec);
	printf("  a %d s timer, and the wall clock set by %d s "
	       "(worked out, not done):\n",
	       TIMER_S, JUMP_SECONDS);
	printf("  %-10s  deadline kept in wall time: due in %5d s; "
	       "in monotonic time: %d s\n",
	       "set back", TIMER_S + JUMP_SECONDS, TIMER_S);
	printf("  %-10s  deadline kept in wall time: due in %5d s; "
	       "in monotonic time: %d s\n",
	       "set ahead", TIMER_S - JUMP_SECONDS, TIMER_S);
}

/* Spins rather than sleeps: a callback doing real work does not sleep. */
static void
busy_wait_ms(long ms)
{
	double end = clock_seconds(CLOCK_MONOTONIC) + ms / 1000.0;
	while (clock_seconds(CLOCK_MONOTONIC) < end)
		continue;
}

static double
ms_between(const struct timeval *a, const struct timeval *b)
{
	struct timeval d;
	evutil_timersub(b, a, &d);
	return d.tv_sec * 1000.0 + d.tv_usec / 1000.0;
}

static double
clock_seconds(clockid_t id)
{
	struct timespec ts;
	if (clock_gettime(id, &ts) == -1)
		die("clock_gettime");
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
die(const char *what)
{
	fprintf(stderr, "cached_time: %s: %s\n", what, strerror(errno));
	exit(1);
}
