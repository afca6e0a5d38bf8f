/*
 * evsignal_demo - chapter 12: signal events, and what their callbacks see.
 *
 * Raises signals in itself at chosen moments and runs one loop round
 * (EVLOOP_NONBLOCK) after each step, printing every callback. The same
 * source builds against minievent and against libevent 2.1 (`make
 * libevent`) and prints the same lines.
 *
 *   ./evsignal_demo
 *
 * Watch: two events on one signal both run; three SIGUSR1 raised before
 * the loop runs give three calls in one round (the pipe carries one byte
 * per delivery), but three raised while the signal is blocked give one
 * (the kernel keeps one pending bit per signal); a non-persistent signal
 * event runs once, and deleting the last event on a signal puts the old
 * handler back.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

struct tally {
	const char *name;
	int calls;
};

static void on_signal(evutil_socket_t sig, short what, void *arg);
static void round_of(struct event_base *base, const char *what);
static void die(const char *what);

int
main(void)
{
	struct tally a = {"A", 0}, b = {"B", 0}, once = {"once", 0};
	struct event_base *base = event_base_new();
	struct event *ev_a, *ev_b, *ev_once;
	sigset_t usr1;
	struct sigaction now;

	if (!base)
		die("event_base_new");
	ev_a = evsignal_new(base, SIGUSR1, on_signal, &a);
	ev_b = evsignal_new(base, SIGUSR1, on_signal, &b);
	ev_once = event_new(base, SIGUSR2, EV_SIGNAL, on_signal, &once);
	if (!ev_a || !ev_b || !ev_once || evsignal_add(ev_a, NULL) < 0 ||
	    evsignal_add(ev_b, NULL) < 0 || event_add(ev_once, NULL) < 0)
		die("evsignal_new/add");

	raise(SIGUSR1);
	round_of(base, "1. SIGUSR1 once; A and B both wait for it");

	raise(SIGUSR1), raise(SIGUSR1), raise(SIGUSR1);
	round_of(base, "2. SIGUSR1 three times before the loop runs");

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	raise(SIGUSR1), raise(SIGUSR1), raise(SIGUSR1);
	sigprocmask(SIG_UNBLOCK, &usr1, NULL); /* one delivery, here */
	round_of(base, "3. SIGUSR1 three times while blocked");

	raise(SIGUSR2);
	round_of(base, "4. SIGUSR2 for the event without EV_PERSIST");
	printf("   still pending afterwards: once %d, A %d\n",
	       evsignal_pending(ev_once, NULL) != 0,
	       evsignal_pending(ev_a, NULL) != 0);
	sigaction(SIGUSR2, NULL, &now);
	printf("   SIGUSR2's handler is back to the default: %s\n",
	       now.sa_handler == SIG_DFL ? "yes" : "no");

	event_base_active_by_signal(base, SIGUSR1);
	round_of(base, "5. event_base_active_by_signal(SIGUSR1), no signal");

	printf("total calls: A %d, B %d, once %d\n", a.calls, b.calls,
	       once.calls);
	event_free(ev_a);
	event_free(ev_b);
	event_free(ev_once);
	event_base_free(base);
	return 0;
}

/* Runs from the loop: printf is safe here, unlike in a signal handler. */
static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct tally *t = arg;

	t->calls++;
	printf("   %s: signal %s, what %s, call %d\n", t->name,
	       sig == SIGUSR1 ? "SIGUSR1" : "SIGUSR2",
	       what == EV_SIGNAL ? "EV_SIGNAL" : "other", t->calls);
}

/* One round of the loop: it runs what is due and returns without waiting. */
static void
round_of(struct event_base *base, const char *what)
{
	printf("%s\n", what);
	if (event_base_loop(base, EVLOOP_NONBLOCK) < 0)
		die("event_base_loop");
}

static void
die(const char *what)
{
	fprintf(stderr, "evsignal_demo: %s failed\n", what);
	exit(1);
}
