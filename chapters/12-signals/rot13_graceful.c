/*
 * rot13_graceful - chapter 12: the ROT13 server on minievent, with a
 * graceful shutdown.
 *
 * SIGINT and SIGTERM are events (evsignal_new), so their callback runs from
 * the loop and may do anything. The first one closes the listener (new
 * clients are refused), lets every connected client finish: send its last
 * lines, half-close and receive every answer it is owed, then frees
 * everything and exits 0. A grace period (-g SECONDS, default 5) bounds
 * the wait: when it ends, clients still there are cut off. A second signal
 * stops at once. SIGPIPE is ignored (see the lesson: libevent leaves that
 * to the program).
 *
 *   ./rot13_graceful -p 40713 -g 5
 *   nc 127.0.0.1 40713     type a line; Ctrl-C the server; type another
 *                          line: it is answered; Ctrl-D: the server exits
 *
 * Watch: "stopping: N client(s) to finish" after the signal, then either
 * "all clients finished" or "grace period over: cutting off N client(s)".
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "conn.h"
#include "net.h"

#define GRACE_DEFAULT 5 /* seconds */

struct server {
	struct event_base *base;
	int listen_fd; /* -1 once stopping */
	struct event *listener, *on_int, *on_term, *grace;
	struct timeval grace_tv;
	struct client *clients; /* doubly linked, for the cut-off */
	int nclients, stopping;
};

struct client {
	struct server *srv;
	struct conn *c; /* owns the descriptor */
	struct event *rd, *wr;
	struct client *prev, *next;
};

static int server_init(struct server *srv, int argc, char **argv);
static void server_free(struct server *srv);
static void accept_cb(evutil_socket_t fd, short what, void *arg);
static void signal_cb(evutil_socket_t sig, short what, void *arg);
static void grace_cb(evutil_socket_t fd, short what, void *arg);
static void client_cb(evutil_socket_t fd, short what, void *arg);
static void client_free(struct client *cl);

int
main(int argc, char **argv)
{
	struct server srv;
	int res = 1;

	/* A send to a client that has gone would otherwise kill us. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		perror("rot13_graceful: signal");
		return 1;
	}
	if (server_init(&srv, argc, argv) == 0 &&
	    event_base_dispatch(srv.base) != -1)
		res = 0;
	server_free(&srv);
	return res;
}

static int
parse_grace(struct server *srv, int argc, char **argv, struct server_options *o)
{
	int ch;
	char *end;

	server_options_init(o);
	srv->grace_tv = (struct timeval){GRACE_DEFAULT, 0};
	while ((ch = getopt(argc, argv, "a:p:g:")) != -1) {
		if (ch == 'g') {
			srv->grace_tv.tv_sec = strtol(optarg, &end, 10);
			if (end == optarg || *end || srv->grace_tv.tv_sec < 0)
				break;
		} else if (server_option_apply(o, ch, optarg) < 0) {
			break;
		}
	}
	if (ch == -1 && optind == argc)
		return 0;
	fprintf(stderr, "usage: rot13_graceful [-a ADDR] [-p PORT] [-g SEC]\n");
	exit(2);
}

static int
server_init(struct server *srv, int argc, char **argv)
{
	struct server_options opt;

	memset(srv, 0, sizeof(*srv));
	parse_grace(srv, argc, argv, &opt);
	srv->listen_fd = listen_tcp(opt.addr, opt.port, SERVER_BACKLOG);
	if (srv->listen_fd < 0 || set_nonblocking(srv->listen_fd) < 0) {
		fprintf(stderr, "rot13_graceful: listen on %s:%d: %s\n",
		        opt.addr, opt.port, strerror(errno));
		return -1;
	}
	srv->base = event_base_new();
	if (!srv->base)
		return -1;
	srv->listener = event_new(srv->base, srv->listen_fd,
	                          EV_READ | EV_PERSIST, accept_cb, srv);
	srv->on_int = evsignal_new(srv->base, SIGINT, signal_cb, srv);
	srv->on_term = evsignal_new(srv->base, SIGTERM, signal_cb, srv);
	srv->grace = evtimer_new(srv->base, grace_cb, srv);
	if (!srv->listener || !srv->on_int || !srv->on_term || !srv->grace ||
	    event_add(srv->listener, NULL) < 0 ||
	    evsignal_add(srv->on_int, NULL) < 0 ||
	    evsignal_add(srv->on_term, NULL) < 0) {
		fprintf(stderr, "rot13_graceful: events: %s\n",
		        strerror(errno));
		return -1;
	}
	return announce_listening(srv->listen_fd);
}

/* Frees what exists; safe on a half-built server. */
static void
server_free(struct server *srv)
{
	while (srv->clients)
		client_free(srv->clients);
	event_free(srv->listener);
	event_free(srv->on_int);
	event_free(srv->on_term);
	event_free(srv->grace);
	if (srv->base)
		event_base_free(srv->base);
	if (srv->listen_fd >= 0)
		close(srv->listen_fd);
}

/* Runs from the loop, not from the handler: printf and free are fine. */
static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct server *srv = arg;

	(void)what;
	if (srv->stopping) {
		printf("second signal (%s): stopping now\n", strsignal(sig));
		event_base_loopbreak(srv->base);
		return;
	}
	srv->stopping = 1;
	event_free(srv->listener); /* no more accepts */
	srv->listener = NULL;
	close(srv->listen_fd); /* new clients are now refused */
	srv->listen_fd = -1;
	printf("stopping (%s): %d client(s) to finish, grace %ld s\n",
	       strsignal(sig), srv->nclients, (long)srv->grace_tv.tv_sec);
	fflush(stdout);
	if (srv->nclients == 0)
		event_base_loopbreak(srv->base);
	else if (evtimer_add(srv->grace, &srv->grace_tv) < 0)
		event_base_loopbreak(srv->base);
}

