/*
 * rot13_busypoll - chapter 05: the busy-polling ROT13 server.
 *
 * Every socket is non-blocking, so no call ever waits: accept() and recv()
 * return at once with a connection or data, or with EAGAIN ("nothing now").
 * One process then serves every client by asking each socket in turn, over
 * and over: try accept, then for every client read what has come and send
 * what is owed. It is correct (it passes the whole protocol suite) but it
 * never sleeps: with no client at all it still burns a whole CPU, and every
 * turn makes one system call per socket even when only one is active.
 *
 *   ./rot13_busypoll -p 40713        (Ctrl-C stops it)
 *   ../common/rot13_check -p 40713 -c 10 -i 5 -v
 *
 * Watch: `top` shows it near 100% CPU while nobody is connected; `make run`
 * measures that against the blocking servers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "net.h"

/* The clients being served: a growable array, unordered. */
struct clients {
	struct conn **v;
	size_t n, cap;
};

static int accept_clients(int listener, struct clients *cl);
static int add_client(struct clients *cl, int fd);
static void serve_clients(struct clients *cl);
static void free_clients(struct clients *cl);

int
main(int argc, char **argv)
{
	struct server_options opt;
	struct clients cl = {NULL, 0, 0};
	int listener;

	server_options_parse(&opt, argc, argv);
	if (stop_signals_install() < 0) {
		fprintf(stderr, "rot13_busypoll: signals: %s\n",
		        strerror(errno));
		return 1;
	}
	listener = listen_tcp(opt.addr, opt.port, SERVER_BACKLOG);
	if (listener < 0 || set_nonblocking(listener) < 0 ||
	    announce_listening(listener) < 0) {
		fprintf(stderr, "rot13_busypoll: listen on %s:%d: %s\n",
		        opt.addr, opt.port, strerror(errno));
		return 1;
	}
	/* The busy loop: nothing in it ever waits, so the stop flag set by
	 * SIGINT/SIGTERM is seen within one turn. */
	while (!stop_requested()) {
		if (accept_clients(listener, &cl) < 0)
			break;
		serve_clients(&cl);
	}
	free_clients(&cl);
	close(listener);
	stop_signals_release();
	return stop_requested() ? 0 : 1;
}

/*
 * Accepts every pending connection, until accept() says EAGAIN. Returns 0,
 * or -1 on a fatal error (out of memory, already reported).
 */
static int
accept_clients(int listener, struct clients *cl)
{
	for (;;) {
		int fd = accept(listener, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue; /* a signal, or a client gone already
				           */
			/* EMFILE/ENFILE (out of descriptors) leave the
			 * connection queued and the next turn tries again;
			 * reporting them here would print on every turn. */
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EMFILE && errno != ENFILE)
				perror("rot13_busypoll: accept");
			return 0;
		}
		/* On Linux an accepted socket does not inherit O_NONBLOCK
		 * from the listener (accept4(..., SOCK_NONBLOCK) would set it
		 * in the same call). One blocking client would stall all. */
		if (set_nonblocking(fd) < 0) {
			perror("rot13_busypoll: set_nonblocking");
			close(fd);
			continue;
		}
		if (add_client(cl, fd) < 0) {
			perror("rot13_busypoll: add client");
			close(fd);
			return -1;
		}
	}
}

/* Appends a conn for fd to the array, growing it by doubling. */
static int
add_client(struct clients *cl, int fd)
{
	struct conn *c;

	if (cl->n == cl->cap) {
		size_t cap = cl->cap ? 2 * cl->cap : 16;
		struct conn **v = realloc(cl->v, cap * sizeof(*v));
		if (!v)
			return -1;
		cl->v = v;
		cl->cap = cap;
	}
	if (!(c = conn_new(fd)))
		return -1;
	cl->v[cl->n++] = c;
	return 0;
}

/*
 * One turn over every client: read what has arrived (while there is room
 * for the answers), send what is owed, and close the client once it has
 * half-closed and has every answer, or at once if it failed. These are the
 * system calls made for every client on every turn, busy or not.
 */
static void
serve_clients(struct clients *cl)
{
	size_t i = 0;

	while (i < cl->n) {
		struct conn *c = cl->v[i];
		int failed = 0;

		if (conn_wants_read(c))
			failed = conn_read(c) < 0;
		if (!failed && conn_wants_write(c))
			failed = conn_write(c) < 0;
		if (failed || conn_done(c)) {
			conn_free(c);
			cl->v[i] = cl->v[--cl->n]; /* order does not matter */
			continue;                  /* look at the moved one */
		}
		i++;
	}
}

static void
free_clients(struct clients *cl)
{
	for (size_t i = 0; i < cl->n; i++)
		conn_free(cl->v[i]);
	free(cl->v);
	cl->v = NULL;
	cl->n = cl->cap = 0;
}
