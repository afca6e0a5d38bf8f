/*
 * test_event.c - one event's life: creating and assigning it, the
 * accessors, adding, deleting and pending, making it active by hand,
 * several events on one descriptor, edge-triggered and early-close
 * events, one-shot events (event_base_once), and callbacks that delete or
 * free events, their own included.
 *
 * Run: make && ./run.sh epoll build-libevent/test_event [CASE...]
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "evtest.h"

/* What the callbacks of one case share: the base, an order of calls, and
 * events a callback may act on. */
struct box {
	struct event_base *base;
	struct unit_trace trace;
	struct event *ev[4];
	int n;
	short what;
	evutil_socket_t fd;
};

static void
count_cb(evutil_socket_t fd, short what, void *arg)
{
	struct box *b = arg;

	b->n++;
	b->what = what;
	b->fd = fd;
}

static void
test_accessors(void)
{
	struct event_base *base = test_base_new();
	struct box b = {.base = base};
	struct event *ev =
	        event_new(base, 5, EV_READ | EV_PERSIST, count_cb, &b);

	assert_not_null(ev);
	assert_int_eq(event_get_fd(ev), 5);
	assert_ptr_eq(event_get_base(ev), base);
	assert_int_eq(event_get_events(ev), EV_READ | EV_PERSIST);
	assert_true(event_get_callback(ev) == count_cb);
	assert_ptr_eq(event_get_callback_arg(ev), &b);
	assert_int_eq(event_get_priority(ev), 0);
	event_free(ev);
	event_base_free(base);
}

static void
test_get_assignment(void)
{
	struct event_base *base = test_base_new(), *got_base = NULL;
	struct box b = {.base = base};
	struct event *ev = event_new(base, 7, EV_WRITE, count_cb, &b);
	evutil_socket_t fd = -1;
	short events = 0;
	event_callback_fn cb = NULL;
	void *arg = NULL;

	event_get_assignment(ev, &got_base, &fd, &events, &cb, &arg);
	assert_ptr_eq(got_base, base);
	assert_int_eq(fd, 7);
	assert_int_eq(events, EV_WRITE);
	assert_true(cb == count_cb);
	assert_ptr_eq(arg, &b);
	/* NULL means "not wanted". */
	event_get_assignment(ev, NULL, &fd, NULL, NULL, NULL);
	assert_int_eq(fd, 7);
	event_free(ev);
	event_base_free(base);
}

static void
test_assign_initialized(void)
{
	struct event_base *base = test_base_new();
	struct box b = {.base = base};
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	assert_false(event_initialized(&ev));
	assert_int_eq(event_assign(&ev, base, -1, 0, count_cb, &b), 0);
	assert_true(event_initialized(&ev));
	assert_true(evtimer_initialized(&ev));
	event_active(&ev, EV_TIMEOUT, 1);
	assert_int_eq(event_base_dispatch(base), 1);
	assert_int_eq(b.n, 1);
	assert_int_eq(b.what, EV_TIMEOUT);
	event_base_free(base);
}

/* A signal is not a descriptor: EV_SIGNAL with EV_READ or EV_WRITE is
 * refused. */
static void
test_signal_with_io_refused(void)
{
	struct event_base *base = test_base_new();
	struct box b = {.base = base};
	struct event ev;

	assert_null(
	        event_new(base, SIGUSR1, EV_SIGNAL | EV_READ, count_cb, &b));
	assert_int_eq(event_assign(&ev, base, SIGUSR1, EV_SIGNAL | EV_WRITE,
	                           count_cb, &b),
	              -1);
	event_base_free(base);
}

static void
self_cb(evutil_socket_t fd, short what, void *arg)
{
	struct event *self = arg;

	(void)fd;
	assert_int_eq(what, EV_TIMEOUT);
	assert_int_eq(event_get_fd(self), -1);
	event_free(self);
}

/* event_self_cbarg(): the callback receives its own event, so a one-shot
 * event can free itself without any other bookkeeping. */
