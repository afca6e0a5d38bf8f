/*
 * connrate - chapter 02: how many short connections a server takes per
 * second.
 *
 * Opens N connections one after another; on each it sends one line, reads
 * the answer, checks it and closes. Each connection costs the server an
 * accept() and a close(); rot13_fork adds a fork() and a child's exit, so
 * the same loop against rot13_blocking and rot13_fork shows what a process
 * per connection costs when connections are short.
 *
 *   ./connrate -p 40713 -n 2000
 *
 * Watch: the two rates side by side ("make run" and "make experiment").
 */
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net.h"

#define LINE   "Hello, fork\n"
#define ANSWER "Uryyb, sbex\n"

static int parse(int argc, char **argv, struct server_options *opt, long *n);
static int one_connection(const struct sockaddr_in *sin);
static double now_s(void);

int
main(int argc, char **argv)
{
	struct server_options opt;
	struct sockaddr_in sin = {.sin_family = AF_INET};
	long n;
	double t0, secs;

	if (parse(argc, argv, &opt, &n) < 0)
		return 2;
	if (inet_pton(AF_INET, opt.addr, &sin.sin_addr) != 1) {
		fprintf(stderr, "connrate: bad IPv4 address '%s'\n", opt.addr);
		return 2;
	}
	sin.sin_port = htons((unsigned short)opt.port);
	t0 = now_s();
	for (long i = 0; i < n; i++) {
		if (one_connection(&sin) < 0) {
			fprintf(stderr, "connrate: connection %ld: %s\n", i + 1,
			        errno ? strerror(errno) : "wrong answer");
			return 1;
		}
	}
	secs = now_s() - t0;
	printf("%ld connections in %.3f s: %.0f connections per second\n", n,
	       secs, (double)n / secs);
	return 0;
}

static int
parse(int argc, char **argv, struct server_options *opt, long *n)
{
	char *end;
	int ch;

	server_options_init(opt);
	*n = 1000;
	while ((ch = getopt(argc, argv, "a:p:n:")) != -1) {
		if (ch == 'n') {
			errno = 0;
			*n = strtol(optarg, &end, 10);
			if (errno == 0 && *end == '\0' && *n > 0)
				continue;
		} else if (server_option_apply(opt, ch, optarg) == 0) {
			continue;
		}
		fprintf(stderr, "usage: connrate [-a ADDR] [-p PORT] [-n N]\n");
		return -1;
	}
	return optind == argc ? 0 : -1;
}

/* Returns 0 if the answer came back right and the server then closed. */
static int
one_connection(const struct sockaddr_in *sin)
{
	char buf[sizeof(ANSWER)];
	size_t got = 0;
	ssize_t k = 1;
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok = 0;

	if (fd < 0)
		return -1;
	errno = 0;
	if (connect(fd, (const struct sockaddr *)sin, sizeof(*sin)) < 0 ||
	    send_all(fd, LINE, strlen(LINE)) < 0 || shutdown(fd, SHUT_WR) < 0)
		goto done;
	/* Read to EOF: the server's close is part of the round trip. */
	while (got < sizeof(buf) &&
	       (k = recv(fd, buf + got, sizeof(buf) - got, 0)) > 0)
		got += (size_t)k;
	ok = k == 0 && got == strlen(ANSWER) && memcmp(buf, ANSWER, got) == 0;
done:
	close(fd);
	return ok ? 0 : -1;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
