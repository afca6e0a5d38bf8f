/*
 * et_server.c - the edge-triggered ROT13 server of exercise 09-epoll-et:
 * chapter 09's rot13_epoll_et with its per-client handler replaced by the
 * learner's et_serve() (exercises/09-epoll-et/et_serve.c). Each client is
 * registered once with EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET; clients
 * for which et_serve() returns ET_MORE go on a ready list that the next
 * turn serves first, with epoll_wait() not sleeping while it is not empty.
 *
 *   et_server -p 0      prints "listening on 127.0.0.1:PORT"
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "et_serve.h"
#include "net.h"

#define MAX_EVENTS   64  /* ready descriptors taken per epoll_wait() */
#define ACCEPT_BATCH 64  /* accepts per turn, then the clients' turn */
#define RETRY_MS     100 /* out of descriptors: retry accept() after this */

enum kind { LISTENER, STOP_PIPE, CLIENT };

struct client {
	enum kind kind;
	struct conn *conn;          /* CLIENT only */
	int queued;                 /* on the ready list */
	struct client *ready_next;  /* the ready list, FIFO */
	struct client *prev, *next; /* every client, to free them at exit */
};

struct server {
	int epfd, listener;
	int accept_more;   /* the last batch ended before EAGAIN */
	int accept_paused; /* accept() said EMFILE: retry on a timer */
	struct client lst, stop, clients;
	struct client *ready, **ready_tail;
	unsigned long served, now, peak, waits, ctls, requeued;
};

static int setup(struct server *s, int argc, char **argv);
static int watch(struct server *s, int fd, struct client *w, uint32_t ev);
static void enqueue(struct server *s, struct client *w);
static void serve_ready(struct server *s);
static void accept_clients(struct server *s);
static void add_client(struct server *s, int fd);
static void drop_client(struct server *s, struct client *w);

int
main(int argc, char **argv)
{
	struct server s = {.lst.kind = LISTENER, .stop.kind = STOP_PIPE};
	struct epoll_event events[MAX_EVENTS];
	int status = 0, stop = 0;

	if (setup(&s, argc, argv) < 0)
		return 1;
	while (!stop) {
		/* Work left over from the last turn: only look, do not sleep.
		 */
		int timeout = s.ready || s.accept_more ? 0
		              : s.accept_paused        ? RETRY_MS
		                                       : -1;
		int n = epoll_wait(s.epfd, events, MAX_EVENTS, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue; /* the stop pipe tells us the rest */
			perror("et_server: epoll_wait");
			status = 1;
			break;
		}
		s.waits++;
		s.accept_more |= s.accept_paused; /* any wake-up: retry */
		s.accept_paused = 0;
		for (int i = 0; i < n; i++) {
			struct client *w = events[i].data.ptr;
			if (w->kind == STOP_PIPE)
				stop = 1;
			else if (w->kind == LISTENER)
				s.accept_more = 1;
			else
				enqueue(&s, w); /* served below, once */
		}
		serve_ready(&s);
		if (s.accept_more)
			accept_clients(&s);
	}
	printf("et_server: %lu clients served, at most %lu at once; %lu "
	       "epoll_wait calls, %lu times kept on the ready list\n",
	       s.served, s.peak, s.waits, s.requeued);
	while (s.clients.next != &s.clients)
		drop_client(&s, s.clients.next);
	close(s.epfd);
	close(s.listener);
	stop_signals_release();
	return status;
}

/* Options (-p, -a), signals, the listener and the epoll
 * instance. Returns -1 after printing why. */
