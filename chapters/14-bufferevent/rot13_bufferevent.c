/*
 * rot13_bufferevent - chapter 14: the ROT13 server on bufferevents, written
 * against libevent 2.1's event2/bufferevent.h and event2/buffer.h only.
 *
 * One bufferevent per client does the reading, the writing and the
 * buffering that chapter 10's server did by hand. Two watermarks bound its
 * memory: the read high watermark keeps at most one line limit (16384
 * bytes) of input, and when the answers queued for a client that does not
 * read pass OUT_HIGH, reading from it stops until they drain to OUT_LOW
 * (backpressure). At EOF every answer owed is sent before the close.
 * Accepting is a plain event here; chapter 15 hands it to evconnlistener.
 *
 *   ./rot13_bufferevent -p 40713 [-T SECONDS]  (Ctrl-C stops it)
 *   ../common/rot13_check -p 40713 -c 1000 -P -n 3
 *   ../common/rot13_check -p 40713 -N -m long -n 64000000   (never reads)
 *
 * Watch: the line at exit counts the clients, the pauses for backpressure
 * and the clients dropped (an error, or no write progress for -T seconds,
 * default 30; 0 waits forever).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "net.h"
#include "rot13.h"

#define ACCEPT_BATCH  64        /* accepts per callback at most */
#define OUT_HIGH      (1 << 16) /* answers queued: stop reading above */
#define OUT_LOW       (1 << 15) /* ... and read again at or below */
#define WRITE_TIMEOUT 30        /* seconds without write progress (-T) */

struct server {
	struct event_base *base;
	evutil_socket_t lfd;
	struct event *accept_ev, *sigint_ev, *sigterm_ev;
	struct timeval write_timeout; /* 0: none */
	struct client *clients;       /* every client, to free them at exit */
	unsigned long accepted, paused, dropped;
};

struct client {
	struct server *srv;
	struct bufferevent *bev; /* owns the socket (BEV_OPT_CLOSE_ON_FREE) */
	int eof;                 /* the client has half-closed */
	struct client *prev, *next;
};

static void parse_args(struct server *s, int argc, char **argv,
                       struct server_options *opt);
static int server_events(struct server *s);
static void server_free(struct server *s);
static void on_stop(evutil_socket_t sig, short what, void *arg);
static void on_accept(evutil_socket_t lfd, short what, void *arg);
static void client_new(struct server *s, evutil_socket_t fd);
static void on_read(struct bufferevent *bev, void *arg);
static void on_write(struct bufferevent *bev, void *arg);
static void on_event(struct bufferevent *bev, short what, void *arg);
static int answer(struct evbuffer *in, struct evbuffer *out, int at_eof);
static void client_free(struct client *cl);

int
main(int argc, char **argv)
{
	struct server_options opt;
	struct server s = {.lfd = -1};
	int status = 1;

	parse_args(&s, argc, argv, &opt);
	/* bufferevents write with writev(): no MSG_NOSIGNAL (chapter 12). */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		perror("rot13_bufferevent: signal");
		return 1;
	}
	s.lfd = listen_tcp(opt.addr, opt.port, SERVER_BACKLOG);
	if (s.lfd < 0 || evutil_make_socket_nonblocking(s.lfd) < 0 ||
	    announce_listening(s.lfd) < 0) {
		fprintf(stderr, "rot13_bufferevent: listen on %s:%d: %s\n",
		        opt.addr, opt.port, strerror(errno));
	} else if (server_events(&s) < 0) {
		fprintf(stderr, "rot13_bufferevent: events: %s\n",
		        strerror(errno));
	} else {
		status = event_base_dispatch(s.base) == -1;
		printf("rot13_bufferevent: %lu clients accepted, %lu dropped, "
		       "backpressure pauses: %lu\n",
		       s.accepted, s.dropped, s.paused);
	}
	server_free(&s);
	return status;
}

static void
parse_args(struct server *s, int argc, char **argv, struct server_options *opt)
{
	long sec = WRITE_TIMEOUT;
	char *end = NULL;
	int ch;

	server_options_init(opt);
	while ((ch = getopt(argc, argv, "a:p:T:")) != -1) {
		if (ch == 'T')
			sec = strtol(optarg, &end, 10);
		if (ch == 'T' ? end == optarg || *end || sec < 0
		              : server_option_apply(opt, ch, optarg) < 0)
			break;
	}
	if (ch != -1 || optind != argc) {
		fprintf(stderr, "usage: rot13_bufferevent [-a ADDR] [-p PORT] "
		                "[-T SECONDS]\n");
		exit(2);
	}
	s->write_timeout = (struct timeval){sec, 0};
}

