/*
 * rot13_select - chapter 06: the ROT13 server on select().
 *
 * One thread sleeps in select() until the kernel says which descriptors are
 * ready, then serves only those. The clients live in a table indexed by
 * descriptor, which is how select() names them: one bit per descriptor in
 * an fd_set of FD_SETSIZE (1024) bits. Every turn rebuilds the sets from
 * the table, because select() overwrites them with its answer.
 *
 *   ulimit -n 4096; ./rot13_select -p 40713        (Ctrl-C stops it)
 *   ../common/rot13_check -p 40713 -c 10 -i 5 -v
 *
 * Watch: an idle client no longer holds anyone up and the server uses no
 * CPU while nobody talks; a connection that gets descriptor 1024 or above
 * is refused (closed at once) and counted, and everyone else is still
 * served ("make run" shows both).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "net.h"

#define ACCEPT_BATCH 64     /* accepts per turn: the clients we have go first */
#define RETRY_USEC   100000 /* out of descriptors: retry accept() after this */

struct server {
	int listener;
	int accept_paused; /* accept() said EMFILE/ENFILE: skip the listener */
	unsigned long served, refused, pauses, now, peak; /* for the exit */
	struct conn *conns[FD_SETSIZE]; /* conns[fd]; NULL = no client */
};

static int build_fd_sets(const struct server *s, fd_set *rd, fd_set *wr);
static void serve_ready(struct server *s, const fd_set *rd, const fd_set *wr);
static int serve_conn(struct conn *c, int readable, int writable);
static void accept_clients(struct server *s);
static void add_client(struct server *s, int fd);
static void drop_client(struct server *s, int fd);

int
main(int argc, char **argv)
{
	static struct server s; /* 8 KiB of pointers: not on the stack */
	struct server_options opt;
	int status = 0;

	server_options_parse(&opt, argc, argv);
	if (stop_signals_install() < 0) {
		perror("rot13_select: signals");
		return 1;
	}
	s.listener = listen_tcp(opt.addr, opt.port, SERVER_BACKLOG);
	if (s.listener < 0 || set_nonblocking(s.listener) < 0 ||
	    announce_listening(s.listener) < 0) {
		fprintf(stderr, "rot13_select: listen on %s:%d: %s\n", opt.addr,
		        opt.port, strerror(errno));
		return 1;
	}
	/* Started with 1024 descriptors already open, we could not even
	 * watch our own listener. */
	if (s.listener >= FD_SETSIZE || stop_fd() >= FD_SETSIZE) {
		fprintf(stderr, "rot13_select: fd %d >= FD_SETSIZE\n",
		        s.listener);
		return 1;
	}
	for (;;) {
		fd_set rd, wr;
		int maxfd = build_fd_sets(&s, &rd, &wr);
		/* Linux writes the time left into the timeval: set it anew
		 * every turn, like the sets. */
		struct timeval retry = {0, RETRY_USEC};
		int n = select(maxfd + 1, &rd, &wr, NULL,
		               s.accept_paused ? &retry : NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue; /* the stop pipe tells us the rest */
			perror("rot13_select: select");
			status = 1;
			break;
		}
		if (FD_ISSET(stop_fd(), &rd))
			break;
		s.accept_paused = 0; /* any wake-up: try accept() again */
		serve_ready(&s, &rd, &wr);
		if (FD_ISSET(s.listener, &rd))
			accept_clients(&s);
	}
	printf("rot13_select: %lu clients served, at most %lu at once, %lu "
	       "refused (fd >= FD_SETSIZE), %lu accept pauses\n",
	       s.served, s.peak, s.refused, s.pauses);
	for (int fd = 0; fd < FD_SETSIZE; fd++)
		if (s.conns[fd])
			drop_client(&s, fd);
	close(s.listener);
	stop_signals_release();
	return status;
}

