/*
 * partial_write_demo - chapter 05: a non-blocking send() takes what fits.
 *
 * A sender writes 8 MiB to a peer that does not read. A blocking send()
 * would wait until the peer made room; a non-blocking one takes as much as
 * the kernel's buffers hold, returns that count, and the next call says
 * EAGAIN. The rest must be kept as pending output and sent when the socket
 * is writable again: exactly what conn_write() does for the servers.
 *
 *   ./partial_write_demo
 *
 * Watch: the buffer sizes, how much the first send() takes, and how many
 * rounds of "the reader makes room, the sender sends more" it takes.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"

#define TOTAL (8 * 1024 * 1024)

/* Output accepted by the program but not yet by the kernel. */
struct pending {
	const char *buf;
	size_t off, len; /* buf[off .. len) is still to send */
};

static size_t flush_pending(int fd, struct pending *p, int verbose);
static size_t drain(int fd, const char *expect, size_t *got);
static int sock_buf(int fd, int option);
static void tcp_pair(int *sender, int *reader);
_Noreturn static void die(const char *what);

int
main(void)
{
	char *data = malloc(TOTAL);
	struct pending out = {data, 0, TOTAL};
	size_t got = 0;
	int sender, reader, rounds = 1;

	if (!data)
		die("malloc");
	for (size_t i = 0; i < TOTAL; i++)
		data[i] = (char)('a' + i % 26);
	tcp_pair(&sender, &reader);
	printf("sender SO_SNDBUF %d bytes, reader SO_RCVBUF %d bytes "
	       "(as the kernel reports them)\n",
	       sock_buf(sender, SO_SNDBUF), sock_buf(reader, SO_RCVBUF));
	flush_pending(sender, &out, 1);
	printf("pending output: %zu bytes kept for later\n", out.len - out.off);
	/* From here on the reader reads: each round it empties its socket,
	 * the sender waits until it is writable and sends what fits. */
	while (out.off < out.len) {
		struct pollfd p = {.fd = sender, .events = POLLOUT};
		size_t read = drain(reader, data, &got);
		if (poll(&p, 1, 1000) < 0)
			die("poll");
		size_t sent = flush_pending(sender, &out, 0);
		if (++rounds <= 6)
			printf("round %d: the reader read %zu bytes; writable "
			       "again, send() took %zu more; %zu pending\n",
			       rounds, read, sent, out.len - out.off);
	}
	if (shutdown(sender, SHUT_WR) < 0)
		die("shutdown");
	while (drain(reader, data, &got) > 0)
		;
	printf("all %d bytes sent in %d rounds; the reader got %zu bytes, "
	       "all in order\n",
	       TOTAL, rounds, got);
	close(sender);
	close(reader);
	free(data);
	return got == TOTAL ? 0 : 1;
}

/* Sends p's pending bytes until all are sent or send() says EAGAIN, as
 * conn_write() does. Returns the bytes the kernel took. */
static size_t
flush_pending(int fd, struct pending *p, int verbose)
{
	size_t taken = 0;

	while (p->off < p->len) {
		ssize_t n = send(fd, p->buf + p->off, p->len - p->off,
		                 MSG_NOSIGNAL);
		if (verbose)
			printf("send(%zu bytes) = %zd%s\n", p->len - p->off, n,
			       n < 0 && errno == EAGAIN ? ", errno EAGAIN"
			                                : "");
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0)
			die("send");
		p->off += (size_t)n;
		taken += (size_t)n;
	}
	return taken;
}

/* Reads what has arrived on the non-blocking fd, checks it against the
 * sent data, and returns the count; 0 at EOF or EAGAIN. */
static size_t
drain(int fd, const char *expect, size_t *got)
{
	static char buf[65536];
	size_t total = 0;
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) {
		if (memcmp(buf, expect + *got, (size_t)n) != 0) {
			fprintf(stderr, "partial_write_demo: data differs\n");
			exit(1);
		}
		*got += (size_t)n;
		total += (size_t)n;
	}
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		die("recv");
	return total;
}

static int
sock_buf(int fd, int option)
{
	int size;
	socklen_t len = sizeof(size);

	if (getsockopt(fd, SOL_SOCKET, option, &size, &len) < 0)
		die("getsockopt");
	return size;
}

/* A connected TCP pair on 127.0.0.1, both ends non-blocking. */
static void
tcp_pair(int *sender, int *reader)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int listener = listen_tcp("127.0.0.1", 0, 1);

	if (listener < 0 ||
	    getsockname(listener, (struct sockaddr *)&ss, &len) < 0)
		die("listen");
	*sender = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*sender < 0 || connect(*sender, (struct sockaddr *)&ss, len) < 0)
		die("connect");
	*reader = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (*reader < 0 || set_nonblocking(*sender) < 0)
		die("accept");
	close(listener);
}

_Noreturn static void
die(const char *what)
{
	fprintf(stderr, "partial_write_demo: %s: %s\n", what, strerror(errno));
	exit(1);
}
