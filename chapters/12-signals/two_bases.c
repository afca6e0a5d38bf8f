/*
 * two_bases - chapter 12: one base owns the signals at a time.
 *
 * A signal handler cannot know which base wants a signal, so the library
 * keeps one process-wide "signal base": the last base that added a signal
 * event, or that started its loop while it had some. The handler writes
 * every signal to that base's pipe, whatever the signal. This program gives
 * base A a SIGUSR1 event and base B a SIGUSR2 event and shows each losing
 * its signal to the other. Builds against minievent and libevent alike.
 *
 *   ./two_bases
 *
 * Watch: the "calls" counts. A signal sent to the wrong base's pipe is read
 * there, finds no event for it, and is gone for good.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>

struct tally {
	const char *name;
	int calls;
};

static void on_signal(evutil_socket_t sig, short what, void *arg);
static void run_both(struct event_base *first, struct event_base *second);
static struct event *watch(struct event_base *base, int sig, struct tally *t);

int
main(void)
{
	struct tally a = {"A's SIGUSR1", 0}, b = {"B's SIGUSR2", 0},
	             a2 = {"A's SIGUSR2", 0};
	struct event_base *base_a = event_base_new(),
	                  *base_b = event_base_new();
	struct event *ev_a, *ev_b, *ev_a2;

	if (!base_a || !base_b)
		return fprintf(stderr, "two_bases: event_base_new\n"), 1;
	ev_a = watch(base_a, SIGUSR1, &a);
	ev_b = watch(base_b, SIGUSR2, &b); /* B added last: B owns them */

	printf("1. SIGUSR1, while B owns the signals\n");
	raise(SIGUSR1);
	run_both(base_b, base_a); /* A's loop runs last: now A owns them */
	printf("   %s: %d call(s)\n", a.name, a.calls);

	printf("2. SIGUSR2, while A owns the signals\n");
	raise(SIGUSR2);
	run_both(base_b, base_a);
	printf("   %s: %d call(s)\n", b.name, b.calls);

	printf("3. the cure: every signal event on one base (A)\n");
	event_free(ev_b);
	ev_b = NULL;
	ev_a2 = watch(base_a, SIGUSR2, &a2);
	raise(SIGUSR1), raise(SIGUSR2);
	run_both(base_b, base_a);
	printf("   %s: %d call(s), %s: %d call(s)\n", a.name, a.calls, a2.name,
	       a2.calls);

	event_free(ev_a);
	event_free(ev_a2);
	event_base_free(base_a);
	event_base_free(base_b);
	return 0;
}

static struct event *
watch(struct event_base *base, int sig, struct tally *t)
{
	struct event *ev = evsignal_new(base, sig, on_signal, t);

	if (!ev || evsignal_add(ev, NULL) < 0) {
		fprintf(stderr, "two_bases: evsignal_new/add failed\n");
		exit(1);
	}
	return ev;
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct tally *t = arg;

	(void)sig, (void)what;
	t->calls++;
}

/* One round of each loop, in this order; neither waits. */
static void
run_both(struct event_base *first, struct event_base *second)
{
	if (event_base_loop(first, EVLOOP_NONBLOCK) < 0 ||
	    event_base_loop(second, EVLOOP_NONBLOCK) < 0) {
		fprintf(stderr, "two_bases: event_base_loop failed\n");
		exit(1);
	}
}
