/*
 * drift.c - chapter 11: a periodic timer with EV_PERSIST keeps its rhythm;
 * one re-added from its own callback drifts.
 *
 * Three timers want a tick every 100 ms; each callback works for 30 ms.
 *  1. EV_PERSIST: the loop reschedules it one period after the deadline
 *     that just fired, so its ticks stay at 100, 200, 300 ms.
 *  2. A one-shot timer re-added at the end of its callback: event_add()
 *     counts from the loop's cached "now", taken before the callback ran,
 *     so the 30 ms of work do not count; only the loop's own lateness
 *     adds up.
 *  3. The same after event_base_update_cache_time(): "now" is after the
 *     work, so every tick comes 30 ms later than the one before should.
 *
 * Run:   ./drift
 * Watch: the "at" column of each; the times vary a little from run to run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#define TICKS     5
#define PERIOD_MS 100
#define WORK_MS   30

enum mode { PERSIST, READD, READD_FRESH_TIME };

struct ticker {
	struct event *ev;
	enum mode mode;
	int n;
	double start_ms;
};

static void run(struct event_base *base, enum mode mode);
static void tick_cb(evutil_socket_t fd, short what, void *arg);
static double now_ms(void);
_Noreturn static void die(const char *what);

int
main(void)
{
	struct event_base *base = event_base_new();
	if (base == NULL)
		die("event_base_new");
	run(base, PERSIST);
	run(base, READD);
	run(base, READD_FRESH_TIME);
	event_base_free(base);
	return 0;
}

static void
run(struct event_base *base, enum mode mode)
{
	static const char *const names[] = {
	        "EV_PERSIST",
	        "re-added in the callback",
	        "re-added after event_base_update_cache_time()",
	};
	struct ticker t = {NULL, mode, 0, 0};
	struct timeval period = {0, PERIOD_MS * 1000};
	t.ev = event_new(base, -1, mode == PERSIST ? EV_PERSIST : 0, tick_cb,
	                 &t);
	if (t.ev == NULL)
		die("event_new");
	printf("%s: a tick every %d ms, %d ms of work each\n", names[mode],
	       PERIOD_MS, WORK_MS);
	t.start_ms = now_ms();
	if (event_add(t.ev, &period) == -1 || event_base_dispatch(base) == -1)
		die("event_add");
	event_free(t.ev);
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ticker *t = arg;
	struct timeval period = {0, PERIOD_MS * 1000};
	(void)fd, (void)what;
	double at = now_ms() - t->start_ms;
	t->n++;
	printf("  tick %d at %4.0f ms (ideal %4d, late by %3.0f)\n", t->n, at,
	       t->n * PERIOD_MS, at - t->n * PERIOD_MS);
	double end = now_ms() + WORK_MS; /* the work: spin, as real work does */
	while (now_ms() < end)
		continue;
	if (t->n == TICKS) {
		if (event_del(t->ev) == -1)
			die("event_del");
		return;
	}
	if (t->mode == READD_FRESH_TIME &&
	    event_base_update_cache_time(event_get_base(t->ev)) == -1)
		die("event_base_update_cache_time");
	if (t->mode != PERSIST && event_add(t->ev, &period) == -1)
		die("event_add");
}

static double
now_ms(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		die("clock_gettime");
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void
die(const char *what)
{
	fprintf(stderr, "drift: %s: %s\n", what, strerror(errno));
	exit(1);
}