/* The base and the server's own events: the listener and SIGINT/SIGTERM.
 * 0 or -1. */
static int
server_events(struct server *s)
{
	s->base = event_base_new();
	if (s->base == NULL)
		return -1;
	s->accept_ev =
	        event_new(s->base, s->lfd, EV_READ | EV_PERSIST, on_accept, s);
	s->sigint_ev = evsignal_new(s->base, SIGINT, on_stop, s->base);
	s->sigterm_ev = evsignal_new(s->base, SIGTERM, on_stop, s->base);
	if (!s->accept_ev || !s->sigint_ev || !s->sigterm_ev)
		return -1;
	if (event_add(s->accept_ev, NULL) < 0 ||
	    event_add(s->sigint_ev, NULL) < 0 ||
	    event_add(s->sigterm_ev, NULL) < 0)
		return -1;
	return 0;
}

/* Frees what exists, in any state of set-up; the base goes last. */
static void
server_free(struct server *s)
{
	struct event *own[] = {s->accept_ev, s->sigint_ev, s->sigterm_ev};

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

static void
on_stop(evutil_socket_t sig, short what, void *arg)
{
	(void)sig, (void)what;
	event_base_loopexit(arg, NULL);
}

/* Up to ACCEPT_BATCH clients per callback: enough to keep the listen
 * queue from overflowing in a burst, few enough that the connected clients
 * are not kept waiting. Out of descriptors, accept_error() pauses briefly
 * instead of spinning (chapter 15 does better). */
static void
on_accept(evutil_socket_t lfd, short what, void *arg)
{
	(void)what;
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		evutil_socket_t fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				accept_error("rot13_bufferevent");
			return;
		}
		client_new(arg, fd);
	}
}

/*
 * A bufferevent for the client. The read high watermark stops reading
 * while a whole line limit of input waits; the write low watermark calls
 * on_write() once the answers have drained to OUT_LOW. Writing is enabled
 * by default: the bufferevent writes whenever its output holds bytes.
 */
static void
client_new(struct server *s, evutil_socket_t fd)
{
	struct client *cl = calloc(1, sizeof(*cl));
	struct timeval *wt = s->write_timeout.tv_sec ? &s->write_timeout : NULL;

	if (cl == NULL ||
	    (cl->bev = bufferevent_socket_new(s->base, fd,
	                                      BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		fprintf(stderr, "rot13_bufferevent: new client: %s\n",
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
	if (bufferevent_set_timeouts(cl->bev, NULL, wt) < 0 ||
	    bufferevent_enable(cl->bev, EV_READ) < 0) {
		fprintf(stderr, "rot13_bufferevent: client on fd %d: %s\n",
		        (int)fd, strerror(errno));
		s->dropped++;
		client_free(cl);
	}
}

/* New input: answer it, and stop reading while the answers pile up. */
static void
on_read(struct bufferevent *bev, void *arg)
{
	struct client *cl = arg;
	struct evbuffer *out = bufferevent_get_output(bev);

	if (answer(bufferevent_get_input(bev), out, 0) < 0) {
		cl->srv->dropped++;
		client_free(cl);
	} else if (evbuffer_get_length(out) >= OUT_HIGH) {
		cl->srv->paused++;
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

/*
 * EOF: the library has stopped reading. Answer the unterminated last line,
 * then close once the output is empty, not now: bufferevent_free() drops
 * unsent output (the seeds' server lost answers that way). Anything else
 * (an error such as a reset, a write timeout) ends the client at once.
 */
static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct client *cl = arg;
	struct evbuffer *out = bufferevent_get_output(bev);

	if (!(what & BEV_EVENT_EOF) ||
	    answer(bufferevent_get_input(bev), out, 1) < 0) {
		cl->srv->dropped++;
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

/* bufferevent_free() closes the socket and deletes its events, and may be
 * called from the bufferevent's own callbacks. */
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
