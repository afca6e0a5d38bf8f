/*
 * timer_demo.c - chapter 11: what a timer does, one behaviour per part.
 *
 *  1. A one-shot timer fires once; an EV_PERSIST timer fires until deleted.
 *  2. event_add() on a pending timer does not add a second deadline: it
 *     replaces the first, so a timer re-added before it fires moves later.
 *  3. event_remove_timer() takes the timeout off an event and leaves the
 *     rest (here: waiting for a read) in place.
 *  4. event_pending() with a tv_out reports when a timer will expire, as a
 *     wall-clock time.
 *
 * Run:   ./timer_demo
 * Watch: the order of the lines in each part (it does not depend on the
 *        machine's speed); the times in ms vary from run to run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

struct demo {
	struct event_base *base;
	struct timespec start;
	struct event *target; /* the timer that part 2 re-adds */
	int ticks;
};

/* What say_cb() prints, and for part 3's marker the socket it writes to. */
struct note {
	struct demo *d;
	const char *text;
	int fd;
};

static void part_once_and_persist(struct demo *d);
static void part_readd(struct demo *d);
static void part_remove_timer(struct demo *d);
static void part_pending(struct demo *d);
static void say_cb(evutil_socket_t fd, short what, void *arg);
static void write_cb(evutil_socket_t fd, short what, void *arg);
static void tick_cb(evutil_socket_t fd, short what, void *arg);
static void readd_cb(evutil_socket_t fd, short what, void *arg);
static void say(struct demo *d, const char *text, short what);
static void add_ms(struct event *ev, long ms);
static void run(struct demo *d);
_Noreturn static void die(const char *what);

int
main(void)
{
	struct demo d = {0};
	d.base = event_base_new();
	if (d.base == NULL)
		die("event_base_new");
	part_once_and_persist(&d);
	part_readd(&d);
	part_remove_timer(&d);
	part_pending(&d);
	event_base_free(d.base);
	return 0;
}

static void
part_once_and_persist(struct demo *d)
{
	printf("part 1: one-shot (100 ms) and persistent (every 40 ms)\n");
	struct note n = {d, "one-shot fired", -1};
	struct event *once = evtimer_new(d->base, say_cb, &n);
	struct event *tick = event_new(d->base, -1, EV_PERSIST, tick_cb, d);
	if (once == NULL || tick == NULL)
		die("evtimer_new");
	add_ms(once, 100);
	add_ms(tick, 40);
	run(d);
	event_free(once);
	event_free(tick);
}

/* The persistent timer deletes itself on its third tick: without that,
 * the loop would never run out of events. */
static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct demo *d = arg;
	(void)fd;
	char text[32];
	snprintf(text, sizeof(text), "persistent tick %d", ++d->ticks);
	say(d, text, what);
	if (d->ticks == 3 && event_del(event_base_get_running_event(d->base)))
		die("event_del");
}

static void
part_readd(struct demo *d)
{
	printf("part 2: a 200 ms timer, re-added at 100 ms; a marker at "
	       "250 ms\n");
	struct note n1 = {d, "200 ms timer fired", -1};
	struct note n2 = {d, "250 ms marker", -1};
	d->target = evtimer_new(d->base, say_cb, &n1);
	struct event *readd = evtimer_new(d->base, readd_cb, d);
	struct event *marker = evtimer_new(d->base, say_cb, &n2);
	if (d->target == NULL || readd == NULL || marker == NULL)
		die("evtimer_new");
	add_ms(d->target, 200);
	add_ms(readd, 100);
	add_ms(marker, 250);
	run(d);
	event_free(d->target);
	event_free(readd);
	event_free(marker);
}

static void
readd_cb(evutil_socket_t fd, short what, void *arg)
{
	struct demo *d = arg;
	(void)fd;
	say(d, "re-adding the 200 ms timer", what);
	add_ms(d->target, 200);
}

static void
part_remove_timer(struct demo *d)
{
	printf("part 3: a read event with a 50 ms timeout, then "
	       "event_remove_timer()\n");
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		die("socketpair");
	struct note n1 = {d, "read event fired", -1};
	struct note n2 = {d, "100 ms marker writes a byte", sv[1]};
	struct event *rd = event_new(d->base, sv[0], EV_READ, say_cb, &n1);
	struct event *late = evtimer_new(d->base, write_cb, &n2);
	if (rd == NULL || late == NULL)
		die("event_new");
	add_ms(rd, 50);
	add_ms(late, 100);
	if (event_remove_timer(rd) == -1)
		die("event_remove_timer");
	printf("  pending for: read %s, timeout %s\n",
	       event_pending(rd, EV_READ, NULL) ? "yes" : "no",
	       event_pending(rd, EV_TIMEOUT, NULL) ? "yes" : "no");
	run(d);
	event_free(rd);
	event_free(late);
	close(sv[0]);
	close(sv[1]);
}

/* What event_pending() says before and after event_del(). */
static void
part_pending(struct demo *d)
{
	printf("part 4: event_pending() with tv_out on a 5 s timer\n");
	struct note n = {d, "never fires", -1};
	struct event *ev = evtimer_new(d->base, say_cb, &n);
	if (ev == NULL)
		die("evtimer_new");
	add_ms(ev, 5000);
	struct timeval when, now, left;
	int flags = event_pending(ev, EV_TIMEOUT, &when);
	if (gettimeofday(&now, NULL) == -1)
		die("gettimeofday");
	evutil_timersub(&when, &now, &left);
	printf("  pending: %s; expires at %ld.%06ld (wall clock), "
	       "in %.1f s\n",
	       flags & EV_TIMEOUT ? "yes" : "no", (long)when.tv_sec,
	       (long)when.tv_usec, left.tv_sec + left.tv_usec / 1e6);
	if (event_del(ev) == -1)
		die("event_del");
	printf("  after event_del: pending %s\n",
	       event_pending(ev, EV_TIMEOUT, NULL) ? "yes" : "no");
	event_free(ev);
}

/* The events of parts 1-3 print their note, and why they ran. */
static void
say_cb(evutil_socket_t fd, short what, void *arg)
{
	struct note *n = arg;
	(void)fd;
	say(n->d, n->text, what);
}

/* Had the read event kept its 50 ms timeout, it would have fired before
 * this 100 ms marker; it fires after it, for the byte. */
static void
write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct note *n = arg;
	(void)fd;
	say(n->d, n->text, what);
	if (write(n->fd, "x", 1) != 1)
		die("write");
}

static void
say(struct demo *d, const char *text, short what)
{
	struct timespec now;
	if (clock_gettime(CLOCK_MONOTONIC, &now) == -1)
		die("clock_gettime");
	long ms = (now.tv_sec - d->start.tv_sec) * 1000 +
	          (now.tv_nsec - d->start.tv_nsec) / 1000000;
	printf("  %-28s %s at %ld ms\n", text,
	       what & EV_TIMEOUT ? "(timeout)" : "(read)", ms);
}

static void
add_ms(struct event *ev, long ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	if (event_add(ev, &tv) == -1)
		die("event_add");
}

/* Runs the loop until no event is left; the times printed count from here. */
static void
run(struct demo *d)
{
	if (clock_gettime(CLOCK_MONOTONIC, &d->start) == -1)
		die("clock_gettime");
	if (event_base_dispatch(d->base) == -1)
		die("event_base_dispatch");
}

static void
die(const char *what)
{
	fprintf(stderr, "timer_demo: %s: %s\n", what, strerror(errno));
	exit(1);
}
