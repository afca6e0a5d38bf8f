/*
 * rot13_poll - chapter 07: the ROT13 server on poll().
 *
 * One thread waits in poll() on an array of struct pollfd: slot 0 is the
 * listener, slot 1 the stop pipe, slots 2.. one client each. Beside it runs
 * an array of struct conn pointers with the same index, so pfd[i] and
 * conns[i] always describe the same client. Both grow by doubling: there is
 * no FD_SETSIZE here, only the process's descriptor limit (ulimit -n).
 *
 *   ulimit -n 4096; ./rot13_poll -p 40713        (Ctrl-C stops it)
 *   ../common/rot13_check -p 40713 -c 1500 -P -n 3
 *
 * Watch: the last line at exit says how many clients were connected at
 * once; with 1500 it is past select()'s limit of 1024 descriptors.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "net.h"

#define SLOT_LISTENER 0
#define SLOT_STOP     1
#define FIRST_CLIENT  2
#define ACCEPT_BATCH  64 /* accepts per turn: the clients we have go first */

/* The two parallel arrays; conns[0] and conns[1] stay NULL. */
struct pollset {
	struct pollfd *pfd;
	struct conn **conns;
	size_t len, cap;
	size_t served, peak, failed; /* reported at exit */
};

static int pollset_add(struct pollset *ps, int fd, struct conn *c);
static void pollset_remove(struct pollset *ps, size_t i);
static void serve_clients(struct pollset *ps);
static int client_event(struct conn *c, short revents);
static short interest(const struct conn *c);
static int accept_batch(struct pollset *ps);

int
main(int argc, char **argv)
{
	struct server_options opt;
	struct pollset ps = {0};
	int listener, status = 0;

	server_options_parse(&opt, argc, argv);
	if (stop_signals_install() < 0) {
		perror("rot13_poll: signals");
		return 1;
	}
	listener = listen_tcp(opt.addr, opt.port, SERVER_BACKLOG);
	if (listener < 0 || set_nonblocking(listener) < 0 ||
	    announce_listening(listener) < 0) {
		fprintf(stderr, "rot13_poll: listen on %s:%d: %s\n", opt.addr,
		        opt.port, strerror(errno));
		return 1;
	}
	if (pollset_add(&ps, listener, NULL) < 0 ||
	    pollset_add(&ps, stop_fd(), NULL) < 0) {
		perror("rot13_poll: pollset");
		return 1;
	}
	while (status == 0) {
		/* -1: no timeout; only a descriptor or a signal wakes us. */
		if (poll(ps.pfd, (nfds_t)ps.len, -1) < 0) {
			if (errno == EINTR)
				continue; /* the stop pipe tells us the rest */
			perror("rot13_poll: poll");
			status = 1;
			break;
		}
		if (ps.pfd[SLOT_STOP].revents)
			break;
		serve_clients(&ps);
		if (ps.pfd[SLOT_LISTENER].revents)
			status = accept_batch(&ps);
	}
	printf("rot13_poll: %zu clients served, at most %zu at once, %zu "
	       "ended by an error\n",
	       ps.served, ps.peak, ps.failed);
	while (ps.len > FIRST_CLIENT)
		pollset_remove(&ps, ps.len - 1);
	free(ps.pfd);
	free(ps.conns);
	close(listener);
	stop_signals_release();
	return status;
}

/* Appends fd (and its conn, NULL for the two fixed slots). */
static int
pollset_add(struct pollset *ps, int fd, struct conn *c)
{
	if (ps->len == ps->cap) {
		size_t cap = ps->cap ? 2 * ps->cap : 64;
		struct pollfd *pfd = realloc(ps->pfd, cap * sizeof(*pfd));
		if (!pfd)
			return -1;
		ps->pfd = pfd; /* valid even if the next realloc fails */
		struct conn **conns = realloc(ps->conns, cap * sizeof(*conns));
		if (!conns)
			return -1;
		ps->conns = conns;
		ps->cap = cap;
	}
	/* revents = 0: an entry added during a scan is not "ready" yet. */
	ps->pfd[ps->len] = (struct pollfd){fd, c ? interest(c) : POLLIN, 0};
	ps->conns[ps->len++] = c;
	return 0;
}

