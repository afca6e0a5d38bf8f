/*
 * test_timer.c - timers: their order, persistent timers and persistent
 * events with a timeout, re-adding and removing a timeout, and common
 * timeouts (many events sharing one duration).
 *
 * Run: make && ./run.sh epoll build-libevent/test_timer [CASE...]
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>

#include "evtest.h"

#define MANY 200

struct tick {
	struct unit_trace *trace;
	const char *name;
	struct event *ev;
	int n, stop_at;
	long delay_ms;
	long *last_ms;
};

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tick *t = arg;

	(void)fd;
	t->n++;
	if (t->trace)
		unit_trace(t->trace, "%s%s", t->name,
		           what & EV_READ ? "R" : "");
	if (t->stop_at && t->n == t->stop_at)
		assert_int_eq(event_del(t->ev), 0);
}

/* Added in one order, fired in the order of their deadlines. */
static void
test_order(void)
{
	struct event_base *base = test_base_new();
	struct unit_trace tr = {.len = 0};
	struct tick t[3] = {{&tr, "150", NULL, 0, 0, 150, NULL},
	                    {&tr, "50", NULL, 0, 0, 50, NULL},
	                    {&tr, "100", NULL, 0, 0, 100, NULL}};

	for (int i = 0; i < 3; i++) {
		struct timeval tv = tv_ms(t[i].delay_ms);

		t[i].ev = evtimer_new(base, tick_cb, &t[i]);
		assert_int_eq(evtimer_add(t[i].ev, &tv), 0);
	}
	assert_int_eq(event_base_dispatch(base), 1);
	assert_str_eq(tr.buf, "50 100 150");
	for (int i = 0; i < 3; i++)
		event_free(t[i].ev);
	event_base_free(base);
}

static void
ordered_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tick *t = arg;

	(void)fd;
	(void)what;
	/* Never a later deadline before an earlier one. */
	assert_int_ge(t->delay_ms, *t->last_ms);
	*t->last_ms = t->delay_ms;
	t->n++;
}

/* Adds the MANY timers of arg, from a callback: inside the loop the time
 * is cached, so every deadline is that one "now" plus the delay and
 * their order is the order of the delays. */
static void
add_many_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tick *t = arg;

	(void)fd;
	(void)what;
	for (int i = 0; i < MANY; i++) {
		struct timeval tv = tv_ms(t[i].delay_ms);

		assert_int_eq(evtimer_add(t[i].ev, &tv), 0);
	}
	/* Delete every third: they must not fire. */
	for (int i = 0; i < MANY; i += 3)
		assert_int_eq(evtimer_del(t[i].ev), 0);
}

/* Many timers in random order: the heap hands them out sorted. */
static void
test_many_random(void)
{
	struct event_base *base = test_base_new();
	struct tick *t = calloc(MANY, sizeof(*t));
	struct event *adder;
	long last = -1;

	assert_not_null(t);
	srand(7);
	for (int i = 0; i < MANY; i++) {
		t[i].delay_ms = 5 * (rand() % 20);
		t[i].last_ms = &last;
		t[i].ev = evtimer_new(base, ordered_cb, &t[i]);
	}
	adder = evtimer_new(base, add_many_cb, t);
	event_active(adder, EV_TIMEOUT, 1);
	assert_int_eq(event_base_dispatch(base), 1);
	for (int i = 0; i < MANY; i++) {
		assert_int_eq(t[i].n, i % 3 ? 1 : 0);
		event_free(t[i].ev);
	}
	event_free(adder);
	free(t);
	event_base_free(base);
}

static void
test_zero_timeout(void)
{
	struct event_base *base = test_base_new();
	struct tick t = {NULL, "z", NULL, 0, 0, 0, NULL};
	struct timeval zero = {0, 0};

	t.ev = evtimer_new(base, tick_cb, &t);
	assert_int_eq(evtimer_add(t.ev, &zero), 0);
	assert_int_eq(event_base_loop(base, EVLOOP_NONBLOCK), 1);
	assert_int_eq(t.n, 1);
	event_free(t.ev);
	event_base_free(base);
}

