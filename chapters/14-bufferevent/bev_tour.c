/*
 * bev_tour - chapter 14: a bufferevent's callbacks, and when they run:
 * connecting, writing, the read low watermark, a read timeout, EOF, a
 * refused connect, and a connect that times out.
 *
 * Every step uses a real loopback connection to a listener of its own (the
 * peer's end is a plain socket the tour writes to directly) and prints
 * what each callback saw: the flags of the event callback by name, the
 * bytes in the buffers, whether reading is still enabled. The same source
 * built against libevent 2.1 prints the same lines (make compat).
 *
 *   ./bev_tour
 *
 * Watch: which callback runs, with which BEV_EVENT_* flags, and when.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "net.h"

#define DEADLINE_MS 5000 /* every wait below ends by then, or fails */
#define TIMEOUT_MS  200  /* the timeouts the tour sets */

struct tour {
	struct event_base *base;
	struct bufferevent *bev;
	evutil_socket_t lfd, peer;    /* steps 1-5: the listener, the peer */
	struct sockaddr_storage addr; /* the listener's */
	socklen_t addrlen;
	int calls; /* callbacks run so far */
};

static int tour_connection(struct tour *t);
static int step_connect(struct tour *t);
static int step_write(struct tour *t);
static int step_low_watermark(struct tour *t);
static int step_read_timeout(struct tour *t);
static int step_eof(struct tour *t);
static int tour_refused(struct tour *t);
static int tour_connect_timeout(struct tour *t);
static int listener(struct tour *t, int backlog);
static int run_until_call(struct tour *t);
static int peer_send(struct tour *t, const char *s);
static void show_enabled(struct tour *t);
static void on_read(struct bufferevent *bev, void *arg);
static void on_write(struct bufferevent *bev, void *arg);
static void on_event(struct bufferevent *bev, short what, void *arg);

int
main(void)
{
	struct tour t = {.lfd = -1, .peer = -1};
	int failed;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((t.base = event_base_new()) == NULL) {
		perror("bev_tour: event_base_new");
		return 1;
	}
	failed = tour_connection(&t) || tour_refused(&t) ||
	         tour_connect_timeout(&t);
	event_base_free(t.base);
	return failed;
}

/* Steps 1-5, on one connection; then everything is closed. */
static int
tour_connection(struct tour *t)
{
	int failed = step_connect(t) || step_write(t) ||
	             step_low_watermark(t) || step_read_timeout(t) ||
	             step_eof(t);

	if (failed)
		printf("   failed: %s\n", strerror(errno));
	if (t->peer >= 0)
		evutil_closesocket(t->peer);
	if (t->bev)
		bufferevent_free(t->bev);
	if (t->lfd >= 0)
		evutil_closesocket(t->lfd);
	t->bev = NULL;
	t->peer = t->lfd = -1;
	return failed;
}

