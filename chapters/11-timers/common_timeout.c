/*
 * common_timeout.c - chapter 11: many timers on one duration, in the heap
 * and in a common-timeout queue.
 *
 * The seeds' example (initialize_timeout() and my_event_add()), fixed:
 * the special timeval lives with the base it belongs to instead of in a
 * global, and a NULL from event_base_init_common_timeout() is handled.
 * Then N events (100,000) are added with a 10 s timeout and deleted again,
 * timed, once with the plain timeval (the heap) and once with the common
 * one (a queue). Last, events on a short common timeout fire in the order
 * they were added.
 *
 * Run:   ./common_timeout [-n N]
 * Watch: the magic timeval and its bits; ns per add and per delete (they
 *        vary; the lesson quotes them); the firing order.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#define DEFAULT_N 100000
#define FIRE_N    5

/* The seeds' initialize_timeout() kept its result in a global; but the
 * value only means something to the base that made it, so keep the two
 * together. */
struct timeouts {
	struct event_base *base;
	const struct timeval *ten_seconds; /* NULL: use the plain timeval */
};

static int timeouts_init(struct timeouts *t, struct event_base *base);
static int my_event_add(struct timeouts *t, struct event *ev,
                        const struct timeval *tv);
static void show(const char *name, const struct timeval *tv);
static void time_add_del(struct timeouts *t, struct event **evs, int n);
static void fire_in_order(struct event_base *base);
static void fired_cb(evutil_socket_t fd, short what, void *arg);
static double now_ns(void);
_Noreturn static void die(const char *what);

int
main(int argc, char **argv)
{
	int n = DEFAULT_N, opt;
	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt != 'n' || (n = atoi(optarg)) <= 0) {
			fprintf(stderr, "usage: common_timeout [-n N]\n");
			return 2;
		}
	}
	struct event_base *base = event_base_new();
	struct event **evs = calloc((size_t)n, sizeof(*evs));
	if (base == NULL || evs == NULL)
		die("setup");
	for (int i = 0; i < n; i++)
		if ((evs[i] = evtimer_new(base, fired_cb, NULL)) == NULL)
			die("evtimer_new");
	struct timeouts plain = {base, NULL}, common;
	if (timeouts_init(&common, base) == -1)
		die("event_base_init_common_timeout");
	show("plain 10 s", &(struct timeval){10, 0});
	show("common 10 s", common.ten_seconds);
	show("common 50 ms",
	     event_base_init_common_timeout(base, &(struct timeval){0, 50000}));
	printf("%d events, added with a 10 s timeout, then deleted:\n", n);
	time_add_del(&plain, evs, n);
	time_add_del(&common, evs, n);
	fire_in_order(base);
	for (int i = 0; i < n; i++)
		event_free(evs[i]);
	free(evs);
	event_base_free(base);
	return 0;
}

static int
timeouts_init(struct timeouts *t, struct event_base *base)
{
	t->base = base;
	t->ten_seconds =
	        event_base_init_common_timeout(base, &(struct timeval){10, 0});
	return t->ten_seconds == NULL ? -1 : 0;
}

/* The seeds' my_event_add(): a plain 10 s becomes the common one, if the
 * base has it; every other timeout goes to the heap as usual. */
static int
my_event_add(struct timeouts *t, struct event *ev, const struct timeval *tv)
{
	if (t->ten_seconds && tv && tv->tv_sec == 10 && tv->tv_usec == 0)
		return event_add(ev, t->ten_seconds);
	return event_add(ev, tv);
}

/* tv_usec of a common timeout: 4 bits of magic, 8 of queue index, 20 of
 * microseconds. */
static void
show(const char *name, const struct timeval *tv)
{
	if (tv == NULL)
		die("event_base_init_common_timeout");
	unsigned long u = (unsigned long)tv->tv_usec;
	printf("%-12s = {%ld, %lu}  tv_usec = 0x%08lx: magic 0x%lx, "
	       "queue %lu, %lu us\n",
	       name, (long)tv->tv_sec, u, u, u >> 28, (u >> 20) & 0xff,
	       u & 0xfffff);
}

static void
time_add_del(struct timeouts *t, struct event **evs, int n)
{
	struct timeval ten = {10, 0};
	double t0 = now_ns();
	for (int i = 0; i < n; i++)
		if (my_event_add(t, evs[i], &ten) == -1)
			die("event_add");
	double t1 = now_ns();
	for (int i = 0; i < n; i++)
		if (event_del(evs[i]) == -1)
			die("event_del");
	double t2 = now_ns();
	printf("  %-22s add %6.1f ns, delete %6.1f ns per event\n",
	       t->ten_seconds ? "common timeout (queue):"
	                      : "plain timeval (heap):",
	       (t1 - t0) / n, (t2 - t1) / n);
}

/* Events on one common timeout sit in one FIFO queue: they fire in the
 * order they were added. */
static void
fire_in_order(struct event_base *base)
{
	const struct timeval *tv = event_base_init_common_timeout(
	        base, &(struct timeval){0, 50000});
	struct event *evs[FIRE_N];
	static const char *const names[FIRE_N] = {"0", "1", "2", "3", "4"};
	if (tv == NULL)
		die("event_base_init_common_timeout");
	for (int i = 0; i < FIRE_N; i++)
		if ((evs[i] = evtimer_new(base, fired_cb, (void *)names[i])) ==
		            NULL ||
		    event_add(evs[i], tv) == -1)
			die("event_add");
	printf("%d events on the common 50 ms timeout fire in the order "
	       "added:",
	       FIRE_N);
	if (event_base_dispatch(base) == -1)
		die("event_base_dispatch");
	printf("\n");
	for (int i = 0; i < FIRE_N; i++)
		event_free(evs[i]);
}

static void
fired_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	printf(" %s", arg ? (const char *)arg : "?");
}

static double
now_ns(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		die("clock_gettime");
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void
die(const char *what)
{
	fprintf(stderr, "common_timeout: %s: %s\n", what, strerror(errno));
	exit(1);
}