static void
test_self_cbarg(void)
{
	struct event_base *base = test_base_new();
	struct event *ev = event_new(base, -1, 0, self_cb, event_self_cbarg());

	assert_not_null(ev);
	assert_ptr_eq(event_get_callback_arg(ev), ev);
	event_active(ev, EV_TIMEOUT, 1);
	assert_int_eq(event_base_dispatch(base), 1);
	event_base_free(base);
}

static void
trace_cb(evutil_socket_t fd, short what, void *arg)
{
	struct box *b = arg;

	(void)fd;
	unit_trace(&b->trace, "%s%s%s%s", what & EV_READ ? "R" : "",
	           what & EV_WRITE ? "W" : "", what & EV_TIMEOUT ? "T" : "",
	           what & EV_CLOSED ? "C" : "");
}

static void
test_read_write_ready(void)
{
	struct event_base *base = test_base_new();
	struct box b = {.base = base};
	struct event *r, *w;
	int fds[2];

	test_socketpair(fds);
	r = event_new(base, fds[0], EV_READ, count_cb, &b);
	w = event_new(base, fds[1], EV_WRITE, trace_cb, &b);
	assert_int_eq(event_add(r, NULL), 0);
	assert_int_eq(event_add(w, NULL), 0);
	/* The writer is ready at once; the reader only after the write. */
	assert_int_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	assert_str_eq(b.trace.buf, "W");
	assert_int_eq(b.n, 0);
	test_send(fds[1], "x");
	assert_int_eq(event_base_dispatch(base), 1);
	assert_int_eq(b.n, 1);
	assert_int_eq(b.what, EV_READ);
	assert_int_eq(b.fd, fds[0]);
	event_free(r);
	event_free(w);
	event_base_free(base);
	close(fds[0]);
	close(fds[1]);
}

struct fd_watch {
	struct unit_trace *trace;
	const char *name;
	struct event *ev;
};

static void
watch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fd_watch *w = arg;

	(void)fd;
	unit_trace(w->trace, "%s:%s%s", w->name, what & EV_READ ? "R" : "",
	           what & EV_WRITE ? "W" : "");
	event_del(w->ev);
}

/* Three events on one descriptor: two readers and a writer. Each gets
 * only what it asked for; deleting one leaves the others working. */
static void
test_several_events_one_fd(void)
{
	struct event_base *base = test_base_new();
	struct unit_trace t = {.len = 0};
	struct fd_watch w[3] = {
	        {&t, "r1", NULL}, {&t, "r2", NULL}, {&t, "w", NULL}};
	int fds[2];

	test_socketpair(fds);
	w[0].ev = event_new(base, fds[0], EV_READ, watch_cb, &w[0]);
	w[1].ev = event_new(base, fds[0], EV_READ, watch_cb, &w[1]);
	w[2].ev = event_new(base, fds[0], EV_WRITE, watch_cb, &w[2]);
	for (int i = 0; i < 3; i++)
		assert_int_eq(event_add(w[i].ev, NULL), 0);
	assert_int_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	assert_str_eq(t.buf, "w:W");
	assert_int_eq(event_del(w[0].ev), 0);
	test_send(fds[1], "x");
	assert_int_eq(event_base_dispatch(base), 1);
	assert_str_eq(t.buf, "w:W r2:R");
	for (int i = 0; i < 3; i++)
		event_free(w[i].ev);
	event_base_free(base);
	close(fds[0]);
	close(fds[1]);
}

static void
test_io_timeout(void)
{
	struct event_base *base = test_base_new();
	struct box b = {.base = base};
	struct timeval tv = tv_ms(20);
	int fds[2];
	struct event *ev;

	test_socketpair(fds);
	ev = event_new(base, fds[0], EV_READ, trace_cb, &b);
	assert_int_eq(event_add(ev, &tv), 0);
	assert_int_eq(event_base_dispatch(base), 1);
	assert_str_eq(b.trace.buf, "T");
	assert_int_eq(event_pending(ev, EV_READ | EV_TIMEOUT, NULL), 0);
	event_free(ev);
	event_base_free(base);
	close(fds[0]);
	close(fds[1]);
}

