/*
 * rot13_idle - chapter 11: the ROT13 server on events, with an idle
 * timeout: a client that neither sends nor takes its answers for -i
 * SECONDS (default 30) is disconnected.
 *
 * The timeout rides on the event the client is waiting on: the read event
 * while the server reads from it, the write event when it only waits to
 * send (the client stopped reading). One event carries both the readiness
 * and the deadline, so there is no second timer to create, add and free
 * per client, and every event_add() after progress moves the deadline.
 * All clients share one duration, so it is a common timeout: adding and
 * deleting it is O(1) however many clients there are.
 *
 *   ./rot13_idle -p 40713 -i 5                 (Ctrl-C stops it)
 *   ../common/rot13_check -p 40713 -n 3        (answered)
 *   nc 127.0.0.1 40713                         (type nothing: gone in 5 s)
 *
 * Watch: a line "idle for 5 s: disconnected" per client dropped; the
 * count of dropped clients at exit.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "conn.h"
#include "net.h"

#define DEFAULT_IDLE_S 30
#define ACCEPT_BATCH   64 /* accepts per callback: existing clients first */

struct server {
	struct event_base *base;
	const struct timeval *idle; /* the common timeout */
	long idle_s;
	unsigned long served, dropped;
	LIST_HEAD(client_list, client) clients; /* to free them at exit */
};

struct client {
	struct server *srv;
	struct conn *conn; /* buffers and the socket (chapter 05) */
	struct event *read_ev, *write_ev;
	LIST_ENTRY(client) link;
};

static void parse_args(int argc, char **argv, struct server_options *opt,
                       long *idle_s);
static void on_accept(evutil_socket_t lfd, short what, void *arg);
static void on_stop(evutil_socket_t sig, short what, void *arg);
static void client_new(struct server *s, evutil_socket_t fd);
static void on_client(evutil_socket_t fd, short what, void *arg);
static int client_update(struct client *cl);
static void client_free(struct client *cl);
_Noreturn static void die(const char *what);

int
main(int argc, char **argv)
{
	struct server_options opt;
	struct server s = {0};
	parse_args(argc, argv, &opt, &s.idle_s);
	LIST_INIT(&s.clients);
	int lfd = listen_tcp(opt.addr, opt.port, SERVER_BACKLOG);
	if (lfd == -1 || set_nonblocking(lfd) == -1 ||
	    announce_listening(lfd) == -1)
		die("listen");
	s.base = event_base_new();
	if (s.base == NULL)
		die("event_base_new");
	struct timeval idle = {s.idle_s, 0};
	s.idle = event_base_init_common_timeout(s.base, &idle);
	struct event *acc =
	        event_new(s.base, lfd, EV_READ | EV_PERSIST, on_accept, &s);
	struct event *sigint = evsignal_new(s.base, SIGINT, on_stop, s.base);
	struct event *sigterm = evsignal_new(s.base, SIGTERM, on_stop, s.base);
	if (s.idle == NULL || acc == NULL || sigint == NULL ||
	    sigterm == NULL || event_add(acc, NULL) == -1 ||
	    event_add(sigint, NULL) == -1 || event_add(sigterm, NULL) == -1)
		die("setting up the events");
	if (event_base_dispatch(s.base) == -1)
		die("event_base_dispatch");
	while (!LIST_EMPTY(&s.clients))
		client_free(LIST_FIRST(&s.clients));
	printf("rot13_idle: %lu clients served, %lu dropped for idleness\n",
	       s.served, s.dropped);
	event_free(acc);
	event_free(sigint);
	event_free(sigterm);
	event_base_free(s.base);
	close(lfd);
	return 0;
}

static void
parse_args(int argc, char **argv, struct server_options *opt, long *idle_s)
{
	int ch;
	server_options_init(opt);
	*idle_s = DEFAULT_IDLE_S;
	while ((ch = getopt(argc, argv, "p:a:i:")) != -1) {
		if (ch == 'i' && (*idle_s = atol(optarg)) > 0)
			continue;
		if (ch != 'i' && server_option_apply(opt, ch, optarg) == 0)
			continue;
		fprintf(stderr, "usage: rot13_idle [-p PORT] [-a ADDR] "
		                "[-i SECONDS]\n");
		exit(2);
	}
}

static void
on_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct server *s = arg;
	(void)what;
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				accept_error("rot13_idle");
			return;
		}
		client_new(s, fd);
	}
}

/* Runs from the loop, not from the signal handler: anything may be done
 * here. The clients are freed after the loop returns. */
static void
on_stop(evutil_socket_t sig, short what, void *arg)
{
	(void)sig, (void)what;
	event_base_loopbreak(arg);
}

static void
client_new(struct server *s, evutil_socket_t fd)
{
	struct client *cl = calloc(1, sizeof(*cl));
	if (cl == NULL || (cl->conn = conn_new(fd)) == NULL) {
		fprintf(stderr, "rot13_idle: out of memory: client refused\n");
		free(cl);
		close(fd);
		return;
	}
	cl->srv = s;
	s->served++;
	LIST_INSERT_HEAD(&s->clients, cl, link);
	cl->read_ev =
	        event_new(s->base, fd, EV_READ | EV_PERSIST, on_client, cl);
	cl->write_ev =
	        event_new(s->base, fd, EV_WRITE | EV_PERSIST, on_client, cl);
	if (cl->read_ev == NULL || cl->write_ev == NULL ||
	    client_update(cl) == -1)
		client_free(cl);
}

/* Both events of a client come here; EV_TIMEOUT means the one that carried
 * the deadline saw no progress for idle_s seconds. */
static void
on_client(evutil_socket_t fd, short what, void *arg)
{
	struct client *cl = arg;
	(void)fd;
	if (what & EV_TIMEOUT) {
		printf("idle for %ld s: disconnected\n", cl->srv->idle_s);
		fflush(stdout);
		cl->srv->dropped++;
		client_free(cl);
		return;
	}
	if (((what & EV_READ) && conn_read(cl->conn) == -1) ||
	    conn_write(cl->conn) == -1 || client_update(cl) == -1)
		client_free(cl);
}

/* Adds the events the client's state asks for, and puts the deadline on
 * the one it waits on. Re-adding a pending event with a timeout moves its
 * deadline: that is how progress resets the idle clock. -1: close it. */
static int
client_update(struct client *cl)
{
	const struct timeval *idle = cl->srv->idle;
	int rd = conn_wants_read(cl->conn), wr = conn_wants_write(cl->conn);
	if (conn_done(cl->conn))
		return -1;
	if ((rd ? event_add(cl->read_ev, idle) : event_del(cl->read_ev)) == -1)
		return -1;
	if (!wr)
		return event_del(cl->write_ev);
	if (event_add(cl->write_ev, rd ? NULL : idle) == -1)
		return -1;
	/* event_add(ev, NULL) keeps a timeout set earlier: drop it. */
	return rd ? event_remove_timer(cl->write_ev) : 0;
}

/* Deletes the events before conn_free() closes the socket they watch. */
static void
client_free(struct client *cl)
{
	LIST_REMOVE(cl, link);
	if (cl->read_ev)
		event_free(cl->read_ev);
	if (cl->write_ev)
		event_free(cl->write_ev);
	conn_free(cl->conn);
	free(cl);
}

static void
die(const char *what)
{
	fprintf(stderr, "rot13_idle: %s: %s\n", what, strerror(errno));
	exit(1);
}
