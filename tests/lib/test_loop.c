/*
 * test_loop.c - the event loop: what it returns, its flags (EVLOOP_ONCE,
 * EVLOOP_NONBLOCK, EVLOOP_NO_EXIT_ON_EMPTY), stopping it (loopexit,
 * loopbreak, loopcontinue), the order of callbacks by priority, the
 * running event, and the cached time.
 *
 * Run: make && ./run.sh epoll build-libevent/test_loop [CASE...]
 */
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "evtest.h"

/* Callbacks get a named event: its name goes into the shared trace, and
 * action, if set, runs after. */
struct named;
typedef void (*action_fn)(struct named *self);

struct loop_case {
	struct event_base *base;
	struct unit_trace trace;
	int fds[2];
};

struct named {
	struct loop_case *lc;
	const char *name;
	struct event *ev;
	action_fn action;
	struct named *other;
	int n;
};

static void
named_cb(evutil_socket_t fd, short what, void *arg)
{
	struct named *self = arg;

	(void)fd;
	(void)what;
	self->n++;
	unit_trace(&self->lc->trace, "%s", self->name);
	if (self->action)
		self->action(self);
}

/* n events called names[i], with priority prio[i] (prio may be NULL). */
static void
make_named(struct loop_case *lc, struct named *ev, int n, const char **names,
           const int *prio)
{
	for (int i = 0; i < n; i++) {
		ev[i] = (struct named){lc, names[i], NULL, NULL, NULL, 0};
		ev[i].ev = event_new(lc->base, -1, 0, named_cb, &ev[i]);
		assert_not_null(ev[i].ev);
		if (prio)
			assert_int_eq(event_priority_set(ev[i].ev, prio[i]), 0);
	}
}

static void
free_named(struct named *ev, int n)
{
	for (int i = 0; i < n; i++)
		event_free(ev[i].ev);
}

static void
test_empty_returns_1(void)
{
	struct event_base *base = test_base_new();

	assert_int_eq(event_base_dispatch(base), 1);
	assert_int_eq(event_base_loop(base, EVLOOP_ONCE), 1);
	assert_int_eq(event_base_loop(base, EVLOOP_NONBLOCK), 1);
	event_base_free(base);
}

/* With EVLOOP_NO_EXIT_ON_EMPTY an empty base is not a reason to return:
 * the non-blocking loop looks once and returns 0, not 1. */
static void
test_no_exit_on_empty(void)
{
	struct event_base *base = test_base_new();

	assert_int_eq(event_base_loop(base, EVLOOP_NONBLOCK |
	                                            EVLOOP_NO_EXIT_ON_EMPTY),
	              0);
	event_base_free(base);
}

static void
test_returns_1_after_last(void)
{
	struct loop_case lc = {test_base_new(), {.len = 0}, {-1, -1}};
	struct named ev[1];
	struct timeval tv = tv_ms(5);

	make_named(&lc, ev, 1, (const char *[]){"t"}, NULL);
	assert_int_eq(evtimer_add(ev[0].ev, &tv), 0);
	assert_int_eq(event_base_dispatch(lc.base), 1);
	assert_str_eq(lc.trace.buf, "t");
	free_named(ev, 1);
	event_base_free(lc.base);
}

/* EVLOOP_ONCE waits for the first event, runs what is active, returns;
 * the later timer is still pending. */
static void
test_once_flag(void)
{
	struct loop_case lc = {test_base_new(), {.len = 0}, {-1, -1}};
	struct named ev[2];
	struct timeval soon = tv_ms(5), late = tv_ms(10000);

	make_named(&lc, ev, 2, (const char *[]){"soon", "late"}, NULL);
	assert_int_eq(evtimer_add(ev[0].ev, &soon), 0);
	assert_int_eq(evtimer_add(ev[1].ev, &late), 0);
	assert_int_eq(event_base_loop(lc.base, EVLOOP_ONCE), 0);
	assert_str_eq(lc.trace.buf, "soon");
	assert_true(evtimer_pending(ev[1].ev, NULL));
	free_named(ev, 2);
	event_base_free(lc.base);
}

/* EVLOOP_NONBLOCK runs what is ready now and never waits. */
static void
test_nonblock_flag(void)
{
	struct loop_case lc = {test_base_new(), {.len = 0}, {-1, -1}};
	struct named ev[2];
	struct timeval late = tv_ms(10000);

	test_socketpair(lc.fds);
	make_named(&lc, ev, 1, (const char *[]){"late"}, NULL);
	assert_int_eq(evtimer_add(ev[0].ev, &late), 0);
	assert_int_eq(event_base_loop(lc.base, EVLOOP_NONBLOCK), 0);
	assert_str_eq(lc.trace.buf, "");
	ev[1] = (struct named){&lc, "w", NULL, NULL, NULL, 0};
	ev[1].ev = event_new(lc.base, lc.fds[0], EV_WRITE, named_cb, &ev[1]);
	assert_int_eq(event_add(ev[1].ev, NULL), 0);
	assert_int_eq(event_base_loop(lc.base, EVLOOP_NONBLOCK), 0);
	assert_str_eq(lc.trace.buf, "w");
	free_named(ev, 2);
	event_base_free(lc.base);
	close(lc.fds[0]);
	close(lc.fds[1]);
}