static void
test_persist_timer(void)
{
	struct event_base *base = test_base_new();
	struct tick t = {NULL, "p", NULL, 0, 3, 0, NULL};
	struct timeval tv = tv_ms(5);

	t.ev = event_new(base, -1, EV_PERSIST, tick_cb, &t);
	assert_int_eq(event_add(t.ev, &tv), 0);
	assert_int_eq(event_base_dispatch(base), 1);
	assert_int_eq(t.n, 3);
	event_free(t.ev);
	event_base_free(base);
}

struct reader {
	struct unit_trace trace;
	struct event *ev;
	int peer;
};

/* T T, then data (R), then T again: the timeout is re-armed after every
 * call, the data one included. */
static void
reader_cb(evutil_socket_t fd, short what, void *arg)
{
	struct reader *r = arg;

	if (what & EV_READ) {
		assert_int_eq(test_drain(fd), 1);
		unit_trace(&r->trace, "R");
		return;
	}
	assert_int_eq(what, EV_TIMEOUT);
	unit_trace(&r->trace, "T");
	if (r->trace.len == 3)
		test_send(r->peer, "x");
	if (r->trace.len == 7)
		assert_int_eq(event_del(r->ev), 0);
}

static void
test_persist_io_timeout(void)
{
	struct event_base *base = test_base_new();
	struct reader r = {.trace = {.len = 0}};
	struct timeval tv = tv_ms(50);
	int fds[2];

	test_socketpair(fds);
	r.peer = fds[1];
	r.ev = event_new(base, fds[0], EV_READ | EV_PERSIST, reader_cb, &r);
	assert_int_eq(event_add(r.ev, &tv), 0);
	assert_int_eq(event_base_dispatch(base), 1);
	assert_str_eq(r.trace.buf, "T T R T");
	event_free(r.ev);
	event_base_free(base);
	close(fds[0]);
	close(fds[1]);
}

/* Re-adding a pending timer replaces its timeout, later or sooner. */
static void
test_readd_resets(void)
{
	struct event_base *base = test_base_new();
	struct unit_trace tr = {.len = 0};
	struct tick a = {&tr, "a", NULL, 0, 0, 0, NULL};
	struct tick b = {&tr, "b", NULL, 0, 0, 0, NULL};
	struct timeval soon = tv_ms(5), mid = tv_ms(30), late = tv_ms(10000);

	a.ev = evtimer_new(base, tick_cb, &a);
	b.ev = evtimer_new(base, tick_cb, &b);
	assert_int_eq(evtimer_add(a.ev, &soon), 0);
	assert_int_eq(evtimer_add(b.ev, &mid), 0);
	assert_int_eq(evtimer_add(a.ev, &late), 0);
	assert_int_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	assert_str_eq(tr.buf, "b");
	assert_int_eq(evtimer_add(a.ev, &soon), 0);
	assert_int_eq(event_base_dispatch(base), 1);
	assert_str_eq(tr.buf, "b a");
	event_free(a.ev);
	event_free(b.ev);
	event_base_free(base);
}

/* event_remove_timer() drops the timeout and keeps the rest. */
static void
test_remove_timer(void)
{
	struct event_base *base = test_base_new();
	struct unit_trace tr = {.len = 0};
	struct tick r = {&tr, "r", NULL, 0, 0, 0, NULL};
	struct tick t = {&tr, "t", NULL, 0, 0, 0, NULL};
	struct timeval soon = tv_ms(5);
	int fds[2];

	test_socketpair(fds);
	r.ev = event_new(base, fds[0], EV_READ, tick_cb, &r);
	t.ev = evtimer_new(base, tick_cb, &t);
	assert_int_eq(event_add(r.ev, &soon), 0);
	assert_int_eq(evtimer_add(t.ev, &soon), 0);
	assert_int_eq(event_remove_timer(r.ev), 0);
	assert_int_eq(event_remove_timer(t.ev), 0);
	assert_int_eq(event_pending(r.ev, EV_READ | EV_TIMEOUT, NULL), EV_READ);
	assert_int_eq(evtimer_pending(t.ev, NULL), 0);
	/* Only the reader is left, and only data wakes it. */
	test_send(fds[1], "x");
	assert_int_eq(event_base_dispatch(base), 1);
	assert_str_eq(tr.buf, "rR");
	event_free(r.ev);
	event_free(t.ev);
	event_base_free(base);
	close(fds[0]);
	close(fds[1]);
}