static void
test_pending(void)
{
	struct event_base *base = test_base_new();
	struct box b = {.base = base};
	struct timeval tv = tv_ms(10000), when, now;
	int fds[2];
	struct event *ev;

	test_socketpair(fds);
	ev = event_new(base, fds[0], EV_READ, count_cb, &b);
	assert_int_eq(event_pending(ev, EV_READ | EV_WRITE | EV_TIMEOUT, NULL),
	              0);
	assert_int_eq(event_add(ev, &tv), 0);
	assert_int_eq(event_pending(ev, EV_READ | EV_WRITE | EV_TIMEOUT, NULL),
	              EV_READ | EV_TIMEOUT);
	assert_int_eq(event_pending(ev, EV_WRITE, NULL), 0);
	/* tv_out is the expiry on the wall clock, about now + 10 s. */
	assert_int_eq(event_pending(ev, EV_TIMEOUT, &when), EV_TIMEOUT);
	assert_int_eq(gettimeofday(&now, NULL), 0);
	assert_int_ge(when.tv_sec, now.tv_sec + 8);
	assert_int_le(when.tv_sec, now.tv_sec + 11);
	assert_int_eq(event_del(ev), 0);
	assert_int_eq(event_pending(ev, EV_READ | EV_TIMEOUT, NULL), 0);
	/* An active event is pending for the events it is active with. */
	event_active(ev, EV_WRITE, 1);
	assert_int_eq(event_pending(ev, EV_WRITE, NULL), EV_WRITE);
	event_free(ev);
	event_base_free(base);
	close(fds[0]);
	close(fds[1]);
}

/* event_add() with a NULL timeout on an event that has one leaves the
 * timeout in place; only a new timeout replaces it. */
static void
test_readd_null_keeps_timeout(void)
{
	struct event_base *base = test_base_new();
	struct box b = {.base = base};
	struct timeval tv = tv_ms(20);
	int fds[2];
	struct event *ev;

	test_socketpair(fds);
	ev = event_new(base, fds[0], EV_READ, trace_cb, &b);
	assert_int_eq(event_add(ev, &tv), 0);
	assert_int_eq(event_add(ev, NULL), 0);
	assert_int_eq(event_pending(ev, EV_TIMEOUT, NULL), EV_TIMEOUT);
	assert_int_eq(event_base_dispatch(base), 1);
	assert_str_eq(b.trace.buf, "T");
	event_free(ev);
	event_base_free(base);
	close(fds[0]);
	close(fds[1]);
}

static void
test_del_not_added(void)
{
	struct event_base *base = test_base_new();
	struct box b = {.base = base};
	struct event *ev = evtimer_new(base, count_cb, &b);

	assert_int_eq(event_del(ev), 0);
	assert_int_eq(event_del(ev), 0);
	event_free(ev);
	event_base_free(base);
}

/* Two activations before the callback runs merge into one call with both
 * flags; ncalls is only for signal events (test_signal.c). */
static void
test_active_merge(void)
{
	struct event_base *base = test_base_new();
	struct box b = {.base = base};
	struct event *ev = event_new(base, -1, 0, count_cb, &b);

	event_active(ev, EV_READ, 1);
	event_active(ev, EV_WRITE, 5);
	assert_int_eq(event_base_dispatch(base), 1);
	assert_int_eq(b.n, 1);
	assert_int_eq(b.what, EV_READ | EV_WRITE);
	event_free(ev);
	event_base_free(base);
}

/* event_active() on a pending event: the callback runs, and a non-persist
 * event is then no longer pending, as if it had fired. */