static void
do_loopbreak(struct named *self)
{
	assert_int_eq(event_base_loopbreak(self->lc->base), 0);
}

static void
do_loopexit(struct named *self)
{
	assert_int_eq(event_base_loopexit(self->lc->base, NULL), 0);
}

static void
do_send(struct named *self)
{
	test_send(self->lc->fds[1], "x");
}

static void
do_loopcontinue(struct named *self)
{
	test_send(self->lc->fds[1], "x");
	assert_int_eq(event_base_loopcontinue(self->lc->base), 0);
}

/* Three active events at one priority; the first one stops the loop. */
static void
stop_after_first(action_fn stop, const char *want, int exit, int brk)
{
	struct loop_case lc = {test_base_new(), {.len = 0}, {-1, -1}};
	struct named ev[3];

	make_named(&lc, ev, 3, (const char *[]){"a", "b", "c"}, NULL);
	ev[0].action = stop;
	for (int i = 0; i < 3; i++)
		event_active(ev[i].ev, EV_READ, 1);
	assert_int_eq(event_base_dispatch(lc.base), 0);
	assert_str_eq(lc.trace.buf, want);
	assert_int_eq(event_base_got_exit(lc.base), exit);
	assert_int_eq(event_base_got_break(lc.base), brk);
	/* What did not run is still active: the next loop runs it. */
	assert_int_eq(event_base_dispatch(lc.base), 1);
	assert_str_eq(lc.trace.buf, "a b c");
	assert_int_eq(event_base_got_exit(lc.base), 0);
	assert_int_eq(event_base_got_break(lc.base), 0);
	free_named(ev, 3);
	event_base_free(lc.base);
}

/* loopbreak: no other callback runs after the current one. */
static void
test_loopbreak(void)
{
	stop_after_first(do_loopbreak, "a", 0, 1);
}

/* loopexit(NULL): the rest of this round's callbacks run first. */
static void
test_loopexit(void)
{
	stop_after_first(do_loopexit, "a b c", 1, 0);
}

/* A loopbreak before the loop is forgotten when the loop starts; a
 * loopexit before the loop ends it after its first round. */
static void
test_stop_before_loop(void)
{
	struct loop_case lc = {test_base_new(), {.len = 0}, {-1, -1}};
	struct named ev[1];
	struct timeval tv = tv_ms(5);

	make_named(&lc, ev, 1, (const char *[]){"t"}, NULL);
	assert_int_eq(evtimer_add(ev[0].ev, &tv), 0);
	assert_int_eq(event_base_loopbreak(lc.base), 0);
	assert_int_eq(event_base_dispatch(lc.base), 1);
	assert_str_eq(lc.trace.buf, "t");
	assert_int_eq(evtimer_add(ev[0].ev, &tv), 0);
	assert_int_eq(event_base_loopexit(lc.base, NULL), 0);
	assert_int_eq(event_base_dispatch(lc.base), 0);
	assert_int_eq(event_base_got_exit(lc.base), 1);
	assert_str_eq(lc.trace.buf, "t");
	assert_true(evtimer_pending(ev[0].ev, NULL));
	free_named(ev, 1);
	event_base_free(lc.base);
}

/* loopexit with a delay: the loop runs until then (a sooner timer fires,
 * a later one does not). */
static void
test_loopexit_delay(void)
{
	struct loop_case lc = {test_base_new(), {.len = 0}, {-1, -1}};
	struct named ev[2];
	struct timeval soon = tv_ms(5), exit = tv_ms(50), late = tv_ms(10000);

	make_named(&lc, ev, 2, (const char *[]){"soon", "late"}, NULL);
	assert_int_eq(evtimer_add(ev[0].ev, &soon), 0);
	assert_int_eq(evtimer_add(ev[1].ev, &late), 0);
	assert_int_eq(event_base_loopexit(lc.base, &exit), 0);
	assert_int_eq(event_base_dispatch(lc.base), 0);
	assert_int_eq(event_base_got_exit(lc.base), 1);
	assert_str_eq(lc.trace.buf, "soon");
	free_named(ev, 2);
	event_base_free(lc.base);
}

