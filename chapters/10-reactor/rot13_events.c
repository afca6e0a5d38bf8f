/*
 * rot13_events - chapter 10: the ROT13 server on low-level events, written
 * against the libevent 2.1 API (event2/event.h, event2/util.h) only.
 *
 * The loop of chapters 06-09 is gone: an event_base (the reactor) owns it.
 * Each client has a read event and a write event (EV_PERSIST: they stay
 * added after they fire); the read event is added while there is room for
 * answers, the write event only while answers wait. The same source builds
 * against minievent (make) and libevent (make compat).
 *
 *   ./rot13_events -p 40713                    (Ctrl-C stops it)
 *   EVENT_SHOW_METHOD=1 EVENT_NOEPOLL=1 ./rot13_events -p 40713
 *   ../common/rot13_check -p 40713 -c 1000 -P -n 3
 *
 * Watch: the line after "listening on" names the backend; the line at
 * exit counts the clients. Out of descriptors, accept pauses on a timer.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <event2/util.h>

#include "conn.h"
#include "net.h"

#define ACCEPT_BATCH 64  /* accepts per callback: existing clients go first */
#define RETRY_MS     100 /* out of descriptors: accept again after this */

struct server {
	struct event_base *base;
	evutil_socket_t lfd;
	struct event *accept_ev; /* EV_READ|EV_PERSIST on the listener */
	struct event *retry_ev;  /* a timer: accepting paused (EMFILE) */
	struct event *sigint_ev, *sigterm_ev;
	struct client *clients; /* every client, to free them at exit */
	unsigned long accepted, failed;
};

struct client {
	struct server *srv;
	struct conn *conn; /* chapter 05's buffers; owns the socket */
	struct event *read_ev, *write_ev;
	struct client *prev, *next;
};

static int server_events(struct server *s);
static void server_free(struct server *s);
static void on_accept(evutil_socket_t lfd, short what, void *arg);
static void on_retry(evutil_socket_t fd, short what, void *arg);
static void on_stop(evutil_socket_t sig, short what, void *arg);
static void client_new(struct server *s, evutil_socket_t fd);
static void on_client(evutil_socket_t fd, short what, void *arg);
static int client_interest(struct client *cl);
static void client_free(struct client *cl);

int
main(int argc, char **argv)
{
	struct server_options opt;
	struct server s = {.lfd = -1};

	server_options_parse(&opt, argc, argv);
	s.lfd = listen_tcp(opt.addr, opt.port, SERVER_BACKLOG);
	if (s.lfd < 0 || evutil_make_socket_nonblocking(s.lfd) < 0 ||
	    announce_listening(s.lfd) < 0) {
		fprintf(stderr, "rot13_events: listen on %s:%d: %s\n", opt.addr,
		        opt.port, strerror(errno));
		server_free(&s);
		return 1;
	}
	if (server_events(&s) < 0) {
		fprintf(stderr, "rot13_events: events: %s\n", strerror(errno));
		server_free(&s);
		return 1;
	}
	printf("rot13_events: backend %s\n", event_base_get_method(s.base));
	fflush(stdout);
	int status = event_base_dispatch(s.base) == -1;
	printf("rot13_events: %lu clients accepted, %lu ended by an error\n",
	       s.accepted, s.failed);
	server_free(&s);
	return status;
}

/* The base and the server's own events: the listener, the retry timer
 * (created now, added only on EMFILE) and SIGINT/SIGTERM. 0 or -1. */
static int
server_events(struct server *s)
{
	s->base = event_base_new();
	if (s->base == NULL)
		return -1;
	s->accept_ev =
	        event_new(s->base, s->lfd, EV_READ | EV_PERSIST, on_accept, s);
	s->retry_ev = evtimer_new(s->base, on_retry, s);
	s->sigint_ev = evsignal_new(s->base, SIGINT, on_stop, s->base);
	s->sigterm_ev = evsignal_new(s->base, SIGTERM, on_stop, s->base);
	if (!s->accept_ev || !s->retry_ev || !s->sigint_ev || !s->sigterm_ev)
		return -1;
	if (event_add(s->accept_ev, NULL) < 0 ||
	    event_add(s->sigint_ev, NULL) < 0 ||
	    event_add(s->sigterm_ev, NULL) < 0)
		return -1;
	return 0;
}

/* Frees what exists, in any state of set-up: every client, every event,
 * the listener and the base last (events must go before their base). */
static void
server_free(struct server *s)
{
	struct event *own[] = {s->accept_ev, s->retry_ev, s->sigint_ev,
	                       s->sigterm_ev};

	while (s->clients)
		client_free(s->clients);
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (own[i]) /* libevent's event_free(NULL) would crash */
			event_free(own[i]);
	if (s->lfd >= 0)
		evutil_closesocket(s->lfd);
	if (s->base)
		event_base_free(s->base);
}