static void
test_common_same_duration(void)
{
	struct event_base *base = test_base_new();
	struct timeval d50 = tv_ms(50), d60 = tv_ms(60);
	const struct timeval *a = event_base_init_common_timeout(base, &d50);
	const struct timeval *b = event_base_init_common_timeout(base, &d50);
	const struct timeval *c = event_base_init_common_timeout(base, &d60);

	assert_not_null(a);
	assert_not_null(c);
	assert_ptr_eq(a, b);
	assert_ptr_ne(a, c);
	event_base_free(base);
}

/* Many events on one common timeout fire in the order they were added,
 * mixed correctly with ordinary timers before and after them. */
static void
test_common_many_mixed(void)
{
	struct event_base *base = test_base_new();
	struct unit_trace tr = {.len = 0};
	struct timeval d = tv_ms(50), before = tv_ms(10), after = tv_ms(150);
	const struct timeval *common = event_base_init_common_timeout(base, &d);
	struct tick t[12];
	char names[10][16]; /* "c%d" of any int fits */

	assert_not_null(common);
	for (int i = 0; i < 10; i++) {
		snprintf(names[i], sizeof(names[i]), "c%d", i);
		t[i] = (struct tick){&tr, names[i], NULL, 0, 0, 0, NULL};
		t[i].ev = evtimer_new(base, tick_cb, &t[i]);
		assert_int_eq(evtimer_add(t[i].ev, common), 0);
	}
	t[10] = (struct tick){&tr, "before", NULL, 0, 0, 0, NULL};
	t[11] = (struct tick){&tr, "after", NULL, 0, 0, 0, NULL};
	t[10].ev = evtimer_new(base, tick_cb, &t[10]);
	t[11].ev = evtimer_new(base, tick_cb, &t[11]);
	assert_int_eq(evtimer_add(t[10].ev, &before), 0);
	assert_int_eq(evtimer_add(t[11].ev, &after), 0);
	/* Deleting from the middle and re-adding moves c3 to the back. */
	assert_int_eq(evtimer_del(t[5].ev), 0);
	assert_int_eq(evtimer_add(t[3].ev, common), 0);
	assert_int_eq(event_base_dispatch(base), 1);
	assert_str_eq(tr.buf, "before c0 c1 c2 c4 c6 c7 c8 c9 c3 after");
	for (int i = 0; i < 12; i++)
		event_free(t[i].ev);
	event_base_free(base);
}

/* A persistent event on a common timeout keeps firing. */
static void
test_common_persist(void)
{
	struct event_base *base = test_base_new();
	struct tick t = {NULL, "p", NULL, 0, 3, 0, NULL};
	struct timeval d = tv_ms(5);
	const struct timeval *common = event_base_init_common_timeout(base, &d);

	assert_not_null(common);
	t.ev = event_new(base, -1, EV_PERSIST, tick_cb, &t);
	assert_int_eq(event_add(t.ev, common), 0);
	assert_int_eq(event_base_dispatch(base), 1);
	assert_int_eq(t.n, 3);
	event_free(t.ev);
	event_base_free(base);
}

int
main(int argc, char **argv)
{
	static const struct unit_test tests[] = {
	        UNIT_TEST(order),
	        UNIT_TEST(many_random),
	        UNIT_TEST(zero_timeout),
	        UNIT_TEST(persist_timer),
	        UNIT_TEST(persist_io_timeout),
	        UNIT_TEST(readd_resets),
	        UNIT_TEST(remove_timer),
	        UNIT_TEST(common_same_duration),
	        UNIT_TEST(common_many_mixed),
	        UNIT_TEST(common_persist),
	        UNIT_END,
	};

	return unit_main(argc, argv, tests);
}