/* a (priority 1) makes the reader r (priority 0) ready, then calls
 * action; b (priority 1) was active alongside a. Returns the order. */
static void
continue_case(action_fn action, const char *want)
{
	struct loop_case lc = {test_base_new(), {.len = 0}, {-1, -1}};
	struct named ev[3];

	assert_int_eq(event_base_priority_init(lc.base, 2), 0);
	test_socketpair(lc.fds);
	make_named(&lc, ev, 2, (const char *[]){"a", "b"}, (int[]){1, 1});
	ev[2] = (struct named){&lc, "r", NULL, NULL, NULL, 0};
	ev[2].ev = event_new(lc.base, lc.fds[0], EV_READ, named_cb, &ev[2]);
	assert_int_eq(event_priority_set(ev[2].ev, 0), 0);
	assert_int_eq(event_add(ev[2].ev, NULL), 0);
	ev[0].action = action;
	event_active(ev[0].ev, EV_READ, 1);
	event_active(ev[1].ev, EV_READ, 1);
	assert_int_eq(event_base_dispatch(lc.base), 1);
	assert_str_eq(lc.trace.buf, want);
	free_named(ev, 3);
	event_base_free(lc.base);
	close(lc.fds[0]);
	close(lc.fds[1]);
}

/* loopcontinue: after a's callback the loop polls again at once, so r
 * runs before b. */
static void
test_loopcontinue(void)
{
	continue_case(do_loopcontinue, "a r b");
}

/* Without it, the round at priority 1 ends first. */
static void
test_without_loopcontinue(void)
{
	continue_case(do_send, "a b r");
}

/* Lower number first, whatever the order of activation. */
static void
test_priority_order(void)
{
	struct loop_case lc = {test_base_new(), {.len = 0}, {-1, -1}};
	struct named ev[4];

	assert_int_eq(event_base_priority_init(lc.base, 3), 0);
	make_named(&lc, ev, 4, (const char *[]){"p2", "p0", "p1", "p0b"},
	           (int[]){2, 0, 1, 0});
	for (int i = 0; i < 4; i++)
		event_active(ev[i].ev, EV_READ, 1);
	assert_int_eq(event_base_dispatch(lc.base), 1);
	assert_str_eq(lc.trace.buf, "p0 p0b p1 p2");
	free_named(ev, 4);
	event_base_free(lc.base);
}

static void
activate_other(struct named *self)
{
	event_active(self->other->ev, EV_READ, 1);
}

/* After the highest non-empty priority has run, the loop looks again
 * from the top: m, made active by h, runs before the waiting l. */
static void
test_priority_recheck(void)
{
	struct loop_case lc = {test_base_new(), {.len = 0}, {-1, -1}};
	struct named ev[3];

	assert_int_eq(event_base_priority_init(lc.base, 3), 0);
	make_named(&lc, ev, 3, (const char *[]){"h", "m", "l"},
	           (int[]){0, 1, 2});
	ev[0].action = activate_other;
	ev[0].other = &ev[1];
	event_active(ev[0].ev, EV_READ, 1);
	event_active(ev[2].ev, EV_READ, 1);
	assert_int_eq(event_base_dispatch(lc.base), 1);
	assert_str_eq(lc.trace.buf, "h m l");
	free_named(ev, 3);
	event_base_free(lc.base);
}

/* A callback that activates a more urgent event: it runs next, before
 * the rest of the current priority's round. */
static void
test_priority_preempt(void)
{
	struct loop_case lc = {test_base_new(), {.len = 0}, {-1, -1}};
	struct named ev[3];

	assert_int_eq(event_base_priority_init(lc.base, 3), 0);
	make_named(&lc, ev, 3, (const char *[]){"l1", "l2", "h"},
	           (int[]){2, 2, 0});
	ev[0].action = activate_other;
	ev[0].other = &ev[2];
	event_active(ev[0].ev, EV_READ, 1);
	event_active(ev[1].ev, EV_READ, 1);
	assert_int_eq(event_base_dispatch(lc.base), 1);
	assert_str_eq(lc.trace.buf, "l1 h l2");
	free_named(ev, 3);
	event_base_free(lc.base);
}

static void
busy_writer(struct named *self)
{
	if (self->n == 3)
		assert_int_eq(event_del(self->ev), 0);
}

/* Starvation: while a priority-0 writer is always ready, the priority-1
 * event waits; it runs only when the writer stops. */
