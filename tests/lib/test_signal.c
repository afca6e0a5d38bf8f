/*
 * test_signal.c - signal events: delivery through the loop, two events on
 * one signal, persistence, a signal raised inside a callback or while the
 * loop waits in the backend, deleting before delivery, event_active with
 * ncalls, and event_base_active_by_signal / _by_fd.
 *
 * Run: make && ./run.sh epoll build-libevent/test_signal [CASE...]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "evtest.h"

/* Set by the plain handler of test_del_restores_handler. */
static volatile sig_atomic_t plain_caught;

struct sig_case {
	struct unit_trace trace;
	struct event *ev[2];
	int n, raise_until;
};

static void
sig_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sig_case *c = arg;

	assert_int_eq(what, EV_SIGNAL);
	unit_trace(&c->trace, "%d", (int)fd);
	c->n++;
	if (c->n < c->raise_until)
		assert_int_eq(raise((int)fd), 0);
	else if (c->raise_until)
		assert_int_eq(event_del(c->ev[0]), 0);
}

/* A non-persistent signal event: it is deleted when its callback runs,
 * so the loop ends by itself. */
static struct event *
sig_event(struct event_base *base, int sig, struct sig_case *c)
{
	struct event *ev = event_new(base, sig, EV_SIGNAL, sig_cb, c);

	assert_not_null(ev);
	return ev;
}

/* evsignal_new() makes a persistent event: EV_SIGNAL|EV_PERSIST. */
static void
test_evsignal_macros(void)
{
	struct event_base *base = test_base_new();
	struct sig_case c = {.trace = {.len = 0}};
	struct event ev;

	c.ev[0] = evsignal_new(base, SIGUSR1, sig_cb, &c);
	assert_not_null(c.ev[0]);
	assert_int_eq(event_get_fd(c.ev[0]), SIGUSR1);
	assert_int_eq(event_get_events(c.ev[0]), EV_SIGNAL | EV_PERSIST);
	assert_int_eq(evsignal_assign(&ev, base, SIGUSR2, sig_cb, &c), 0);
	assert_true(evsignal_initialized(&ev));
	assert_int_eq(event_get_events(&ev), EV_SIGNAL | EV_PERSIST);
	assert_int_eq(evsignal_add(c.ev[0], NULL), 0);
	assert_true(evsignal_pending(c.ev[0], NULL));
	assert_int_eq(evsignal_del(c.ev[0]), 0);
	assert_false(evsignal_pending(c.ev[0], NULL));
	event_free(c.ev[0]);
	event_base_free(base);
}

/* A signal raised before the loop is delivered by it; a non-persistent
 * signal event is then no longer pending. */
static void
test_delivery(void)
{
	struct event_base *base = test_base_new();
	struct sig_case c = {.trace = {.len = 0}};
	char want[16];

	c.ev[0] = sig_event(base, SIGUSR1, &c);
	assert_int_eq(event_add(c.ev[0], NULL), 0);
	assert_int_eq(raise(SIGUSR1), 0);
	assert_int_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	snprintf(want, sizeof(want), "%d", SIGUSR1);
	assert_str_eq(c.trace.buf, want);
	assert_false(evsignal_pending(c.ev[0], NULL));
	event_free(c.ev[0]);
	event_base_free(base);
}

static void
test_two_events_one_signal(void)
{
	struct event_base *base = test_base_new();
	struct sig_case c = {.trace = {.len = 0}};

	for (int i = 0; i < 2; i++) {
		c.ev[i] = sig_event(base, SIGUSR2, &c);
		assert_int_eq(evsignal_add(c.ev[i], NULL), 0);
	}
	assert_int_eq(raise(SIGUSR2), 0);
	assert_int_eq(event_base_dispatch(base), 1);
	assert_int_eq(c.n, 2);
	for (int i = 0; i < 2; i++)
		event_free(c.ev[i]);
	event_base_free(base);
}

/* A persistent signal event whose callback raises the signal again: each
 * raise is a new call, in a later loop round; the third deletes it. */
static void
test_persist_raise_in_callback(void)
{
	struct event_base *base = test_base_new();
	struct sig_case c = {.trace = {.len = 0}, .raise_until = 3};

	c.ev[0] = event_new(base, SIGHUP, EV_SIGNAL | EV_PERSIST, sig_cb, &c);
	assert_int_eq(event_add(c.ev[0], NULL), 0);
	assert_int_eq(raise(SIGHUP), 0);
	assert_int_eq(event_base_dispatch(base), 1);
	assert_int_eq(c.n, 3);
	event_free(c.ev[0]);
	event_base_free(base);
}

/* The signal comes from another process while the loop waits in the
 * backend (or just before: either way it must arrive). */
