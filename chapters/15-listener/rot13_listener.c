/*
 * rot13_listener - chapter 15: chapter 14's ROT13 server with its accept
 * loop handed to an evconnlistener (event2/listener.h).
 *
 * evconnlistener_new_bind() makes the listening socket (socket,
 * SO_REUSEADDR, close-on-exec, non-blocking, bind, listen) and accepts in
 * a loop; on_accept() gets each new socket, already non-blocking, and
 * wraps it in a bufferevent (the client code is rot13_bufferevent's). When
 * accept() fails, out of descriptors say (EMFILE), on_accept_error()
 * pauses the listener for RETRY_MS with evconnlistener_disable() and a
 * timer: minievent would pause by itself, libevent would call the error
 * callback again at once, forever, and this source runs on both.
 *
 *   ./rot13_listener -p 40713                 (Ctrl-C stops it)
 *   ./rot13_listener -p 40713 -r & ./rot13_listener -p 40713 -r
 *   ../common/rot13_check -p 40713 -c 1000 -P -n 3
 *
 * Watch: the line at exit counts the clients; with -r
 * (LEV_OPT_REUSEABLE_PORT) two servers share the port and the kernel
 * splits the clients between them; stderr says when accepting pauses.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "net.h"
#include "rot13.h"

#define OUT_HIGH (1 << 16) /* answers queued: stop reading above */
#define OUT_LOW  (1 << 15) /* ... and read again at or below */
#define RETRY_MS 100       /* accept() failed: accept again after this */

struct server {
	struct event_base *base;
	struct evconnlistener *lev;
	struct event *retry_ev; /* re-enables the listener after a pause */
	struct event *sigint_ev, *sigterm_ev;
	struct client *clients; /* every client, to free them at exit */
	unsigned long accepted, failed, pauses;
	unsigned long in_row; /* pauses since accept() last worked */
	time_t told;          /* when a pause was last reported */
	int telling;          /* that report awaits its "accepting again" */
};

struct client {
	struct server *srv;
	struct bufferevent *bev; /* owns the socket (BEV_OPT_CLOSE_ON_FREE) */
	int eof;                 /* the client has half-closed */
	struct client *prev, *next;
};

static int server_start(struct server *s, const struct server_options *opt,
                        unsigned flags);
static void server_free(struct server *s);
static void on_accept(struct evconnlistener *lev, evutil_socket_t fd,
                      struct sockaddr *sa, int socklen, void *arg);
static void on_accept_error(struct evconnlistener *lev, void *arg);
static void pauses_end(struct server *s);
static void on_retry(evutil_socket_t fd, short what, void *arg);
static void on_stop(evutil_socket_t sig, short what, void *arg);
static void on_read(struct bufferevent *bev, void *arg);
static void on_write(struct bufferevent *bev, void *arg);
static void on_event(struct bufferevent *bev, short what, void *arg);
static int answer(struct evbuffer *in, struct evbuffer *out, int at_eof);
static void client_free(struct client *cl);

int
main(int argc, char **argv)
{
	struct server_options opt;
	struct server s = {0};
	unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
	                 LEV_OPT_CLOSE_ON_EXEC;
	int ch, status;

	server_options_init(&opt);
	while ((ch = getopt(argc, argv, "a:p:r")) != -1) {
		if (ch == 'r')
			flags |= LEV_OPT_REUSEABLE_PORT;
		else if (server_option_apply(&opt, ch, optarg) < 0) {
			fprintf(stderr, "usage: rot13_listener [-a ADDR] "
			                "[-p PORT] [-r]\n");
			return 2;
		}
	}
	/* bufferevents write with writev(): no MSG_NOSIGNAL (chapter 14). */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		perror("rot13_listener: signal");
		return 1;
	}
	if (server_start(&s, &opt, flags) < 0) {
		fprintf(stderr, "rot13_listener: listen on %s:%d: %s\n",
		        opt.addr, opt.port, strerror(errno));
		server_free(&s);
		return 1;
	}
	status = event_base_dispatch(s.base) == -1;
	printf("rot13_listener: %lu clients accepted, %lu ended by an error, "
	       "%lu accept pauses\n",
	       s.accepted, s.failed, s.pauses);
	server_free(&s);
	return status;
}

/* The base, the listener (accepting from now on), the retry timer (added
 * only when accept() fails) and SIGINT/SIGTERM. 0, or -1 with errno. */
static int
server_start(struct server *s, const struct server_options *opt, unsigned flags)
{
	struct sockaddr_storage ss;
	int len = server_sockaddr(opt, &ss);

	if (len < 0 || (s->base = event_base_new()) == NULL)
		return -1;
	/* -1: the library's default backlog (128 in both). */
	s->lev = evconnlistener_new_bind(s->base, on_accept, s, flags, -1,
	                                 (struct sockaddr *)&ss, len);
	if (s->lev == NULL ||
	    announce_listening(evconnlistener_get_fd(s->lev)) < 0)
		return -1;
	evconnlistener_set_error_cb(s->lev, on_accept_error);
	s->retry_ev = evtimer_new(s->base, on_retry, s);
	s->sigint_ev = evsignal_new(s->base, SIGINT, on_stop, s->base);
	s->sigterm_ev = evsignal_new(s->base, SIGTERM, on_stop, s->base);
	if (!s->retry_ev || !s->sigint_ev || !s->sigterm_ev ||
	    event_add(s->sigint_ev, NULL) < 0 ||
	    event_add(s->sigterm_ev, NULL) < 0)
		return -1;
	return 0;
}

/* Frees what exists, in any state of set-up: clients, events, the
 * listener (LEV_OPT_CLOSE_ON_FREE closes its socket), the base last. */