static void
grace_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;

	(void)fd, (void)what;
	printf("grace period over: cutting off %d client(s)\n", srv->nclients);
	fflush(stdout);
	event_base_loopbreak(srv->base);
}

static void
accept_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;
	struct client *cl;
	int cfd;

	(void)what;
	cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0) {
		accept_error("rot13_graceful");
		return;
	}
	cl = calloc(1, sizeof(*cl));
	if (!cl || !(cl->c = conn_new(cfd))) {
		free(cl);
		close(cfd);
		return;
	}
	cl->srv = srv;
	cl->rd = event_new(srv->base, cfd, EV_READ | EV_PERSIST, client_cb, cl);
	cl->wr =
	        event_new(srv->base, cfd, EV_WRITE | EV_PERSIST, client_cb, cl);
	cl->next = srv->clients;
	if (srv->clients)
		srv->clients->prev = cl;
	srv->clients = cl;
	srv->nclients++;
	if (!cl->rd || !cl->wr || event_add(cl->rd, NULL) < 0)
		client_free(cl);
}

/* Reads, answers, and waits for what the connection needs next. */
static void
client_cb(evutil_socket_t fd, short what, void *arg)
{
	struct client *cl = arg;
	int failed = 0;

	(void)fd;
	if (what & EV_READ)
		failed = conn_read(cl->c) < 0;
	if (!failed && conn_wants_write(cl->c))
		failed = conn_write(cl->c) < 0;
	if (failed || conn_done(cl->c)) {
		client_free(cl);
		return;
	}
	if (conn_wants_read(cl->c) ? event_add(cl->rd, NULL)
	                           : event_del(cl->rd))
		failed = 1;
	if (conn_wants_write(cl->c) ? event_add(cl->wr, NULL)
	                            : event_del(cl->wr))
		failed = 1;
	if (failed)
		client_free(cl);
}

/* The last client of a stopping server ends the loop. */
static void
client_free(struct client *cl)
{
	struct server *srv = cl->srv;

	if (cl->prev)
		cl->prev->next = cl->next;
	else
		srv->clients = cl->next;
	if (cl->next)
		cl->next->prev = cl->prev;
	event_free(cl->rd);
	event_free(cl->wr);
	if (cl->c)
		conn_free(cl->c);
	free(cl);
	if (--srv->nclients == 0 && srv->stopping) {
		printf("all clients finished\n");
		fflush(stdout);
		event_base_loopbreak(srv->base);
	}
}