static void
test_priority_starvation(void)
{
	struct loop_case lc = {test_base_new(), {.len = 0}, {-1, -1}};
	struct named ev[2];

	assert_int_eq(event_base_priority_init(lc.base, 2), 0);
	test_socketpair(lc.fds);
	make_named(&lc, ev, 1, (const char *[]){"low"}, (int[]){1});
	ev[1] = (struct named){&lc, "w", NULL, busy_writer, NULL, 0};
	ev[1].ev = event_new(lc.base, lc.fds[0], EV_WRITE | EV_PERSIST,
	                     named_cb, &ev[1]);
	assert_int_eq(event_priority_set(ev[1].ev, 0), 0);
	assert_int_eq(event_add(ev[1].ev, NULL), 0);
	event_active(ev[0].ev, EV_READ, 1);
	assert_int_eq(event_base_dispatch(lc.base), 1);
	assert_str_eq(lc.trace.buf, "w w w low");
	free_named(ev, 2);
	event_base_free(lc.base);
	close(lc.fds[0]);
	close(lc.fds[1]);
}

static void
check_running(struct named *self)
{
	assert_ptr_eq(event_base_get_running_event(self->lc->base), self->ev);
}

/* Only inside a callback: libevent 2.1.12 crashes when it is called
 * outside one (its documentation says it returns NULL). */
static void
test_running_event(void)
{
	struct loop_case lc = {test_base_new(), {.len = 0}, {-1, -1}};
	struct named ev[2];

	make_named(&lc, ev, 2, (const char *[]){"a", "b"}, NULL);
	ev[0].action = ev[1].action = check_running;
	event_active(ev[0].ev, EV_READ, 1);
	event_active(ev[1].ev, EV_READ, 1);
	assert_int_eq(event_base_dispatch(lc.base), 1);
	assert_str_eq(lc.trace.buf, "a b");
	free_named(ev, 2);
	event_base_free(lc.base);
}

static long long
usec(const struct timeval *tv)
{
	return tv->tv_sec * 1000000LL + tv->tv_usec;
}

/* Inside a callback the cached time stands still (it waits for the clock
 * to move 20 ms to show it) until event_base_update_cache_time(). The
 * bounds are loose: libevent reads a coarse clock (a few ms per tick) and
 * converts it to wall time with an offset it refreshes now and then. */
static void
check_cache(struct named *self)
{
	struct event_base *base = self->lc->base;
	struct timeval cached, again, now, start;

	assert_int_eq(event_base_gettimeofday_cached(base, &cached), 0);
	assert_int_eq(gettimeofday(&start, NULL), 0);
	do
		assert_int_eq(gettimeofday(&now, NULL), 0);
	while (usec(&now) - usec(&start) < 20000);
	assert_int_eq(event_base_gettimeofday_cached(base, &again), 0);
	assert_int_eq(usec(&again), usec(&cached));
	assert_int_eq(event_base_update_cache_time(base), 0);
	assert_int_eq(event_base_gettimeofday_cached(base, &again), 0);
	assert_int_gt(usec(&again), usec(&cached));
	assert_int_ge(usec(&again), usec(&now) - 50000);
}

static void
test_time_cache(void)
{
	struct loop_case lc = {test_base_new(), {.len = 0}, {-1, -1}};
	struct named ev[1];
	struct timeval before, cached, after;

	/* Outside the loop there is no cache: the current time. */
	assert_int_eq(gettimeofday(&before, NULL), 0);
	assert_int_eq(event_base_gettimeofday_cached(lc.base, &cached), 0);
	assert_int_eq(gettimeofday(&after, NULL), 0);
	assert_int_ge(usec(&cached), usec(&before) - 50000);
	assert_int_le(usec(&cached), usec(&after) + 50000);
	make_named(&lc, ev, 1, (const char *[]){"c"}, NULL);
	ev[0].action = check_cache;
	event_active(ev[0].ev, EV_READ, 1);
	assert_int_eq(event_base_dispatch(lc.base), 1);
	assert_str_eq(lc.trace.buf, "c");
	free_named(ev, 1);
	event_base_free(lc.base);
}

int
main(int argc, char **argv)
{
	static const struct unit_test tests[] = {
	        UNIT_TEST(empty_returns_1),
	        UNIT_TEST(no_exit_on_empty),
	        UNIT_TEST(returns_1_after_last),
	        UNIT_TEST(once_flag),
	        UNIT_TEST(nonblock_flag),
	        UNIT_TEST(loopbreak),
	        UNIT_TEST(loopexit),
	        UNIT_TEST(stop_before_loop),
	        UNIT_TEST(loopexit_delay),
	        UNIT_TEST(loopcontinue),
	        UNIT_TEST(without_loopcontinue),
	        UNIT_TEST(priority_order),
	        UNIT_TEST(priority_recheck),
	        UNIT_TEST(priority_preempt),
	        UNIT_TEST(priority_starvation),
	        UNIT_TEST(running_event),
	        UNIT_TEST(time_cache),
	        UNIT_END,
	};

	return unit_main(argc, argv, tests);
}
