/*
 * rot13_epoll_lt - chapter 08: the ROT13 server on epoll, level-triggered.
 *
 * The descriptors we watch live in the kernel, in an epoll instance's
 * interest list: each is added once (EPOLL_CTL_ADD), changed only when what
 * we want from it changes (EPOLL_CTL_MOD), removed before it is closed
 * (EPOLL_CTL_DEL). epoll_wait() hands back only the ready ones, each with
 * the pointer we stored at registration: no table indexed by descriptor,
 * no scan of the idle ones, no FD_SETSIZE.
 *
 *   ulimit -n 4096; ./rot13_epoll_lt -p 40713        (Ctrl-C stops it)
 *   ../common/rot13_check -p 40713 -c 1500 -P -n 3
 *
 * Watch: the line at exit counts the epoll_wait() wake-ups and the
 * epoll_ctl() calls; with the interest cached per client, a client whose
 * answers fit in the socket buffer costs no epoll_ctl() after its ADD.
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
#include "net.h"

#define MAX_EVENTS   64  /* ready descriptors taken per epoll_wait() */
#define ACCEPT_BATCH 64  /* accepts per turn: the clients we have go first */
#define RETRY_MS     100 /* out of descriptors: retry accept() after this */

/* What data.ptr points to: the listener, the stop pipe or a client. */
enum kind { LISTENER, STOP_PIPE, CLIENT };

struct watched {
	enum kind kind;
	uint32_t registered; /* the events the kernel has for this fd now */
	struct conn *conn;   /* CLIENT only */
	struct watched *prev, *next; /* every client, to free them at exit */
};

struct server {
	int epfd, lfd;     /* the epoll instance, the listening socket */
	int accept_paused; /* accept() said EMFILE: the listener is off */
	struct watched listener, stop, clients; /* clients: list head */
	unsigned long served, now, peak, failed, waits, ctls;
};

static int run(struct server *s);
static int watch(struct server *s, int fd, struct watched *w, uint32_t ev);
static int set_interest(struct server *s, int fd, struct watched *w,
                        uint32_t ev);
static void client_ready(struct server *s, struct watched *w, uint32_t ev);
static uint32_t interest(const struct conn *c);
static void accept_clients(struct server *s);
static void add_client(struct server *s, int fd);
static void drop_client(struct server *s, struct watched *w);

int
main(int argc, char **argv)
{
	struct server_options opt;
	struct server s = {.listener.kind = LISTENER, .stop.kind = STOP_PIPE};
	int status;

	server_options_parse(&opt, argc, argv);
	s.clients.next = s.clients.prev = &s.clients;
	if (stop_signals_install() < 0) {
		perror("rot13_epoll_lt: signals");
		return 1;
	}
	s.lfd = listen_tcp(opt.addr, opt.port, SERVER_BACKLOG);
	if (s.lfd < 0 || set_nonblocking(s.lfd) < 0 ||
	    announce_listening(s.lfd) < 0) {
		fprintf(stderr, "rot13_epoll_lt: listen on %s:%d: %s\n",
		        opt.addr, opt.port, strerror(errno));
		return 1;
	}
	/* CLOEXEC: a program we exec must not share our interest list. */
	s.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s.epfd < 0 || watch(&s, s.lfd, &s.listener, EPOLLIN) < 0 ||
	    watch(&s, stop_fd(), &s.stop, EPOLLIN) < 0) {
		perror("rot13_epoll_lt: epoll");
		return 1;
	}
	status = run(&s);
	printf("rot13_epoll_lt: %lu clients served, at most %lu at once, %lu "
	       "ended by an error; %lu epoll_wait wake-ups, %lu epoll_ctl "
	       "calls\n",
	       s.served, s.peak, s.failed, s.waits, s.ctls);
	while (s.clients.next != &s.clients)
		drop_client(&s, s.clients.next);
	close(s.epfd);
	close(s.lfd);
	stop_signals_release();
	return status;
}

/* The event loop: wait, then serve what is ready. Returns the exit status
 * once the stop pipe is readable. */
static int
run(struct server *s)
{
	struct epoll_event events[MAX_EVENTS];

	for (;;) {
		int n = epoll_wait(s->epfd, events, MAX_EVENTS,
		                   s->accept_paused ? RETRY_MS : -1);
		if (n < 0) {
			if (errno == EINTR)
				continue; /* the stop pipe tells us the rest */
			perror("rot13_epoll_lt: epoll_wait");
			return 1;
		}
		s->waits++;
		if (s->accept_paused &&
		    set_interest(s, s->lfd, &s->listener, EPOLLIN) == 0)
			s->accept_paused = 0; /* any wake-up: try again */
		/* Each fd comes at most once per batch, and serving a client
		 * never frees another: no pointer below is stale. */
		for (int i = 0; i < n; i++) {
			struct watched *w = events[i].data.ptr;
			if (w->kind == STOP_PIPE)
				return 0;
			if (w->kind == LISTENER)
				accept_clients(s);
			else
				client_ready(s, w, events[i].events);
		}
	}
}

