/*
 * linger_demo - chapter 04: what SO_LINGER does to close().
 *
 * In each case a server fills its socket's send buffer (the client reads
 * nothing yet and has a small receive buffer, so most of the data is still
 * queued in the server's kernel), sets SO_LINGER, and calls close(). Then
 * the client reads everything it can. What the client gets, how long close()
 * took and whether the server's port is left in TIME_WAIT depend on the
 * option:
 *
 *   off (the default)  close() returns at once; the kernel sends the rest
 *                      and a FIN in the background: all data, then EOF
 *   on, 0 s            close() sends RST: queued data is thrown away and
 *                      the client's recv() fails with ECONNRESET
 *   on, 1 s            close() blocks until the data is acknowledged or 1 s
 *                      passes, even on a non-blocking socket
 *
 *   ./linger_demo
 *
 * Watch: the byte counts, and "close() took" in the third case.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net.h"

#define PROG            "linger_demo"
#define CLIENT_RCVBUF   4096
#define CHUNK           65536
#define TCP_TIME_WAIT_S 6 /* the "st" column of /proc/net/tcp */
#define DEADLINE_MS     5000

struct lcase {
	const char *title;
	struct linger lg; /* l_onoff, l_linger (seconds) */
	int small;        /* the server sends one short line, not a buffer */
	int unread;       /* the client sends a line the server never reads */
};

static int run_case(const struct lcase *c);
static int connect_pair(int *client, int *server, int port[2]);
static long fill(int fd);
static long drain(int fd, int *err);
static double seconds_since(const struct timespec *t0);
static int has_time_wait(const int port[2], int wait);

int
main(int argc, char **argv)
{
	static const struct lcase cases[] = {
	        {"1. SO_LINGER off (the default)", {0, 0}, 0, 0},
	        {"2. SO_LINGER on, l_linger = 0 (abortive close)",
	         {1, 0},
	         0,
	         0},
	        {"3. SO_LINGER on, l_linger = 1 s", {1, 1}, 0, 0},
	        {"4. SO_LINGER on, l_linger = 5 s, one short line",
	         {1, 5},
	         1,
	         0},
	        {"5. SO_LINGER off, but the server left input unread",
	         {0, 0},
	         0,
	         1},
	};

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: %s\n", PROG);
		return 2;
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (run_case(&cases[i]) < 0)
			return 1;
	}
	return 0;
}

static int
run_case(const struct lcase *c)
{
	int client, server, port[2], err, rc;
	struct timespec t0;
	long sent, got;

	printf("%s\n", c->title);
	if (connect_pair(&client, &server, port) < 0)
		return -1;
	if (c->unread && send_all(client, "never read\n", 11) < 0)
		perror(PROG ": send");
	/* Non-blocking, as in an event loop: it does not stop lingering. */
	if (set_nonblocking(server) < 0) {
		perror(PROG ": O_NONBLOCK");
		return -1;
	}
	sent = c->small ? send_all(server, "bye\n", 4) : fill(server);
	if (sent < 0 ||
	    setsockopt(server, SOL_SOCKET, SO_LINGER, &c->lg, sizeof(c->lg))) {
		perror(PROG ": server");
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = close(server);
	printf("   server: queued %ld bytes; close() returned %d after %.2f "
	       "s\n",
	       sent, rc, seconds_since(&t0));
	got = drain(client, &err);
	close(client);
	printf("   client: received %ld of %ld bytes, then %s\n", got, sent,
	       err == 0            ? "EOF"
	       : err == ECONNRESET ? "ECONNRESET"
	                           : strerror(err));
	/* An RST leaves no state behind; a FIN exchange leaves TIME_WAIT on
	 * the side that closed first, once the client's FIN arrives. */
	printf("   TIME_WAIT on server port %d: %s\n", port[0],
	       has_time_wait(port, err == 0) ? "yes" : "none");
	return 0;
}

/* A connected pair on 127.0.0.1; the client's receive buffer is small. */
static int
connect_pair(int *client, int *server, int port[2])
{
	struct sockaddr_in sin, me;
	socklen_t len = sizeof(sin);
	struct timeval limit = {.tv_sec = DEADLINE_MS / 1000};
	int rcvbuf = CLIENT_RCVBUF, listener = listen_tcp("127.0.0.1", 0, 1);

	*client = *server = -1;
	/* SO_RCVBUF before connect(): the window scale is agreed then. */
	if (listener < 0 ||
	    getsockname(listener, (struct sockaddr *)&sin, &len) < 0 ||
	    (*client = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    setsockopt(*client, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
	               sizeof(rcvbuf)) < 0 ||
	    setsockopt(*client, SOL_SOCKET, SO_RCVTIMEO, &limit,
	               sizeof(limit)) < 0 ||
	    connect(*client, (struct sockaddr *)&sin, len) < 0 ||
	    (*server = accept(listener, NULL, NULL)) < 0) {
		perror(PROG ": connect");
		return -1;
	}
	if (getsockname(*client, (struct sockaddr *)&me, &len) < 0) {
		perror(PROG ": getsockname");
		return -1;
	}
	port[0] = ntohs(sin.sin_port);
	port[1] = ntohs(me.sin_port);
	close(listener);
	return 0;
}

/* Sends until the kernel takes no more; returns the bytes it took. */
static long
fill(int fd)
{
	static const char chunk[CHUNK];
	long total = 0;
	ssize_t n;

	while ((n = send(fd, chunk, sizeof(chunk), MSG_NOSIGNAL)) > 0)
		total += n;
	if (errno != EAGAIN && errno != EWOULDBLOCK)
		return -1;
	return total;
}

/* Reads to the end; *err is 0 for EOF, or the errno that ended it. */
static long
drain(int fd, int *err)
{
	char buf[CHUNK];
	long total = 0;
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
		total += n;
	*err = n == 0 ? 0 : errno;
	return total;
}

static double
seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	       (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * Whether /proc/net/tcp lists server port[0] <-> client port[1] in
 * TIME_WAIT; if wait, polls up to DEADLINE_MS for the entry to appear.
 */
static int
has_time_wait(const int port[2], int wait)
{
	struct timespec tick = {.tv_nsec = 10 * 1000 * 1000};
	unsigned laddr, lport, raddr, rport, state;
	char line[256];
	int found = 0;

	for (int ms = 0; !found && ms <= DEADLINE_MS; ms += 10) {
		FILE *f = fopen("/proc/net/tcp", "r");
		while (f && !found && fgets(line, sizeof(line), f))
			found = sscanf(line, " %*u: %x:%x %x:%x %x", &laddr,
			               &lport, &raddr, &rport, &state) == 5 &&
			        laddr == htonl(INADDR_LOOPBACK) &&
			        lport == (unsigned)port[0] &&
			        rport == (unsigned)port[1] &&
			        state == TCP_TIME_WAIT_S;
		if (f)
			fclose(f);
		if (!wait)
			break;
		if (!found)
			nanosleep(&tick, NULL);
	}
	return found;
}
