/*
 * busy_timer.c - chapter 11: the seeds' self-re-adding timer, measured,
 * and its fix.
 *
 * The seed's callback re-adds its one-shot timer with a zero timeval,
 * behind the guard `if (!evtimer_pending(ev, NULL))`. When the callback of
 * a one-shot timer runs, the timer is no longer pending, so the guard is
 * always true; and a zero timeout is due at once, so the loop never
 * sleeps: a busy loop that burns a whole CPU. The fix is one EV_PERSIST
 * timer with a real interval, which the loop reschedules by itself.
 *
 * Run:   ./busy_timer seed     one second of the seed's timer
 *        ./busy_timer fixed    one second of a persistent 100 ms timer
 * Watch: the number of callbacks, how often the guard saw the timer
 *        pending (never), and the CPU time against the one second.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#define RUN_SECONDS       1
#define FIXED_INTERVAL_MS 100

struct ticker {
	struct event *ev;
	struct timeval tv; /* the seed re-adds its timer with this */
	long calls;
	long pending_seen; /* times the seed's guard found the timer pending */
};

static void seed_cb(evutil_socket_t fd, short what, void *arg);
static void fixed_cb(evutil_socket_t fd, short what, void *arg);
static double clock_seconds(clockid_t id);
_Noreturn static void die(const char *what);

int
main(int argc, char **argv)
{
	int seed = argc == 2 && strcmp(argv[1], "seed") == 0;
	if (argc != 2 || (!seed && strcmp(argv[1], "fixed") != 0)) {
		fprintf(stderr, "usage: busy_timer seed|fixed\n");
		return 2;
	}
	struct event_base *base = event_base_new();
	if (base == NULL)
		die("event_base_new");
	struct ticker t = {0};
	if (seed) {
		t.ev = evtimer_new(base, seed_cb, &t); /* t.tv stays {0, 0} */
	} else {
		t.ev = event_new(base, -1, EV_PERSIST, fixed_cb, &t);
		t.tv.tv_usec = FIXED_INTERVAL_MS * 1000;
	}
	struct timeval run = {RUN_SECONDS, 0};
	if (t.ev == NULL || evtimer_add(t.ev, &t.tv) == -1 ||
	    event_base_loopexit(base, &run) == -1)
		die("setting up the timers");
	double cpu0 = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
	double wall0 = clock_seconds(CLOCK_MONOTONIC);
	if (event_base_dispatch(base) == -1)
		die("event_base_dispatch");
	double cpu = clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
	double wall = clock_seconds(CLOCK_MONOTONIC) - wall0;
	printf("%s: %ld callbacks in %.2f s (%.0f per second), "
	       "%.2f s of CPU (%.0f%%)\n",
	       argv[1], t.calls, wall, t.calls / wall, cpu, 100 * cpu / wall);
	if (seed)
		printf("seed: the timer was pending inside its callback "
		       "%ld times out of %ld\n",
		       t.pending_seen, t.calls);
	event_free(t.ev);
	event_base_free(base);
	return 0;
}

/* The seed's callback, with its bug kept: the guard cannot be false here,
 * and the zero timeval makes the timer due again at once. */
static void
seed_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ticker *t = arg;
	(void)fd, (void)what;
	t->calls++;
	if (!evtimer_pending(t->ev, NULL)) {
		event_del(t->ev);
		if (evtimer_add(t->ev, &t->tv) == -1)
			die("evtimer_add");
	} else {
		t->pending_seen++;
	}
}

/* EV_PERSIST: the loop has already put the timer back, one interval after
 * the deadline that just passed. Nothing to re-add. */
static void
fixed_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ticker *t = arg;
	(void)fd, (void)what;
	t->calls++;
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
	fprintf(stderr, "busy_timer: %s: %s\n", what, strerror(errno));
	exit(1);
}