static void
server_free(struct server *s)
{
	struct event *own[] = {s->retry_ev, s->sigint_ev, s->sigterm_ev};

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

/* A new client, its socket already non-blocking. The watermarks are
 * chapter 14's: at most a line limit of input is read ahead, and
 * on_write() runs when the answers queued have drained to OUT_LOW. */
static void
on_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
          int socklen, void *arg)
{
	struct server *s = arg;
	struct client *cl = calloc(1, sizeof(*cl));

	(void)lev, (void)sa, (void)socklen;
	pauses_end(s);
	if (cl == NULL ||
	    (cl->bev = bufferevent_socket_new(s->base, fd,
	                                      BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		fprintf(stderr, "rot13_listener: new client: %s\n",
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
	bufferevent_setcb(cl->bev, on_read, on_write, on_event, cl);
	bufferevent_setwatermark(cl->bev, EV_READ, 0, ROT13_LINE_MAX);
	bufferevent_setwatermark(cl->bev, EV_WRITE, OUT_LOW, 0);
	if (bufferevent_enable(cl->bev, EV_READ) < 0) {
		s->failed++;
		client_free(cl);
	}
}

/*
 * accept() failed with an error the library does not retry by itself:
 * EMFILE or ENFILE (no descriptor), ENOBUFS or ENOMEM, or a network error
 * of the connection being accepted. The connection may still be queued,
 * so the listening socket is still readable: pause instead of spinning.
 * While descriptors are short, each one freed lets one accept() through
 * and the next fails again: the report comes at most once a second.
 */
static void
on_accept_error(struct evconnlistener *lev, void *arg)
{
	struct server *s = arg;
	struct timeval retry = {0, RETRY_MS * 1000}, now = {0, 0};
	int err = EVUTIL_SOCKET_ERROR();

	s->pauses++;
	event_base_gettimeofday_cached(s->base, &now);
	if (s->in_row++ == 0 && now.tv_sec - s->told >= 1) {
		fprintf(stderr, "rot13_listener: accept: %s; pausing %d ms\n",
		        evutil_socket_error_to_string(err), RETRY_MS);
		s->told = now.tv_sec;
		s->telling = 1;
	}
	if (evconnlistener_disable(lev) < 0 ||
	    evtimer_add(s->retry_ev, &retry) < 0)
		event_base_loopbreak(s->base); /* cannot pause: stop */
}

/* accept() works again: ends the report of the pause, if one was made. */
static void
pauses_end(struct server *s)
{
	if (s->in_row > 0 && s->telling)
		fprintf(stderr,
		        "rot13_listener: accepting again after %lu "
		        "pauses\n",
		        s->in_row);
	s->in_row = 0;
	s->telling = 0;
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;

	(void)fd, (void)what;
	if (evconnlistener_enable(s->lev) < 0)
		event_base_loopbreak(s->base);
}

/* New input: answer it, and stop reading while the answers pile up. */
static void
on_read(struct bufferevent *bev, void *arg)
{
	struct client *cl = arg;
	struct evbuffer *out = bufferevent_get_output(bev);

	if (answer(bufferevent_get_input(bev), out, 0) < 0) {
		cl->srv->failed++;
		client_free(cl);
	} else if (evbuffer_get_length(out) >= OUT_HIGH) {
		bufferevent_disable(bev, EV_READ);
	}
}

/* The output has drained to the write low watermark: read again, or, after
 * EOF (the watermark is 0 then), close: every answer has been written. */
static void
on_write(struct bufferevent *bev, void *arg)
{
	struct client *cl = arg;

	if (cl->eof)
		client_free(cl);
	else if (!(bufferevent_get_enabled(bev) & EV_READ) &&
	         bufferevent_enable(bev, EV_READ) < 0)
		client_free(cl);
}

/* EOF: answer the unterminated last line, then close once the output is
 * empty: bufferevent_free() would drop unsent answers. Anything else (an
 * error such as a reset) ends the client at once. */
static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct client *cl = arg;
	struct evbuffer *out = bufferevent_get_output(bev);

	if (!(what & BEV_EVENT_EOF) ||
	    answer(bufferevent_get_input(bev), out, 1) < 0) {
		cl->srv->failed++;
		client_free(cl);
		return;
	}
	cl->eof = 1;
	bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
	if (evbuffer_get_length(out) == 0)
		client_free(cl);
}

/*
 * Moves each complete line of in, rotated, to out; a line that reaches
 * ROT13_LINE_MAX bytes is answered in pieces of that size, and at_eof the
 * unterminated rest too. Returns 0, or -1 if out could not grow.
 */
static int
answer(struct evbuffer *in, struct evbuffer *out, int at_eof)
{
	char line[ROT13_LINE_MAX + 1];
	struct evbuffer_ptr eol;
	size_t n, have;
	int whole; /* a '\n' within the limit ends the piece */

	while ((have = evbuffer_get_length(in)) > 0) {
		eol = evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_LF);
		whole = eol.pos >= 0 && eol.pos < ROT13_LINE_MAX;
		if (whole)
			n = (size_t)eol.pos + 1;
		else if (have >= ROT13_LINE_MAX || at_eof)
			n = have < ROT13_LINE_MAX ? have : ROT13_LINE_MAX;
		else
			return 0; /* wait for the rest of the line */
		if (evbuffer_remove(in, line, n) != (int)n)
			return -1;
		for (size_t i = 0; i < n; i++)
			line[i] = rot13_char(line[i]);
		if (!whole)
			line[n++] = '\n';
		if (evbuffer_add(out, line, n) < 0)
			return -1;
	}
	return 0;
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
	free(cl);
}
