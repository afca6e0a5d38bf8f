/*
 * echo_listener - exercise 15 (reference solution): an echo server on an
 * evconnlistener and bufferevents.
 *
 * Every byte a client sends comes back to it, binary bytes too. When the
 * client half-closes, the server sends what it still owes and then
 * closes. Out of descriptors, accepting pauses and resumes; the server
 * never exits for that. SIGINT or SIGTERM stops it with status 0.
 *
 *   ./echo_listener -p 40713
 *   printf 'hello\n' | nc -q 1 127.0.0.1 40713
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "net.h"

#define OUT_HIGH (64 * 1024) /* echo pending: stop reading above this */
#define RETRY_MS 100         /* accept() failed: try again after this */

struct server {
	struct event_base *base;
	struct evconnlistener *lev;
	struct event *retry_ev, *sigint_ev, *sigterm_ev;
	struct client *clients;
};

struct client {
	struct server *srv;
	struct bufferevent *bev;
	int closing; /* the client half-closed: free once all is sent */
	struct client *prev, *next;
};

static struct evconnlistener *echo_listen(struct server *s,
                                          const struct sockaddr *sa, int len);
static void on_accept(struct evconnlistener *lev, evutil_socket_t fd,
                      struct sockaddr *sa, int socklen, void *arg);
static void on_accept_error(struct evconnlistener *lev, void *arg);
static void on_retry(evutil_socket_t fd, short what, void *arg);
static void on_read(struct bufferevent *bev, void *arg);
static void on_write(struct bufferevent *bev, void *arg);
static void on_event(struct bufferevent *bev, short what, void *arg);
static void on_stop(evutil_socket_t sig, short what, void *arg);
static void server_free(struct server *s);
static void client_free(struct client *cl);

int
main(int argc, char **argv)
{
	struct server_options opt;
	struct server s = {0};
	struct sockaddr_storage ss;
	int len, status;

	server_options_parse(&opt, argc, argv);
	/* bufferevents write with writev(): a client that has gone would
	 * kill the server with SIGPIPE (chapter 14). */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		perror("echo_listener: signal");
		return 1;
	}
	len = server_sockaddr(&opt, &ss);
	if (len < 0 || (s.base = event_base_new()) == NULL ||
	    (s.lev = echo_listen(&s, (struct sockaddr *)&ss, len)) == NULL ||
	    announce_listening(evconnlistener_get_fd(s.lev)) < 0) {
		fprintf(stderr, "echo_listener: listen on %s:%d: %s\n",
		        opt.addr, opt.port, strerror(errno));
		server_free(&s);
		return 1;
	}
	s.retry_ev = evtimer_new(s.base, on_retry, &s);
	s.sigint_ev = evsignal_new(s.base, SIGINT, on_stop, s.base);
	s.sigterm_ev = evsignal_new(s.base, SIGTERM, on_stop, s.base);
	if (!s.retry_ev || !s.sigint_ev || !s.sigterm_ev ||
	    event_add(s.sigint_ev, NULL) < 0 ||
	    event_add(s.sigterm_ev, NULL) < 0) {
		fprintf(stderr, "echo_listener: events: %s\n", strerror(errno));
		server_free(&s);
		return 1;
	}
	status = event_base_dispatch(s.base) == -1;
	server_free(&s);
	return status;
}

/* The listening socket and its listener: accepted sockets come to
 * on_accept() non-blocking; accept() errors go to on_accept_error(). */
static struct evconnlistener *
echo_listen(struct server *s, const struct sockaddr *sa, int len)
{
	struct evconnlistener *lev;

	lev = evconnlistener_new_bind(s->base, on_accept, s,
	                              LEV_OPT_CLOSE_ON_FREE |
	                                      LEV_OPT_REUSEABLE |
	                                      LEV_OPT_CLOSE_ON_EXEC,
	                              -1, sa, len);
	if (lev)
		evconnlistener_set_error_cb(lev, on_accept_error);
	return lev;
}

/* A bufferevent per client; freeing it closes the socket. */
static void
on_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
          int socklen, void *arg)
{
	struct server *s = arg;
	struct client *cl = calloc(1, sizeof(*cl));

	(void)lev, (void)sa, (void)socklen;
	if (cl == NULL ||
	    (cl->bev = bufferevent_socket_new(s->base, fd,
	                                      BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		free(cl);
		evutil_closesocket(fd);
		return;
	}
	cl->srv = s;
	cl->next = s->clients;
	if (s->clients)
		s->clients->prev = cl;
	s->clients = cl;
	bufferevent_setcb(cl->bev, on_read, on_write, on_event, cl);
	if (bufferevent_enable(cl->bev, EV_READ | EV_WRITE) < 0)
		client_free(cl);
}

/* Out of descriptors (or another accept() error): the connection is
 * still queued, so pause rather than be called again at once. */
static void
on_accept_error(struct evconnlistener *lev, void *arg)
{
	struct server *s = arg;
	struct timeval retry = {0, RETRY_MS * 1000};

	if (evconnlistener_disable(lev) < 0 ||
	    evtimer_add(s->retry_ev, &retry) < 0)
		event_base_loopbreak(s->base);
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;

	(void)fd, (void)what;
	if (evconnlistener_enable(s->lev) < 0)
		event_base_loopbreak(s->base);
}

/* Moves the input to the output without copying (chunks change hands);
 * stops reading while too much waits to be sent. */
static void
on_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer *out = bufferevent_get_output(bev);

	if (evbuffer_add_buffer(out, bufferevent_get_input(bev)) < 0) {
		client_free(arg);
		return;
	}
	if (evbuffer_get_length(out) > OUT_HIGH)
		bufferevent_disable(bev, EV_READ);
}

/* The output is empty (the default write low watermark is 0). */
static void
on_write(struct bufferevent *bev, void *arg)
{
	struct client *cl = arg;

	if (cl->closing)
		client_free(cl);
	else if (!(bufferevent_get_enabled(bev) & EV_READ))
		bufferevent_enable(bev, EV_READ);
}

/* EOF: free once the echo is sent, not before (bufferevent_free() would
 * drop it). An error: free now. */
static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct client *cl = arg;

	if ((what & BEV_EVENT_EOF) &&
	    evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
		cl->closing = 1;
		return;
	}
	client_free(cl);
}

static void
on_stop(evutil_socket_t sig, short what, void *arg)
{
	(void)sig, (void)what;
	event_base_loopexit(arg, NULL);
}

/* Frees what exists: clients, events, the listener, the base last. */
static void
server_free(struct server *s)
{
	struct event *own[] = {s->retry_ev, s->sigint_ev, s->sigterm_ev};

	while (s->clients)
		client_free(s->clients);
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (own[i])
			event_free(own[i]);
	if (s->lev)
		evconnlistener_free(s->lev);
	if (s->base)
		event_base_free(s->base);
}

static void
client_free(struct client *cl)
{
	struct server *s = cl->srv;

	bufferevent_free(cl->bev);
	if (cl->prev)
		cl->prev->next = cl->next;
	else
		s->clients = cl->next;
	if (cl->next)
		cl->next->prev = cl->prev;
	free(cl);
}