static void
test_active_pending_event(void)
{
	struct event_base *base = test_base_new();
	struct box b = {.base = base};
	struct timeval tv = tv_ms(10000);
	struct event *ev = evtimer_new(base, count_cb, &b);

	assert_int_eq(evtimer_add(ev, &tv), 0);
	event_active(ev, EV_TIMEOUT, 1);
	assert_int_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	assert_int_eq(b.n, 1);
	assert_int_eq(evtimer_pending(ev, NULL), 0);
	event_free(ev);
	event_base_free(base);
}

/* ev[0]'s callback deletes ev[1] and frees ev[2]; all three were active,
 * and neither of the other two callbacks may run. */
static void
killer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct box *b = arg;

	(void)fd;
	(void)what;
	unit_trace(&b->trace, "killer");
	assert_int_eq(event_del(b->ev[1]), 0);
	event_free(b->ev[2]);
	b->ev[2] = NULL;
}

static void
victim_cb(evutil_socket_t fd, short what, void *arg)
{
	struct box *b = arg;

	(void)fd;
	(void)what;
	unit_trace(&b->trace, "victim");
}

static void
test_del_other_active(void)
{
	struct event_base *base = test_base_new();
	struct box b = {.base = base};

	b.ev[0] = event_new(base, -1, 0, killer_cb, &b);
	b.ev[1] = event_new(base, -1, 0, victim_cb, &b);
	b.ev[2] = event_new(base, -1, 0, victim_cb, &b);
	for (int i = 0; i < 3; i++)
		event_active(b.ev[i], EV_READ, 1);
	assert_int_eq(event_base_dispatch(base), 1);
	assert_str_eq(b.trace.buf, "killer");
	assert_null(b.ev[2]);
	event_free(b.ev[0]);
	event_free(b.ev[1]);
	event_base_free(base);
}

/* A persistent reader that frees itself the first time it runs. */
static void
free_self_cb(evutil_socket_t fd, short what, void *arg)
{
	struct box *b = arg;

	(void)what;
	assert_int_eq(test_drain(fd), 1);
	b->n++;
	event_free(b->ev[0]);
}

static void
test_free_self_persist(void)
{
	struct event_base *base = test_base_new();
	struct box b = {.base = base};
	int fds[2];

	test_socketpair(fds);
	b.ev[0] =
	        event_new(base, fds[0], EV_READ | EV_PERSIST, free_self_cb, &b);
	assert_int_eq(event_add(b.ev[0], NULL), 0);
	test_send(fds[1], "x");
	assert_int_eq(event_base_dispatch(base), 1);
	assert_int_eq(b.n, 1);
	event_base_free(base);
	close(fds[0]);
	close(fds[1]);
}

/* A persistent writer (always ready) that deletes itself: it runs once
 * and the loop, left without events, returns 1. */
static void
del_self_cb(evutil_socket_t fd, short what, void *arg)
{
	struct box *b = arg;

	(void)fd;
	(void)what;
	b->n++;
	assert_int_eq(event_del(b->ev[0]), 0);
}

static void
test_del_self_persist(void)
{
	struct event_base *base = test_base_new();
	struct box b = {.base = base};
	int fds[2];

	test_socketpair(fds);
	b.ev[0] =
	        event_new(base, fds[0], EV_WRITE | EV_PERSIST, del_self_cb, &b);
	assert_int_eq(event_add(b.ev[0], NULL), 0);
	assert_int_eq(event_base_dispatch(base), 1);
	assert_int_eq(b.n, 1);
	event_free(b.ev[0]);
	event_base_free(base);
	close(fds[0]);
	close(fds[1]);
}

/* A callback that adds another event: it runs in the same loop. */
static void
adder_cb(evutil_socket_t fd, short what, void *arg)
{
	struct box *b = arg;
	struct timeval tv = tv_ms(1);

	(void)fd;
	(void)what;
	unit_trace(&b->trace, "adder");
	assert_int_eq(evtimer_add(b->ev[1], &tv), 0);
}

