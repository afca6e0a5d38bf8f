/*
 * emfile_server - chapter 15: an evconnlistener that runs out of
 * descriptors (EMFILE), with an error callback that only counts.
 *
 * When accept() fails for lack of descriptors, the connection stays in the
 * listen queue and the listening socket stays readable. This server does
 * nothing about it in its error callback, so what happens next is the
 * library's choice: libevent 2.1 keeps its listener event armed and the
 * loop calls the error callback again at once, at full CPU; minievent
 * pauses accepting and retries on a timer. Twice a second, if anything
 * happened, a line reports the clients open, the accepts and error
 * callbacks, and the CPU time used since the last line.
 *
 * Clients get ROT13 of every byte they send, a stream version of the
 * protocol that is enough for short lines (rot13_listener speaks all of
 * it), and are closed when they close.
 *
 *   (ulimit -Sn 32; ./emfile_server -p 40713)
 *   ../common/rot13_check -p 40713 -i 40 -N -n 1 -t 30 &  (fills the table)
 *   ../common/rot13_check -p 40713 -P -n 3 -t 30   (waits; served later)
 *
 * Watch: "error callbacks" and "ms CPU" while the table is full, here and
 * in .build/emfile_server-libevent (the same source on libevent 2.1).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "net.h"
#include "rot13.h"

#define REPORT_MS 500         /* a report line per half second, if news */
#define OUT_MAX   (64 * 1024) /* a client that reads nothing is cut off */

struct counts {
	long open;                      /* clients connected now */
	unsigned long accepted, errors; /* so far */
	long cpu_ms;
};

struct server {
	struct event_base *base;
	struct evconnlistener *lev;
	struct event *report_ev, *sigint_ev, *sigterm_ev;
	struct client *clients;
	struct counts now, reported; /* the report prints the difference */
	unsigned long errors_in_row, ticks;
	int recovered; /* accept() has worked again after the first error */
};

struct client {
	struct server *srv;
	struct bufferevent *bev;
	struct client *prev, *next;
};

static int server_start(struct server *s, const struct server_options *opt);
static void server_free(struct server *s);
static void on_accept(struct evconnlistener *lev, evutil_socket_t fd,
                      struct sockaddr *sa, int socklen, void *arg);
static void on_accept_error(struct evconnlistener *lev, void *arg);
static void on_report(evutil_socket_t fd, short what, void *arg);
static void on_stop(evutil_socket_t sig, short what, void *arg);
static void on_read(struct bufferevent *bev, void *arg);
static void on_drained(struct bufferevent *bev, void *arg);
static void on_event(struct bufferevent *bev, short what, void *arg);
static void client_free(struct client *cl);

int
main(int argc, char **argv)
{
	struct server_options opt;
	struct server s = {0};
	int status;

	server_options_parse(&opt, argc, argv);
	/* bufferevents write with writev(): no MSG_NOSIGNAL (chapter 14). */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		perror("emfile_server: signal");
		return 1;
	}
	if (server_start(&s, &opt) < 0) {
		fprintf(stderr, "emfile_server: listen on %s:%d: %s\n",
		        opt.addr, opt.port, strerror(errno));
		server_free(&s);
		return 1;
	}
	status = event_base_dispatch(s.base) == -1;
	printf("emfile_server: %lu clients accepted, %lu error callbacks\n",
	       s.now.accepted, s.now.errors);
	server_free(&s);
	return status;
}

/* The base, the listener (bound, listening, accepting), the report timer
 * and SIGINT/SIGTERM. 0, or -1 with errno set. */
static int
server_start(struct server *s, const struct server_options *opt)
{
	struct sockaddr_storage ss;
	struct timeval every = {0, REPORT_MS * 1000};
	int len = server_sockaddr(opt, &ss);

	if (len < 0 || (s->base = event_base_new()) == NULL)
		return -1;
	s->lev = evconnlistener_new_bind(s->base, on_accept, s,
	                                 LEV_OPT_CLOSE_ON_FREE |
	                                         LEV_OPT_REUSEABLE |
	                                         LEV_OPT_CLOSE_ON_EXEC,
	                                 -1, (struct sockaddr *)&ss, len);
	if (s->lev == NULL ||
	    announce_listening(evconnlistener_get_fd(s->lev)) < 0)
		return -1;
	evconnlistener_set_error_cb(s->lev, on_accept_error);
	s->report_ev = event_new(s->base, -1, EV_PERSIST, on_report, s);
	s->sigint_ev = evsignal_new(s->base, SIGINT, on_stop, s->base);
	s->sigterm_ev = evsignal_new(s->base, SIGTERM, on_stop, s->base);
	if (!s->report_ev || !s->sigint_ev || !s->sigterm_ev)
		return -1;
	if (event_add(s->report_ev, &every) < 0 ||
	    event_add(s->sigint_ev, NULL) < 0 ||
	    event_add(s->sigterm_ev, NULL) < 0)
		return -1;
	return 0;
}

