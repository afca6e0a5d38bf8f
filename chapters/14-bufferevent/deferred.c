/*
 * deferred - chapter 14: when a bufferevent's callbacks run, and what
 * BEV_OPT_DEFER_CALLBACKS changes.
 *
 * Without the option a callback runs as soon as the library sees its
 * condition, from inside the library's own code (the read event's
 * handler, for a socket). With it the callback is queued instead and runs
 * from the loop, after the callbacks already due in the same round.
 *   1. a bufferevent pair: bufferevent_write() on one end returns first,
 *      the partner's read callback runs later (libevent defers a pair's
 *      callbacks always: a partner writing back from inside its callback
 *      would otherwise recurse);
 *   2. two socket bufferevents get a byte each in the same round, A
 *      first; A defers its callbacks, B does not: B's read callback runs
 *      first.
 *
 *   ./deferred
 *
 * Watch: the order of the lines. The libevent build prints the same.
 */
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#define ROUNDS 10 /* rounds of the loop the pair's callback may take */

static int pair_step(struct event_base *base);
static int order_step(struct event_base *base);
static void on_read(struct bufferevent *bev, void *arg);

int
main(void)
{
	struct event_base *base = event_base_new();
	int failed;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (base == NULL) {
		perror("deferred: event_base_new");
		return 1;
	}
	failed = pair_step(base) || order_step(base);
	event_base_free(base);
	return failed;
}

static int
pair_step(struct event_base *base)
{
	struct bufferevent *pair[2];
	int calls = 0;

	printf("1. bufferevent_pair_new(): write 3 bytes into one end\n");
	if (bufferevent_pair_new(base, 0, pair) < 0) {
		perror("deferred: bufferevent_pair_new");
		return 1;
	}
	bufferevent_setcb(pair[1], on_read, NULL, NULL, &calls);
	if (bufferevent_enable(pair[1], EV_READ) == 0 &&
	    bufferevent_write(pair[0], "xyz", 3) == 0) {
		printf("   bufferevent_write() returned; callbacks so far: "
		       "%d\n",
		       calls);
		for (int i = 0; i < ROUNDS && calls == 0; i++)
			event_base_loop(base, EVLOOP_NONBLOCK);
	}
	bufferevent_free(pair[0]);
	bufferevent_free(pair[1]);
	return calls != 1;
}

/* A with BEV_OPT_DEFER_CALLBACKS, B without, on socketpairs; each gets a
 * byte, A first, and one round of the loop reads both. */
static int
order_step(struct event_base *base)
{
	evutil_socket_t fd[2][2] = {{-1, -1}, {-1, -1}};
	struct bufferevent *bev[2] = {NULL, NULL};
	struct pollfd p[2];
	int opts[2] = {BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS,
	               BEV_OPT_CLOSE_ON_FREE};
	int calls = 0;

	printf("2. A with BEV_OPT_DEFER_CALLBACKS, B without; a byte for A, "
	       "then for B\n");
	for (int i = 0; i < 2; i++) {
		if (evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fd[i]) < 0 ||
		    evutil_make_socket_nonblocking(fd[i][0]) < 0 ||
		    !(bev[i] = bufferevent_socket_new(base, fd[i][0], opts[i])))
			goto done;
		fd[i][0] = -1; /* the bufferevent closes it */
		bufferevent_setcb(bev[i], on_read, NULL, NULL, &calls);
		p[i] = (struct pollfd){bufferevent_getfd(bev[i]), POLLIN, 0};
		if (bufferevent_enable(bev[i], EV_READ) < 0)
			goto done;
	}
	if (send(fd[0][1], "a", 1, 0) == 1 && send(fd[1][1], "b", 1, 0) == 1 &&
	    poll(p, 2, 5000) == 2 &&
	    event_base_loop(base, EVLOOP_NONBLOCK) == 0)
		printf("   one round of the loop done\n");
done:
	for (int i = 0; i < 2; i++) {
		if (bev[i])
			bufferevent_free(bev[i]);
		for (int k = 0; k < 2; k++)
			if (fd[i][k] >= 0)
				evutil_closesocket(fd[i][k]);
	}
	return calls != 2;
}

/* Names the bufferevent by its first byte of input: 'a' is A's. */
static void
on_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	unsigned char *first = evbuffer_pullup(in, 1);

	++*(int *)arg;
	printf("   readcb of %s: input holds %zu bytes\n",
	       first && *first == 'a'   ? "A"
	       : first && *first == 'b' ? "B"
	                                : "the partner",
	       evbuffer_get_length(in));
}