static int
setup(struct server *s, int argc, char **argv)
{
	struct server_options opt;
	int ch;

	server_options_init(&opt);
	while ((ch = getopt(argc, argv, "a:p:")) != -1) {
		if (server_option_apply(&opt, ch, optarg) < 0) {
			fprintf(stderr, "usage: et_server [-a ADDR] "
			                "[-p PORT]\n");
			exit(2);
		}
	}
	s->clients.next = s->clients.prev = &s->clients;
	s->ready_tail = &s->ready;
	if (stop_signals_install() < 0) {
		perror("et_server: signals");
		return -1;
	}
	s->listener = listen_tcp(opt.addr, opt.port, SERVER_BACKLOG);
	if (s->listener < 0 || set_nonblocking(s->listener) < 0 ||
	    announce_listening(s->listener) < 0) {
		fprintf(stderr, "et_server: listen on %s:%d: %s\n", opt.addr,
		        opt.port, strerror(errno));
		return -1;
	}
	/* The stop pipe is never drained: level or edge, it wakes us once. */
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0 ||
	    watch(s, s->listener, &s->lst, EPOLLIN | EPOLLET) < 0 ||
	    watch(s, stop_fd(), &s->stop, EPOLLIN) < 0) {
		perror("et_server: epoll");
		return -1;
	}
	return 0;
}

static int
watch(struct server *s, int fd, struct client *w, uint32_t ev)
{
	struct epoll_event e = {.events = ev, .data.ptr = w};

	s->ctls++;
	return epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &e);
}

/* Appends w to the ready list unless it is there already: epoll may report
 * a client that is still queued from the last turn. */
static void
enqueue(struct server *s, struct client *w)
{
	if (w->queued)
		return;
	w->queued = 1;
	w->ready_next = NULL;
	*s->ready_tail = w;
	s->ready_tail = &w->ready_next;
}

/* Serves every client queued so far, each once: a client put back on the
 * list while we go through it waits for the next turn, after everyone
 * else has had theirs. */
static void
serve_ready(struct server *s)
{
	struct client *list = s->ready;

	s->ready = NULL;
	s->ready_tail = &s->ready;
	while (list) {
		struct client *w = list;
		list = w->ready_next;
		w->queued = 0;
		switch (et_serve(w->conn, ET_ROUNDS)) {
		case ET_WAIT:
			break;
		case ET_MORE:
			s->requeued++;
			enqueue(s, w);
			break;
		case ET_CLOSE:
			drop_client(s, w);
			break;
		}
	}
}

/* Accepts up to ACCEPT_BATCH clients. Edge-triggered, a listener left with
 * connections queued will not be reported again until yet another client
 * arrives: so a full batch sets accept_more, and main comes back. */
static void
accept_clients(struct server *s)
{
	s->accept_more = 0;
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		int fd = accept4(s->listener, NULL, NULL,
		                 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			add_client(s, fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		fprintf(stderr, "et_server: accept: %s; pausing\n",
		        strerror(errno));
		s->accept_paused = 1; /* no MOD needed: ET will not spin */
		return;
	}
	s->accept_more = 1;
}

/* Registers the client once, for everything it will ever need. The ADD
 * itself reports what is ready already (writable, at least), so the first
 * turn serves the client without us asking. */
static void
add_client(struct server *s, int fd)
{
	struct client *w = calloc(1, sizeof(*w));

	if (!w || !(w->conn = conn_new(fd))) {
		perror("et_server: new client");
		free(w);
		close(fd);
		return;
	}
	w->kind = CLIENT;
	if (watch(s, fd, w, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET) < 0) {
		perror("et_server: epoll_ctl(ADD)");
		conn_free(w->conn); /* closes fd too */
		free(w);
		return;
	}
	w->next = s->clients.next;
	w->prev = &s->clients;
	w->next->prev = w->prev->next = w;
	s->served++;
	if (++s->now > s->peak)
		s->peak = s->now;
}

/* DEL before close(), as in chapter 08: a copy of the descriptor elsewhere
 * would keep it registered, with data.ptr pointing at freed memory. While
 * the loop runs, a client being dropped is on no list: serve_ready() took
 * it off, and this turn's events are all handled already. */
static void
drop_client(struct server *s, struct client *w)
{
	s->ctls++;
	if (epoll_ctl(s->epfd, EPOLL_CTL_DEL, w->conn->fd, NULL) < 0)
		perror("et_server: epoll_ctl(DEL)");
	w->prev->next = w->next;
	w->next->prev = w->prev;
	conn_free(w->conn);
	free(w);
	s->now--;
}