/* Step 1: the socket is made by the bufferevent (fd -1), non-blocking. */
static int
step_connect(struct tour *t)
{
	printf("1. bufferevent_socket_connect() to a listener\n");
	t->lfd = listener(t, 8);
	t->bev = bufferevent_socket_new(t->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (t->lfd < 0 || !t->bev)
		return -1;
	bufferevent_setcb(t->bev, on_read, on_write, on_event, t);
	if (bufferevent_socket_connect(t->bev, (struct sockaddr *)&t->addr,
	                               (int)t->addrlen) < 0 ||
	    run_until_call(t) < 0 || (t->peer = accept(t->lfd, NULL, NULL)) < 0)
		return -1;
	show_enabled(t);
	return 0;
}

/* Step 2: the write callback means "written to the kernel", and comes
 * once the output has drained to the write low watermark (0). */
static int
step_write(struct tour *t)
{
	char buf[6];

	printf("2. bufferevent_write() of 6 bytes\n");
	if (bufferevent_write(t->bev, "hello\n", 6) < 0)
		return -1;
	printf("   returned; output holds %zu bytes\n",
	       evbuffer_get_length(bufferevent_get_output(t->bev)));
	if (run_until_call(t) < 0 || recv(t->peer, buf, sizeof(buf), 0) != 6)
		return -1;
	printf("   the peer has received them\n");
	return 0;
}

/* Step 3: below the read low watermark the bytes wait in the input. */
static int
step_low_watermark(struct tour *t)
{
	printf("3. read low watermark 10; the peer sends 4 bytes, then 6\n");
	bufferevent_setwatermark(t->bev, EV_READ, 10, 0);
	if (bufferevent_enable(t->bev, EV_READ) < 0 ||
	    peer_send(t, "abcd") < 0 ||
	    event_base_loop(t->base, EVLOOP_NONBLOCK) < 0)
		return -1;
	printf("   after 4 bytes: no callback; input holds %zu bytes\n",
	       evbuffer_get_length(bufferevent_get_input(t->bev)));
	if (peer_send(t, "efghij") < 0 || run_until_call(t) < 0)
		return -1;
	return evbuffer_drain(bufferevent_get_input(t->bev), 10);
}

/* Step 4: a read timeout reports, and disables reading. */
static int
step_read_timeout(struct tour *t)
{
	struct timeval rt = {0, TIMEOUT_MS * 1000}, t0, t1;
	long ms;

	printf("4. read timeout %d ms; the peer sends nothing\n", TIMEOUT_MS);
	evutil_gettimeofday(&t0, NULL);
	if (bufferevent_set_timeouts(t->bev, &rt, NULL) < 0 ||
	    run_until_call(t) < 0)
		return -1;
	evutil_gettimeofday(&t1, NULL);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_usec - t0.tv_usec) / 1000;
	printf("   after %d ms or more: %s\n", TIMEOUT_MS,
	       ms >= TIMEOUT_MS - 1 ? "yes" : "no");
	show_enabled(t);
	return 0;
}

/* Step 5: the peer's close is an EOF, and reading is disabled. */
static int
step_eof(struct tour *t)
{
	printf("5. reading enabled again; the peer closes its socket\n");
	if (bufferevent_set_timeouts(t->bev, NULL, NULL) < 0 ||
	    bufferevent_enable(t->bev, EV_READ) < 0)
		return -1;
	evutil_closesocket(t->peer);
	t->peer = -1;
	if (run_until_call(t) < 0)
		return -1;
	show_enabled(t);
	return 0;
}

/* Step 6: a port nobody listens on (a listener's, just closed). */
static int
tour_refused(struct tour *t)
{
	int lfd = listener(t, 8), res;

	printf("6. connect to a port with no listener\n");
	if (lfd < 0)
		return 1;
	evutil_closesocket(lfd);
	t->bev = bufferevent_socket_new(t->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (!t->bev)
		return 1;
	bufferevent_setcb(t->bev, on_read, on_write, on_event, t);
	res = bufferevent_socket_connect(t->bev, (struct sockaddr *)&t->addr,
	                                 (int)t->addrlen);
	printf("   bufferevent_socket_connect() returned %d\n", res);
	res = res < 0 || run_until_call(t) < 0;
	bufferevent_free(t->bev);
	t->bev = NULL;
	return res;
}

/* Step 7: the listener's queue is full (backlog 0 and one connection
 * waiting), so the kernel drops our SYN: the connect never completes, and
 * the write timeout, set before connecting, ends it. */
static int
tour_connect_timeout(struct tour *t)
{
	struct timeval wt = {0, TIMEOUT_MS * 1000};
	int lfd = listener(t, 0), filler, res = 1;

	printf("7. connect to a listener whose queue is full, write timeout "
	       "%d ms\n",
	       TIMEOUT_MS);
	filler = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || filler < 0 ||
	    connect(filler, (struct sockaddr *)&t->addr, t->addrlen) < 0)
		goto done;
	t->bev = bufferevent_socket_new(t->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (!t->bev)
		goto done;
	bufferevent_setcb(t->bev, on_read, on_write, on_event, t);
	bufferevent_set_timeouts(t->bev, NULL, &wt);
	if (bufferevent_socket_connect(t->bev, (struct sockaddr *)&t->addr,
	                               (int)t->addrlen) == 0 &&
	    run_until_call(t) == 0)
		res = 0;
	show_enabled(t);
	bufferevent_free(t->bev);
	t->bev = NULL;
done:
	if (filler >= 0)
		evutil_closesocket(filler);
	if (lfd >= 0)
		evutil_closesocket(lfd);
	return res;
}

/* A listening socket on 127.0.0.1, port 0; its address goes to t. */
static int
listener(struct tour *t, int backlog)
{
	int fd = listen_tcp("127.0.0.1", 0, backlog);

	t->addrlen = sizeof(t->addr);
	if (fd >= 0 &&
	    getsockname(fd, (struct sockaddr *)&t->addr, &t->addrlen) == 0)
		return fd;
	perror("bev_tour: listener");
	if (fd >= 0)
		evutil_closesocket(fd);
	return -1;
}

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	*(int *)arg = 1;
}