/* SIGINT/SIGTERM, delivered by the loop like any event (chapter 12): the
 * loop ends after this round of callbacks. */
static void
on_stop(evutil_socket_t sig, short what, void *arg)
{
	(void)sig, (void)what;
	event_base_loopexit(arg, NULL);
}

/*
 * Accepts up to ACCEPT_BATCH clients. Out of descriptors (EMFILE, ENFILE,
 * ENOBUFS, ENOMEM) the connection stays queued and the level-triggered
 * listener stays readable: the listener event is deleted and a timer adds
 * it back later, so the loop sleeps instead of spinning.
 */
static void
on_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct server *s = arg;
	struct timeval retry = {0, RETRY_MS * 1000};

	(void)what;
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		evutil_socket_t fd = accept(lfd, NULL, NULL);
		if (fd >= 0) {
			client_new(s, fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		fprintf(stderr, "rot13_events: accept: %s; pausing\n",
		        strerror(errno));
		if (event_del(s->accept_ev) < 0 ||
		    event_add(s->retry_ev, &retry) < 0)
			event_base_loopbreak(s->base); /* cannot pause: stop */
		return;
	}
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;

	(void)fd, (void)what;
	if (event_add(s->accept_ev, NULL) < 0)
		event_base_loopbreak(s->base);
}

/* Wraps fd in a client with its two events; only the read event is added.
 * Any failure (event_add() too: select refuses fd >= FD_SETSIZE) closes
 * the client at once, so nothing is half set up. */
static void
client_new(struct server *s, evutil_socket_t fd)
{
	struct client *cl = calloc(1, sizeof(*cl));

	if (cl == NULL || evutil_make_socket_nonblocking(fd) < 0 ||
	    (cl->conn = conn_new(fd)) == NULL) {
		fprintf(stderr, "rot13_events: new client: %s\n",
		        strerror(errno));
		free(cl);
		evutil_closesocket(fd);
		return;
	}
	cl->srv = s;
	cl->next = s->clients;
	if (s->clients)
		s->clients->prev = cl;
	s->clients = cl;
	s->accepted++;
	cl->read_ev =
	        event_new(s->base, fd, EV_READ | EV_PERSIST, on_client, cl);
	cl->write_ev =
	        event_new(s->base, fd, EV_WRITE | EV_PERSIST, on_client, cl);
	if (!cl->read_ev || !cl->write_ev || client_interest(cl) < 0) {
		fprintf(stderr, "rot13_events: client on fd %d: %s\n", (int)fd,
		        strerror(errno));
		s->failed++;
		client_free(cl);
	}
}

/*
 * Both events of a client call this. Read what fits, then send at once:
 * answers usually fit in the socket buffer, so most clients never need
 * the write event. At EOF the answers still owed are sent before the
 * close (conn_read() already answered an unterminated last line).
 */
static void
on_client(evutil_socket_t fd, short what, void *arg)
{
	struct client *cl = arg;
	struct conn *c = cl->conn;

	(void)fd;
	if ((what & EV_READ) && conn_wants_read(c) && conn_read(c) < 0)
		goto failed;
	if (conn_wants_write(c) && conn_write(c) < 0)
		goto failed;
	if (conn_done(c)) {
		client_free(cl); /* frees the event running now: allowed */
		return;
	}
	if (client_interest(cl) == 0)
		return;
failed:
	cl->srv->failed++;
	client_free(cl);
}

/* Adds or deletes ev so that it is pending exactly when on is nonzero.
 * Asking first keeps the backend from hearing of non-changes. */
static int
event_want(struct event *ev, short what, int on)
{
	int pending = event_pending(ev, what, NULL) != 0;

	if (on && !pending)
		return event_add(ev, NULL);
	if (!on && pending)
		return event_del(ev);
	return 0;
}

/* Waits for what the connection can use now: reading while there is room
 * for the answers, writing while answers wait. A live client always wants
 * one of the two (conn.h). 0, or -1 if the backend refused. */
static int
client_interest(struct client *cl)
{
	if (event_want(cl->read_ev, EV_READ, conn_wants_read(cl->conn)) < 0)
		return -1;
	return event_want(cl->write_ev, EV_WRITE, conn_wants_write(cl->conn));
}

/* Events first (event_free() deletes them, so the backend forgets the
 * socket), then the socket: conn_free() closes it. */
static void
client_free(struct client *cl)
{
	struct server *s = cl->srv;

	if (cl->read_ev)
		event_free(cl->read_ev);
	if (cl->write_ev)
		event_free(cl->write_ev);
	conn_free(cl->conn);
	if (cl->prev)
		cl->prev->next = cl->next;
	else
		s->clients = cl->next;
	if (cl->next)
		cl->next->prev = cl->prev;
	free(cl);
}