static void
test_add_from_callback(void)
{
	struct event_base *base = test_base_new();
	struct box b = {.base = base};
	struct timeval tv = tv_ms(1);

	b.ev[0] = evtimer_new(base, adder_cb, &b);
	b.ev[1] = evtimer_new(base, victim_cb, &b);
	assert_int_eq(evtimer_add(b.ev[0], &tv), 0);
	assert_int_eq(event_base_dispatch(base), 1);
	assert_str_eq(b.trace.buf, "adder victim");
	event_free(b.ev[0]);
	event_free(b.ev[1]);
	event_base_free(base);
}

static void
once_cb(evutil_socket_t fd, short what, void *arg)
{
	struct box *b = arg;

	unit_trace(&b->trace, "%d:%s%s", fd == -1 ? -1 : 0,
	           what & EV_READ ? "R" : "", what & EV_TIMEOUT ? "T" : "");
}

/* The one-shot events are the library's to free: valgrind checks that it
 * does, after they run and when the base goes first. */
static void
test_once(void)
{
	struct event_base *base = test_base_new();
	struct box b = {.base = base};
	struct timeval tv = tv_ms(10);
	int fds[2];

	test_socketpair(fds);
	assert_int_eq(event_base_once(base, -1, EV_TIMEOUT, once_cb, &b, &tv),
	              0);
	assert_int_eq(event_base_dispatch(base), 1);
	assert_str_eq(b.trace.buf, "-1:T");
	assert_int_eq(event_base_once(base, fds[0], EV_READ, once_cb, &b, NULL),
	              0);
	test_send(fds[1], "x");
	assert_int_eq(event_base_dispatch(base), 1);
	assert_str_eq(b.trace.buf, "-1:T 0:R");
	/* A NULL timeout on a timer: it runs at the next loop. */
	assert_int_eq(event_base_once(base, -1, EV_TIMEOUT, once_cb, &b, NULL),
	              0);
	assert_int_eq(event_base_dispatch(base), 1);
	assert_str_eq(b.trace.buf, "-1:T 0:R -1:T");
	/* Never run: freed with the base. */
	tv = tv_ms(10000);
	assert_int_eq(event_base_once(base, -1, EV_TIMEOUT, once_cb, &b, &tv),
	              0);
	assert_int_eq(
	        event_base_once(base, fds[0], EV_WRITE, once_cb, &b, NULL), 0);
	event_base_free(base);
	close(fds[0]);
	close(fds[1]);
}

/* A one-shot event cannot be a signal or persist. */
static void
test_once_refuses(void)
{
	struct event_base *base = test_base_new();
	struct box b = {.base = base};

	assert_int_eq(
	        event_base_once(base, SIGUSR1, EV_SIGNAL, once_cb, &b, NULL),
	        -1);
	assert_int_eq(event_base_once(base, -1, EV_TIMEOUT | EV_PERSIST,
	                              once_cb, &b, NULL),
	              -1);
	event_base_free(base);
}

static void
et_cb(evutil_socket_t fd, short what, void *arg)
{
	struct box *b = arg;
	char c;

	assert_int_eq(what, EV_READ | EV_ET);
	/* Reads one byte of two: the other stays in the buffer. */
	assert_int_eq(read(fd, &c, 1), 1);
	b->n++;
}