/* Runs the loop until a callback has run: 0, or -1 after DEADLINE_MS. */
static int
run_until_call(struct tour *t)
{
	struct timeval dl = {DEADLINE_MS / 1000, DEADLINE_MS % 1000 * 1000};
	int before = t->calls, expired = 0;
	struct event *guard = evtimer_new(t->base, on_deadline, &expired);

	if (!guard || evtimer_add(guard, &dl) < 0)
		return -1;
	while (t->calls == before && !expired)
		if (event_base_loop(t->base, EVLOOP_ONCE) < 0)
			break;
	event_free(guard);
	if (t->calls != before)
		return 0;
	printf("   no callback within %d ms\n", DEADLINE_MS);
	return -1;
}

/* The peer sends s; returns once the bytes can be read on our end. */
static int
peer_send(struct tour *t, const char *s)
{
	struct pollfd p = {.fd = bufferevent_getfd(t->bev), .events = POLLIN};

	if (send(t->peer, s, strlen(s), 0) != (ssize_t)strlen(s) ||
	    poll(&p, 1, DEADLINE_MS) != 1)
		return -1;
	return 0;
}

static void
show_enabled(struct tour *t)
{
	short on = bufferevent_get_enabled(t->bev);

	printf("   enabled now: %s%s%s\n", on & EV_READ ? "EV_READ" : "",
	       on == (EV_READ | EV_WRITE) ? "|" : "",
	       on & EV_WRITE ? "EV_WRITE" : (on ? "" : "none"));
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct tour *t = arg;

	t->calls++;
	printf("   readcb: input holds %zu bytes\n",
	       evbuffer_get_length(bufferevent_get_input(bev)));
}

static void
on_write(struct bufferevent *bev, void *arg)
{
	struct tour *t = arg;

	t->calls++;
	printf("   writecb: output holds %zu bytes\n",
	       evbuffer_get_length(bufferevent_get_output(bev)));
}

/* Prints the flags by name; for an error, the socket error too. */
static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	static const char *names[] = {"READING", "WRITING",  "0x04",
	                              "0x08",    "EOF",      "ERROR",
	                              "TIMEOUT", "CONNECTED"};
	int err = EVUTIL_SOCKET_ERROR();
	struct tour *t = arg;
	const char *sep = "";

	(void)bev;
	t->calls++;
	printf("   eventcb: ");
	for (int i = 0; i < 8; i++)
		if (what & (1 << i)) {
			printf("%sBEV_EVENT_%s", sep, names[i]);
			sep = "|";
		}
	if (what & BEV_EVENT_ERROR)
		printf(" (%s)", evutil_socket_error_to_string(err));
	printf("\n");
}
