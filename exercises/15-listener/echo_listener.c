/*
 * echo_listener - exercise 15: an echo server on an evconnlistener and
 * bufferevents. Write the six functions marked "Exercise" below; the rest
 * (main, the address, cleanup) is done. README.md says what each must do,
 * `make check` tests it, `make hint` helps.
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

/*
 * Exercise: make the listening socket and its listener with
 * evconnlistener_new_bind() on s->base, for the address sa (len bytes):
 * new connections go to on_accept() with s as its argument, accept()
 * errors to on_accept_error(). Pick the LEV_OPT_* flags a server needs.
 * Return the listener, or NULL with errno set.
 */
static struct evconnlistener *
echo_listen(struct server *s, const struct sockaddr *sa, int len)
{
	/* The casts keep the compiler quiet about callbacks that nothing
	 * uses yet; delete them when you use the callbacks. */
	(void)on_accept, (void)on_accept_error;
	(void)s, (void)sa, (void)len;
	errno = ENOSYS;
	return NULL;
}

/*
 * Exercise: a new connection, fd, already non-blocking. Give it a
 * bufferevent whose callbacks are on_read(), on_write() and on_event(),
 * put it on the server's list of clients (struct client), and start
 * reading and writing. On failure, close fd.
 */
static void
on_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
          int socklen, void *arg)
{
	(void)on_read, (void)on_write, (void)on_event;
	(void)lev, (void)sa, (void)socklen, (void)arg;
	evutil_closesocket(fd);
}

/*
 * Exercise: accept() failed, with errno telling why (EMFILE: out of
 * descriptors). The connection may still be queued. Make sure the server
 * goes on and accepts again later (s->retry_ev is a timer whose callback,
 * on_retry(), calls evconnlistener_enable()).
 */
static void
on_accept_error(struct evconnlistener *lev, void *arg)
{
	(void)lev, (void)arg;
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;

	(void)fd, (void)what;
	if (evconnlistener_enable(s->lev) < 0)
		event_base_loopbreak(s->base);
}

/* Exercise: send back everything that came in. */
static void
on_read(struct bufferevent *bev, void *arg)
{
	(void)bev, (void)arg;
}

/* Exercise: called when the output has drained to the write low
 * watermark (0 unless you change it). */
static void
on_write(struct bufferevent *bev, void *arg)
{
	(void)bev, (void)arg;
}

/* Exercise: BEV_EVENT_EOF (the client half-closed) or BEV_EVENT_ERROR.
 * Free the client, but never before it has everything it is owed. */
static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev, (void)what, (void)arg;
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