/* Adds fd to the interest list with data.ptr = w. */
static int
watch(struct server *s, int fd, struct watched *w, uint32_t ev)
{
	struct epoll_event e = {.events = ev, .data.ptr = w};

	s->ctls++;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &e) < 0)
		return -1;
	w->registered = ev;
	return 0;
}

/* Changes fd's events to ev; no system call if they already are ev. MOD
 * replaces data as well as events, so data.ptr is given again. */
static int
set_interest(struct server *s, int fd, struct watched *w, uint32_t ev)
{
	struct epoll_event e = {.events = ev, .data.ptr = w};

	if (ev == w->registered)
		return 0;
	s->ctls++;
	if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, fd, &e) < 0)
		return -1;
	w->registered = ev;
	return 0;
}

/*
 * Serves one client epoll reported. EPOLLRDHUP (half-closed), EPOLLHUP and
 * EPOLLERR all lead to recv(), which returns the queued data first, then 0
 * or the pending error; a read-side error with the read side off (output
 * full) shows up in send() instead. Level-triggered, one conn_read() per
 * wake-up is enough: data left behind is reported again next turn.
 */
static void
client_ready(struct server *s, struct watched *w, uint32_t ev)
{
	struct conn *c = w->conn;

	if ((ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) &&
	    conn_wants_read(c) && conn_read(c) < 0)
		goto failed;
	/* Send at once: answers usually fit in the socket buffer, so most
	 * clients never need EPOLLOUT at all. */
	if (conn_wants_write(c) && conn_write(c) < 0)
		goto failed;
	if (conn_done(c)) {
		drop_client(s, w);
		return;
	}
	if (set_interest(s, c->fd, w, interest(c)) == 0)
		return;
	perror("rot13_epoll_lt: epoll_ctl(MOD)");
failed:
	s->failed++;
	drop_client(s, w);
}

/* Only what the connection can use now. Level-triggered, EPOLLOUT with
 * nothing to send, or EPOLLIN at EOF, is reported on every epoll_wait():
 * a busy loop. A live client always wants one of the two (conn.h). */
static uint32_t
interest(const struct conn *c)
{
	uint32_t ev = 0;

	if (conn_wants_read(c))
		ev |= EPOLLIN | EPOLLRDHUP;
	if (conn_wants_write(c))
		ev |= EPOLLOUT;
	return ev;
}

/* Accepts up to ACCEPT_BATCH clients. Out of descriptors, the listener
 * stays readable, so it is taken out of the interest (MOD to no events)
 * and epoll_wait() gets a timeout to try again. */
static void
accept_clients(struct server *s)
{
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		int fd = accept4(s->lfd, NULL, NULL,
		                 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			add_client(s, fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		fprintf(stderr, "rot13_epoll_lt: accept: %s; pausing\n",
		        strerror(errno));
		if (set_interest(s, s->lfd, &s->listener, 0) == 0)
			s->accept_paused = 1;
		return;
	}
}

static void
add_client(struct server *s, int fd)
{
	struct watched *w = calloc(1, sizeof(*w));

	if (!w || !(w->conn = conn_new(fd))) {
		perror("rot13_epoll_lt: new client");
		free(w);
		close(fd);
		return;
	}
	w->kind = CLIENT;
	if (watch(s, fd, w, EPOLLIN | EPOLLRDHUP) < 0) {
		perror("rot13_epoll_lt: epoll_ctl(ADD)");
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

/*
 * DEL before close(). close() alone removes fd from the interest list only
 * if it was the last reference to the open file: a dup() or a forked child
 * holding a copy would keep it registered, and events would keep coming
 * with data.ptr pointing at freed memory.
 */
static void
drop_client(struct server *s, struct watched *w)
{
	s->ctls++;
	if (epoll_ctl(s->epfd, EPOLL_CTL_DEL, w->conn->fd, NULL) < 0)
		perror("rot13_epoll_lt: epoll_ctl(DEL)");
	w->prev->next = w->next;
	w->next->prev = w->prev;
	conn_free(w->conn);
	free(w);
	s->now--;
}
