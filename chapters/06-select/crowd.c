/*
 * crowd - chapter 06: one active client timed while a crowd sits idle.
 *
 * Opens the active connection first, then IDLE more, one at a time: each
 * sends one line and waits for its answer (served) or for the server to
 * close it (refused). Then the crowd stays connected and silent while the
 * active connection makes ROUNDS round trips, one line each, timed.
 * Against rot13_select the crowd shows FD_SETSIZE (connections that get
 * descriptor 1024 or above are refused) and the price of select(): every
 * round trip pays for every idle descriptor below the highest one.
 *
 *   ulimit -n 4096   (the crowd and the server each need IDLE descriptors)
 *   ./crowd -p 40713 -n 1030 -r 2000
 *
 * Prints how many were served and refused, then the round-trip times.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net.h"

#define WAIT_MS 10000 /* the longest we wait for any one answer */

struct options {
	struct server_options srv;
	int idle, rounds;
};

static void parse(struct options *o, int argc, char **argv);
static int connect_to(const struct server_options *srv);
static int ping(int fd);
static int by_value(const void *a, const void *b);
static long long now_ns(void);

int
main(int argc, char **argv)
{
	struct options o;
	int active, *crowd, served = 0, refused = 0;
	long long *rtt, sum = 0;

	parse(&o, argc, argv);
	crowd = calloc((size_t)o.idle + 1, sizeof(*crowd));
	rtt = calloc((size_t)o.rounds, sizeof(*rtt));
	if (!crowd || !rtt || (active = connect_to(&o.srv)) < 0 ||
	    ping(active) != 1) {
		fprintf(stderr, "crowd: the active client is not served\n");
		return 1;
	}
	for (int i = 0; i < o.idle; i++) {
		int fd = connect_to(&o.srv), r = fd < 0 ? -1 : ping(fd);
		if (r < 0)
			return 1; /* reported */
		if (r) {
			crowd[served++] = fd;
		} else {
			refused++;
			close(fd);
		}
	}
	printf("crowd: %d idle clients: %d served, %d refused (closed by "
	       "the server)\n",
	       o.idle, served, refused);
	for (int i = 0; i < o.rounds; i++) {
		long long t0 = now_ns();
		if (ping(active) != 1) {
			fprintf(stderr, "crowd: round trip %d failed\n", i);
			return 1;
		}
		rtt[i] = now_ns() - t0;
		sum += rtt[i];
	}
	if (o.rounds > 0) {
		qsort(rtt, (size_t)o.rounds, sizeof(*rtt), by_value);
		printf("crowd: active client: %d round trips, median %lld us, "
		       "mean %lld us\n",
		       o.rounds, rtt[o.rounds / 2] / 1000,
		       sum / o.rounds / 1000);
	}
	for (int i = 0; i < served; i++)
		close(crowd[i]);
	close(active);
	free(crowd);
	free(rtt);
	return 0;
}

static void
parse(struct options *o, int argc, char **argv)
{
	int ch;

	server_options_init(&o->srv);
	o->idle = 1000;
	o->rounds = 1000;
	while ((ch = getopt(argc, argv, "a:p:n:r:")) != -1) {
		if (ch == 'n' && (o->idle = atoi(optarg)) >= 0)
			continue;
		if (ch == 'r' && (o->rounds = atoi(optarg)) >= 0)
			continue;
		if ((ch == 'a' || ch == 'p') &&
		    server_option_apply(&o->srv, ch, optarg) == 0)
			continue;
		fprintf(stderr, "usage: crowd [-a ADDR] [-p PORT] [-n IDLE] "
		                "[-r ROUNDS]\n");
		exit(2);
	}
}

/* A blocking connection to the server, or -1 (reported). */
static int
connect_to(const struct server_options *srv)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0) {
		perror("crowd: socket (raise the limit: ulimit -n 4096)");
		return -1;
	}
	sin.sin_port = htons((unsigned short)srv->port);
	if (inet_pton(AF_INET, srv->addr, &sin.sin_addr) != 1 ||
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		perror("crowd: connect");
		close(fd);
		return -1;
	}
	/* Each round trip is one small write: do not let Nagle hold it. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/*
 * Sends "ping\n" and reads the answer. Returns 1 if "cvat\n" came back, 0 if
 * the server closed or reset the connection instead, -1 on anything else.
 */
static int
ping(int fd)
{
	char buf[5];
	size_t got = 0;
	struct pollfd p = {.fd = fd, .events = POLLIN};

	if (send_all(fd, "ping\n", 5) < 0)
		return errno == EPIPE || errno == ECONNRESET ? 0 : -1;
	while (got < sizeof(buf)) {
		ssize_t n;
		if (poll(&p, 1, WAIT_MS) == 0) {
			fprintf(stderr, "crowd: no answer in %d ms\n", WAIT_MS);
			return -1;
		}
		n = recv(fd, buf + got, sizeof(buf) - got, 0);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return 0;
		if (n < 0 && errno != EINTR) {
			perror("crowd: recv");
			return -1;
		}
		got += n > 0 ? (size_t)n : 0;
	}
	return memcmp(buf, "cvat\n", 5) == 0 ? 1 : -1;
}

static int
by_value(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
