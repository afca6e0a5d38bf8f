/*
 * late_reader - chapter 14: a client that sends everything first and reads
 * the answers only at the end, to show what a server does with the answers
 * it still owes when the client's EOF arrives.
 *
 * It sends LINES lines of "Hello, World!\n", half-closes (shutdown
 * SHUT_WR), waits until it is told to read (a line or EOF on stdin), then
 * reads until the server closes and checks every answer byte. If the
 * server stops taking bytes first (a server with backpressure does), it
 * cannot wait: after STALL_MS without progress it reads while it sends.
 *
 *   ./late_reader -p 40713 -n 2000000 </dev/null   (read at once)
 *   ./late_reader -p 40713 <fifo                  (read when told)
 *
 * Watch: "read N of M answer bytes". Exit 0 if every answer came.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "rot13.h"

#define LINE     "Hello, World!\n"
#define LINE_LEN (sizeof(LINE) - 1)
#define STALL_MS 1000  /* no progress this long: the server stopped reading */
#define QUIET_MS 30000 /* reading: give up after this long without a byte */

struct late {
	int fd;
	size_t total, sent, got;
	size_t bad_at; /* first wrong answer byte, or SIZE_MAX */
	int stalled, half_closed;
};

static int connect_to(const char *addr, int port);
static int send_some(struct late *l);
static int recv_some(struct late *l);
static void exchange(struct late *l);
static void wait_for_go(void);

int
main(int argc, char **argv)
{
	const char *addr = "127.0.0.1";
	long lines = 500000;
	int port = -1, ch;
	struct late l = {.bad_at = SIZE_MAX};

	while ((ch = getopt(argc, argv, "a:p:n:")) != -1) {
		if (ch == 'a')
			addr = optarg;
		else if (ch == 'p')
			port = atoi(optarg);
		else if (ch == 'n')
			lines = atol(optarg);
		else
			break;
	}
	if (ch != -1 || optind != argc || port <= 0 || lines <= 0) {
		fprintf(stderr, "usage: late_reader -p PORT [-a ADDR] "
		                "[-n LINES]\n");
		return 2;
	}
	l.total = (size_t)lines * LINE_LEN;
	if ((l.fd = connect_to(addr, port)) < 0)
		return 2;
	while (!l.stalled && !l.half_closed) {
		struct pollfd p = {.fd = l.fd, .events = POLLOUT};
		if (poll(&p, 1, STALL_MS) == 0)
			l.stalled = 1;
		else if (send_some(&l) < 0)
			return 2;
	}
	if (l.stalled)
		printf("late_reader: sending stalled after %zu of %zu bytes: "
		       "the server stopped reading; reading while sending\n",
		       l.sent, l.total);
	else
		printf("late_reader: sent %zu bytes (%ld lines), half-closed; "
		       "waiting to be told to read\n",
		       l.sent, lines);
	fflush(stdout);
	if (!l.stalled)
		wait_for_go();
	exchange(&l);
	printf("late_reader: read %zu of %zu answer bytes%s", l.got, l.total,
	       l.bad_at == SIZE_MAX ? ", all correct" : "");
	if (l.bad_at != SIZE_MAX)
		printf(", wrong from byte %zu", l.bad_at);
	if (l.got < l.total)
		printf("; %zu never came", l.total - l.got);
	printf("\n");
	close(l.fd);
	return l.got == l.total && l.bad_at == SIZE_MAX ? 0 : 1;
}

static int
connect_to(const char *addr, int port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
	                          .sin_port = htons((unsigned short)port)};
	int fd;

	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		fprintf(stderr, "late_reader: bad address %s\n", addr);
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0 || (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 &&
	               errno != EINPROGRESS)) {
		fprintf(stderr, "late_reader: connect %s:%d: %s\n", addr, port,
		        strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Sends what fits of the lines, without blocking; after the last byte,
 * half-closes. 0, or -1 on an error. */
static int
send_some(struct late *l)
{
	char buf[4096 * LINE_LEN];
	size_t off = l->sent % LINE_LEN, n = sizeof(buf) - off;
	ssize_t k;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = LINE[i % LINE_LEN];
	if (n > l->total - l->sent)
		n = l->total - l->sent;
	k = send(l->fd, buf + off, n, MSG_NOSIGNAL);
	if (k < 0 && errno != EAGAIN && errno != EINTR) {
		fprintf(stderr, "late_reader: send after %zu bytes: %s\n",
		        l->sent, strerror(errno));
		return -1;
	}
	l->sent += k > 0 ? (size_t)k : 0;
	if (l->sent == l->total && shutdown(l->fd, SHUT_WR) == 0)
		l->half_closed = 1;
	return 0;
}

/* Reads what has come and checks it against the ROT13 of what was sent.
 * Returns 1 to go on, 0 when the server has closed (or reset). */
static int
recv_some(struct late *l)
{
	char buf[65536];
	ssize_t k;

	k = recv(l->fd, buf, sizeof(buf), 0);
	if (k < 0)
		return errno == EAGAIN || errno == EINTR;
	for (ssize_t i = 0; i < k && l->bad_at == SIZE_MAX; i++)
		if (buf[i] != rot13_char(LINE[(l->got + i) % LINE_LEN]))
			l->bad_at = l->got + i;
	l->got += (size_t)k;
	return k > 0;
}

/* Reads, and sends what is left, until the server closes or falls silent
 * for QUIET_MS. */
static void
exchange(struct late *l)
{
	for (;;) {
		struct pollfd p = {.fd = l->fd, .events = POLLIN};
		int n;

		if (!l->half_closed)
			p.events |= POLLOUT;
		n = poll(&p, 1, QUIET_MS);
		if (n == 0) {
			printf("late_reader: nothing for %d ms; giving up\n",
			       QUIET_MS);
			return;
		}
		if (n < 0 && errno != EINTR)
			return;
		if ((p.revents & POLLOUT) && send_some(l) < 0)
			return;
		if ((p.revents & (POLLIN | POLLHUP | POLLERR)) &&
		    recv_some(l) == 0)
			return;
	}
}

/* Blocks until stdin has a line or is at EOF. */
static void
wait_for_go(void)
{
	char line[64];

	if (fgets(line, sizeof(line), stdin) == NULL && ferror(stdin))
		perror("late_reader: stdin");
}