/* Frees client i and moves the last entry, revents and all, into its slot:
 * O(1), and both arrays stay packed and parallel. The caller must look at
 * slot i again, for it now holds an entry it has not seen yet. */
static void
pollset_remove(struct pollset *ps, size_t i)
{
	conn_free(ps->conns[i]);
	ps->len--;
	ps->pfd[i] = ps->pfd[ps->len];
	ps->conns[i] = ps->conns[ps->len];
	if (ps->pfd[SLOT_LISTENER].fd < 0) /* paused on EMFILE: resume */
		ps->pfd[SLOT_LISTENER].fd = ~ps->pfd[SLOT_LISTENER].fd;
}

/* One pass over the clients poll() reported ready. */
static void
serve_clients(struct pollset *ps)
{
	size_t i = FIRST_CLIENT;

	while (i < ps->len) {
		struct pollfd *p = &ps->pfd[i];
		if (p->revents == 0) {
			i++;
			continue;
		}
		if (client_event(ps->conns[i], p->revents) < 0) {
			ps->failed++;
			pollset_remove(ps, i); /* and do not advance i */
			continue;
		}
		if (conn_done(ps->conns[i])) {
			pollset_remove(ps, i);
			continue;
		}
		p->events = interest(ps->conns[i]);
		i++;
	}
}

/*
 * Acts on one client's revents. POLLHUP, POLLERR and POLLRDHUP all lead to
 * recv(): it returns the data still queued first, then 0 at EOF or the
 * error (ECONNRESET, ...) that POLLERR announced. POLLNVAL means we left a
 * closed descriptor in the array: a bug, so the slot is dropped loudly.
 * Returns -1 if the connection must be closed at once.
 */
static int
client_event(struct conn *c, short revents)
{
	if (revents & POLLNVAL) {
		fprintf(stderr, "rot13_poll: bug: fd %d is not open\n", c->fd);
		return -1;
	}
	if ((revents & (POLLIN | POLLRDHUP | POLLHUP | POLLERR)) &&
	    conn_wants_read(c) && conn_read(c) < 0)
		return -1;
	/* Try to send at once: answers usually fit in the socket buffer, so
	 * this saves a turn through poll() waiting for POLLOUT. */
	if (conn_wants_write(c) && conn_write(c) < 0)
		return -1;
	return 0;
}

/* The events to wait for: only what the connection can use now. Asking for
 * POLLIN after EOF, or POLLOUT with nothing to send, would wake us on every
 * call (poll is level-triggered) and spin. */
static short
interest(const struct conn *c)
{
	short events = 0;

	if (conn_wants_read(c))
		events |= POLLIN | POLLRDHUP;
	if (conn_wants_write(c))
		events |= POLLOUT;
	return events;
}

/* Accepts up to ACCEPT_BATCH clients. Out of descriptors (EMFILE), it
 * pauses the listener by negating its fd: poll() ignores a negative fd. */
static int
accept_batch(struct pollset *ps)
{
	for (int n = 0; n < ACCEPT_BATCH; n++) {
		int fd = accept4(ps->pfd[SLOT_LISTENER].fd, NULL, NULL,
		                 SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno != EMFILE && errno != ENFILE &&
			    errno != ENOBUFS && errno != ENOMEM) {
				perror("rot13_poll: accept");
				return 1;
			}
			fprintf(stderr, "rot13_poll: accept: %s; pausing\n",
			        strerror(errno));
			ps->pfd[SLOT_LISTENER].fd = ~ps->pfd[SLOT_LISTENER].fd;
			return 0;
		}
		c = conn_new(fd);
		if (!c || pollset_add(ps, fd, c) < 0) {
			fprintf(stderr, "rot13_poll: out of memory\n");
			if (c)
				conn_free(c); /* closes fd too */
			else
				close(fd);
			continue;
		}
		ps->served++;
		if (ps->len - FIRST_CLIENT > ps->peak)
			ps->peak = ps->len - FIRST_CLIENT;
	}
	return 0;
}