/* Edge-triggered: one call per arrival of data, however much is left. */
static void
test_edge_triggered(void)
{
	struct event_base *base = test_base_new();
	struct box b = {.base = base};
	int fds[2];
	struct event *ev;

	if (!(event_base_get_features(base) & EV_FEATURE_ET)) {
		event_base_free(base);
		unit_skip("the backend has no EV_FEATURE_ET");
	}
	test_socketpair(fds);
	ev = event_new(base, fds[0], EV_READ | EV_ET | EV_PERSIST, et_cb, &b);
	assert_int_eq(event_add(ev, NULL), 0);
	test_send(fds[1], "ab");
	assert_int_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	assert_int_eq(b.n, 1);
	for (int i = 0; i < 3; i++)
		assert_int_eq(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	assert_int_eq(b.n, 1);
	test_send(fds[1], "c");
	assert_int_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	assert_int_eq(b.n, 2);
	event_free(ev);
	event_base_free(base);
	close(fds[0]);
	close(fds[1]);
}

/* The same without EV_ET: called again while data is left. */
static void
lt_cb(evutil_socket_t fd, short what, void *arg)
{
	struct box *b = arg;
	char c;

	assert_int_eq(what, EV_READ);
	assert_int_eq(read(fd, &c, 1), 1);
	b->n++;
}

static void
test_level_triggered(void)
{
	struct event_base *base = test_base_new();
	struct box b = {.base = base};
	int fds[2];
	struct event *ev;

	test_socketpair(fds);
	ev = event_new(base, fds[0], EV_READ | EV_PERSIST, lt_cb, &b);
	assert_int_eq(event_add(ev, NULL), 0);
	test_send(fds[1], "ab");
	assert_int_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	assert_int_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	assert_int_eq(b.n, 2);
	assert_int_eq(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	assert_int_eq(b.n, 2);
	event_free(ev);
	event_base_free(base);
	close(fds[0]);
	close(fds[1]);
}

static void
test_early_close(void)
{
	struct event_base *base = test_base_new();
	struct box b = {.base = base};
	int fds[2];
	struct event *ev;

	if (!(event_base_get_features(base) & EV_FEATURE_EARLY_CLOSE)) {
		event_base_free(base);
		unit_skip("the backend has no EV_FEATURE_EARLY_CLOSE");
	}
	test_socketpair(fds);
	ev = event_new(base, fds[0], EV_CLOSED, trace_cb, &b);
	assert_int_eq(event_add(ev, NULL), 0);
	/* Data alone does not wake a close watcher. */
	test_send(fds[1], "x");
	assert_int_eq(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	assert_str_eq(b.trace.buf, "");
	close(fds[1]);
	assert_int_eq(event_base_dispatch(base), 1);
	assert_str_eq(b.trace.buf, "C");
	event_free(ev);
	event_base_free(base);
	close(fds[0]);
}

static void
test_evtimer_macros(void)
{
	struct event_base *base = test_base_new();
	struct box b = {.base = base};
	struct timeval tv = tv_ms(10000);
	struct event *ev = evtimer_new(base, count_cb, &b), ev2;

	assert_not_null(ev);
	assert_int_eq(evtimer_add(ev, &tv), 0);
	assert_true(evtimer_pending(ev, NULL));
	assert_int_eq(evtimer_del(ev), 0);
	assert_false(evtimer_pending(ev, NULL));
	assert_int_eq(evtimer_assign(&ev2, base, count_cb, &b), 0);
	assert_true(evtimer_initialized(&ev2));
	assert_int_eq(event_get_fd(&ev2), -1);
	assert_int_eq(event_get_events(&ev2), 0);
	event_free(ev);
	event_base_free(base);
}

int
main(int argc, char **argv)
{
	static const struct unit_test tests[] = {
	        UNIT_TEST(accessors),
	        UNIT_TEST(get_assignment),
	        UNIT_TEST(assign_initialized),
	        UNIT_TEST(signal_with_io_refused),
	        UNIT_TEST(self_cbarg),
	        UNIT_TEST(read_write_ready),
	        UNIT_TEST(several_events_one_fd),
	        UNIT_TEST(io_timeout),
	        UNIT_TEST(pending),
	        UNIT_TEST(readd_null_keeps_timeout),
	        UNIT_TEST(del_not_added),
	        UNIT_TEST(active_merge),
	        UNIT_TEST(active_pending_event),
	        UNIT_TEST(del_other_active),
	        UNIT_TEST(free_self_persist),
	        UNIT_TEST(del_self_persist),
	        UNIT_TEST(add_from_callback),
	        UNIT_TEST(once),
	        UNIT_TEST(once_refuses),
	        UNIT_TEST(edge_triggered),
	        UNIT_TEST(level_triggered),
	        UNIT_TEST(early_close),
	        UNIT_TEST(evtimer_macros),
	        UNIT_END,
	};

	return unit_main(argc, argv, tests);
}