/* Frees what exists: clients, events, the listener (which closes its
 * socket: LEV_OPT_CLOSE_ON_FREE), the base last. */
static void
server_free(struct server *s)
{
	struct event *own[] = {s->report_ev, s->sigint_ev, s->sigterm_ev};

	while (s->clients)
		client_free(s->clients);
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (own[i]) /* libevent's event_free(NULL) would crash */
			event_free(own[i]);
	if (s->lev)
		evconnlistener_free(s->lev);
	if (s->base)
		event_base_free(s->base);
}

static void
on_stop(evutil_socket_t sig, short what, void *arg)
{
	(void)sig, (void)what;
	event_base_loopexit(arg, NULL);
}

/* The socket is already non-blocking (no LEV_OPT_LEAVE_SOCKETS_BLOCKING). */
static void
on_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
          int socklen, void *arg)
{
	struct server *s = arg;
	struct client *cl = calloc(1, sizeof(*cl));

	(void)lev, (void)sa, (void)socklen;
	if (s->errors_in_row > 0 && !s->recovered) {
		printf("emfile_server: accepting again after %lu error "
		       "callbacks\n",
		       s->errors_in_row);
		s->recovered = 1;
	}
	s->errors_in_row = 0;
	if (cl == NULL ||
	    (cl->bev = bufferevent_socket_new(s->base, fd,
	                                      BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		fprintf(stderr, "emfile_server: new client: %s\n",
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
	s->now.accepted++;
	s->now.open++;
	bufferevent_setcb(cl->bev, on_read, NULL, on_event, cl);
	if (bufferevent_enable(cl->bev, EV_READ | EV_WRITE) < 0)
		client_free(cl);
}

/* Called after a failed accept(), with errno still set by it. Counting is
 * all it does: whether the loop spins now is the library's doing. */
static void
on_accept_error(struct evconnlistener *lev, void *arg)
{
	struct server *s = arg;
	int err = EVUTIL_SOCKET_ERROR();

	(void)lev;
	s->errors_in_row++;
	if (++s->now.errors == 1) /* later ones show in the reports */
		printf("emfile_server: accept: %s (error callback 1)\n",
		       evutil_socket_error_to_string(err));
}

/* Milliseconds of CPU (user + system) this process has used. */
static long
cpu_ms(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return 0;
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000L +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

static void
on_report(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;
	struct counts *r = &s->reported;

	(void)fd, (void)what;
	s->ticks++;
	s->now.cpu_ms = cpu_ms();
	if (s->now.accepted != r->accepted || s->now.errors != r->errors ||
	    s->now.open != r->open)
		printf("emfile_server: %4.1f s: %ld clients, +%lu accepted, "
		       "+%lu error callbacks, %ld ms CPU\n",
		       s->ticks * REPORT_MS / 1000.0, s->now.open,
		       s->now.accepted - r->accepted, s->now.errors - r->errors,
		       s->now.cpu_ms - r->cpu_ms);
	fflush(stdout);
	*r = s->now;
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	char buf[4096];
	int n;

	while ((n = evbuffer_remove(in, buf, sizeof(buf))) > 0) {
		for (int i = 0; i < n; i++)
			buf[i] = rot13_char(buf[i]);
		if (bufferevent_write(bev, buf, (size_t)n) < 0)
			break;
	}
	if (evbuffer_get_length(bufferevent_get_output(bev)) > OUT_MAX)
		client_free(arg);
}

/* The client has closed: send what is still owed, then free. */
static void
on_drained(struct bufferevent *bev, void *arg)
{
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		client_free(arg);
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	if (what & BEV_EVENT_EOF) {
		bufferevent_setcb(bev, NULL, on_drained, on_event, arg);
		on_drained(bev, arg);
		return;
	}
	client_free(arg); /* BEV_EVENT_ERROR: nothing more can be sent */
}

static void
client_free(struct client *cl)
{
	struct server *s = cl->srv;

	/* Closes the socket too: BEV_OPT_CLOSE_ON_FREE. */
	bufferevent_free(cl->bev);
	if (cl->prev)
		cl->prev->next = cl->next;
	else
		s->clients = cl->next;
	if (cl->next)
		cl->next->prev = cl->prev;
	s->now.open--;
	free(cl);
}