/*
 * Clears both sets and puts in them what we want to hear about: the stop
 * pipe, the listener (unless paused), each client's read side while it can
 * take more input, its write side only while answers are pending: a socket
 * is writable almost always, so asking when there is nothing to send would
 * make select() return at once, every turn. Returns the highest descriptor
 * put in a set; select() wants one more than that.
 */
static int
build_fd_sets(const struct server *s, fd_set *rd, fd_set *wr)
{
	int maxfd = stop_fd();

	FD_ZERO(rd);
	FD_ZERO(wr);
	FD_SET(stop_fd(), rd);
	if (!s->accept_paused) {
		FD_SET(s->listener, rd);
		if (s->listener > maxfd)
			maxfd = s->listener;
	}
	for (int fd = 0; fd < FD_SETSIZE; fd++) {
		const struct conn *c = s->conns[fd];
		if (!c)
			continue;
		if (conn_wants_read(c))
			FD_SET(fd, rd);
		if (conn_wants_write(c))
			FD_SET(fd, wr);
		maxfd = fd > maxfd ? fd : maxfd;
	}
	return maxfd;
}

/* Serves every client whose bit select() left set. Clients accepted later
 * in this turn are not in the sets, so their bits are never stale. */
static void
serve_ready(struct server *s, const fd_set *rd, const fd_set *wr)
{
	for (int fd = 0; fd < FD_SETSIZE; fd++) {
		struct conn *c = s->conns[fd];
		int readable, writable;
		if (!c)
			continue;
		readable = FD_ISSET(fd, rd);
		writable = FD_ISSET(fd, wr);
		if (!readable && !writable)
			continue;
		if (serve_conn(c, readable, writable) < 0 || conn_done(c))
			drop_client(s, fd);
	}
}

/*
 * Reads if select() said readable: data, the client's EOF, or an error
 * such as ECONNRESET, which recv() then reports. Sends what is owed at once
 * rather than waiting for a turn that says writable: answers usually fit in
 * the socket buffer. Returns -1 if the connection failed.
 */
static int
serve_conn(struct conn *c, int readable, int writable)
{
	if (readable && conn_read(c) < 0)
		return -1;
	if ((writable || conn_wants_write(c)) && conn_write(c) < 0)
		return -1;
	return 0;
}

/*
 * Accepts up to ACCEPT_BATCH waiting connections. The listener is
 * non-blocking because "readable" may be out of date when accept() runs: a
 * process sharing the listener may take the connection first, and some
 * stacks drop one reset while queued. A blocking accept() would then hang
 * the whole server until someone else connects.
 */
static void
accept_clients(struct server *s)
{
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		int fd = accept(s->listener, NULL, NULL);
		if (fd >= 0) {
			add_client(s, fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue; /* a signal, or a client gone already */
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		/* Out of descriptors (EMFILE, ENFILE) or memory: the client
		 * stays queued. Watching the listener now would wake us at
		 * once, every turn, so pause it (see main). */
		if (s->pauses++ == 0)
			perror("rot13_select: accept (pausing; counted at "
			       "exit)");
		s->accept_paused = 1;
		return;
	}
}

/*
 * Takes fd as a client, or refuses it. An fd_set has bits 0 .. FD_SETSIZE-1
 * and conns has as many slots, so descriptor FD_SETSIZE itself is already
 * out of bounds: the test is >=, not >.
 */
static void
add_client(struct server *s, int fd)
{
	if (fd >= FD_SETSIZE) {
		if (s->refused++ == 0)
			fprintf(stderr,
			        "rot13_select: fd %d >= FD_SETSIZE (%d): "
			        "refusing such clients (counted at exit)\n",
			        fd, FD_SETSIZE);
		close(fd);
		return;
	}
	if (set_nonblocking(fd) < 0 || !(s->conns[fd] = conn_new(fd))) {
		perror("rot13_select: new client");
		close(fd);
		return;
	}
	s->served++;
	if (++s->now > s->peak)
		s->peak = s->now;
}

static void
drop_client(struct server *s, int fd)
{
	conn_free(s->conns[fd]);
	s->conns[fd] = NULL;
	s->now--;
}