static void
test_while_waiting(void)
{
	struct event_base *base = test_base_new();
	struct sig_case c = {.trace = {.len = 0}};
	int status;
	pid_t pid;

	c.ev[0] = sig_event(base, SIGUSR1, &c);
	assert_int_eq(evsignal_add(c.ev[0], NULL), 0);
	pid = fork();
	assert_int_ge(pid, 0);
	if (pid == 0) {
		usleep(100000);
		_exit(kill(getppid(), SIGUSR1) == 0 ? 0 : 1);
	}
	assert_int_eq(event_base_dispatch(base), 1);
	assert_int_eq(c.n, 1);
	assert_int_eq(waitpid(pid, &status, 0), pid);
	assert_int_eq(status, 0);
	event_free(c.ev[0]);
	event_base_free(base);
}

static void
plain_handler(int sig)
{
	(void)sig;
	plain_caught = 1;
}

/* Raised, then deleted before the loop runs: the callback never runs,
 * and the handler that was there before the event is back. */
static void
test_del_restores_handler(void)
{
	struct event_base *base = test_base_new();
	struct sig_case c = {.trace = {.len = 0}};
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = plain_handler;
	sigemptyset(&sa.sa_mask);
	assert_int_eq(sigaction(SIGUSR1, &sa, NULL), 0);
	c.ev[0] = sig_event(base, SIGUSR1, &c);
	assert_int_eq(evsignal_add(c.ev[0], NULL), 0);
	assert_int_eq(raise(SIGUSR1), 0);
	assert_int_eq(plain_caught, 0);
	assert_int_eq(evsignal_del(c.ev[0]), 0);
	assert_int_eq(event_base_dispatch(base), 1);
	assert_int_eq(c.n, 0);
	assert_int_eq(raise(SIGUSR1), 0);
	assert_int_eq(plain_caught, 1);
	event_free(c.ev[0]);
	event_base_free(base);
}

/* event_active() with ncalls on a signal event: that many calls. */
static void
test_active_ncalls(void)
{
	struct event_base *base = test_base_new();
	struct sig_case c = {.trace = {.len = 0}};

	c.ev[0] = sig_event(base, SIGUSR2, &c);
	assert_int_eq(evsignal_add(c.ev[0], NULL), 0);
	event_active(c.ev[0], EV_SIGNAL, 3);
	assert_int_eq(event_base_loop(base, EVLOOP_NONBLOCK), 1);
	assert_int_eq(c.n, 3);
	event_free(c.ev[0]);
	event_base_free(base);
}

static void
test_active_by_signal(void)
{
	struct event_base *base = test_base_new();
	struct sig_case c = {.trace = {.len = 0}};

	c.ev[0] = sig_event(base, SIGUSR1, &c);
	c.ev[1] = sig_event(base, SIGUSR2, &c);
	assert_int_eq(evsignal_add(c.ev[0], NULL), 0);
	assert_int_eq(evsignal_add(c.ev[1], NULL), 0);
	event_base_active_by_signal(base, SIGUSR2);
	assert_int_eq(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	assert_int_eq(c.n, 1);
	assert_true(evsignal_pending(c.ev[0], NULL));
	for (int i = 0; i < 2; i++)
		event_free(c.ev[i]);
	event_base_free(base);
}

static void
io_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	unit_trace(arg, "%s%s", what & EV_READ ? "R" : "",
	           what & EV_WRITE ? "W" : "");
}

/* Only the added events on that fd that want those events run, as if the
 * backend had reported them. */
static void
test_active_by_fd(void)
{
	struct event_base *base = test_base_new();
	struct unit_trace tr = {.len = 0};
	struct event *r, *w;
	int fds[2];

	test_socketpair(fds);
	r = event_new(base, fds[0], EV_READ, io_cb, &tr);
	w = event_new(base, fds[1], EV_WRITE, io_cb, &tr);
	assert_int_eq(event_add(r, NULL), 0);
	assert_int_eq(event_add(w, NULL), 0);
	event_base_active_by_fd(base, fds[0], EV_READ | EV_WRITE);
	assert_int_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	assert_str_eq(tr.buf, "R W");
	event_free(r);
	event_free(w);
	event_base_free(base);
	close(fds[0]);
	close(fds[1]);
}

int
main(int argc, char **argv)
{
	static const struct unit_test tests[] = {
	        UNIT_TEST(evsignal_macros),
	        UNIT_TEST(delivery),
	        UNIT_TEST(two_events_one_signal),
	        UNIT_TEST(persist_raise_in_callback),
	        UNIT_TEST(while_waiting),
	        UNIT_TEST(del_restores_handler),
	        UNIT_TEST(active_ncalls),
	        UNIT_TEST(active_by_signal),
	        UNIT_TEST(active_by_fd),
	        UNIT_END,
	};

	return unit_main(argc, argv, tests);
}
