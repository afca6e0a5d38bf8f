/*
 * bench_pipe.c - the classic pipe benchmark: how long does the event loop
 * take to carry a chain of one-byte writes through N socketpairs?
 *
 * Written once against libevent's public API (event2/event.h and
 * event2/util.h) and built twice: against libevent and against minievent
 * (tests/bench/Makefile). Each of N socketpairs has a persistent read event;
 * A chains start at A evenly spaced pairs; every read callback takes one
 * byte and writes one byte into the next pair, until W writes have been
 * made. One round is the loop's work from the first byte to the last;
 * creating the pairs and adding the events is setup and is not timed.
 *
 *   bench_pipe [-n PAIRS] [-a ACTIVE] [-w WRITES] [-r ROUNDS]
 *
 * It prints one line of key=value fields ending in
 * "unit=us_per_round wall=W cpu=C": the median round after the first (a
 * warm-up), by the wall clock and by the process's CPU time (which leaves
 * out the time other processes had the CPU). n= is the number of pairs
 * really used: fewer than asked when RLIMIT_NOFILE's hard limit cannot hold
 * two descriptors per pair.
 */
#include <event2/event.h>
#include <event2/util.h>

#include "bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

/* Descriptors kept free for stdio, the backend (epoll) and the library. */
#define SPARE_FDS 64

struct bench;

/* One socketpair: its read end is watched, its write end is fed. */
struct pair {
	evutil_socket_t fds[2];
	struct event *ev;
	struct bench *bench;
	int next; /* the pair this one's callback writes into */
};

struct bench {
	struct event_base *base;
	struct pair *pairs;
	int npairs, nactive;
	long nwrites, writes_left, fired, count;
};

static void die(const char *what);
static int usable_pairs(int wanted);
static void setup(struct bench *b);
static void teardown(struct bench *b);
static struct cost run_round(struct bench *b);
static void feed(struct bench *b, int i);
static void read_cb(evutil_socket_t fd, short events, void *arg);

int
main(int argc, char **argv)
{
	struct bench b = {.npairs = 100, .nactive = 1, .nwrites = 10000};
	int rounds = 16, asked, opt, i;
	struct cost us[BENCH_MAX_ROUNDS], m;

	while ((opt = getopt(argc, argv, "n:a:w:r:")) != -1) {
		switch (opt) {
		case 'n':
			b.npairs = atoi(optarg);
			break;
		case 'a':
			b.nactive = atoi(optarg);
			break;
		case 'w':
			b.nwrites = atol(optarg);
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		default:
			fprintf(stderr,
			        "usage: bench_pipe [-n PAIRS] "
			        "[-a ACTIVE] [-w WRITES] [-r ROUNDS]\n");
			return 2;
		}
	}
	asked = b.npairs;
	b.npairs = usable_pairs(b.npairs);
	if (b.npairs < 1 || b.nactive < 1 || b.nactive > b.npairs ||
	    b.nwrites < 0 || rounds < 2 || rounds > BENCH_MAX_ROUNDS) {
		fprintf(stderr, "bench_pipe: need 1 <= ACTIVE <= PAIRS, "
		                "WRITES >= 0, 2 <= ROUNDS <= 64\n");
		return 2;
	}
	setup(&b);
	for (i = 0; i < rounds; i++)
		us[i] = run_round(&b);
	m = cost_median(us, rounds);
	printf("bench_pipe method=%s n=%d asked=%d a=%d w=%ld rounds=%d "
	       "unit=us_per_round wall=%.1f cpu=%.1f\n",
	       event_base_get_method(b.base), b.npairs, asked, b.nactive,
	       b.nwrites, rounds - 1, m.wall, m.cpu);
	teardown(&b);
	return 0;
}

static void
die(const char *what)
{
	fprintf(stderr, "bench_pipe: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Raises the soft descriptor limit to the hard one and returns how many of
 * the wanted pairs fit under it. */
static int
usable_pairs(int wanted)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)wanted * 2 + SPARE_FDS;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		die("getrlimit");
	if (rl.rlim_cur < need && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = need < rl.rlim_max ? need : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			die("setrlimit");
	}
	if (rl.rlim_cur >= need)
		return wanted;
	return rl.rlim_cur > SPARE_FDS ? (int)(rl.rlim_cur - SPARE_FDS) / 2 : 0;
}

static void
setup(struct bench *b)
{
	struct pair *p;
	int i;

	b->base = event_base_new();
	if (b->base == NULL)
		die("event_base_new");
	b->pairs = calloc(b->npairs, sizeof(*b->pairs));
	if (b->pairs == NULL)
		die("calloc");
	for (i = 0; i < b->npairs; i++) {
		p = &b->pairs[i];
		p->bench = b;
		p->next = (i + 1) % b->npairs;
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, p->fds) == -1)
			die("socketpair");
		p->ev = event_new(b->base, p->fds[0], EV_READ | EV_PERSIST,
		                  read_cb, p);
		if (p->ev == NULL || event_add(p->ev, NULL) == -1)
			die("event_new/event_add");
	}
}

static void
teardown(struct bench *b)
{
	int i;

	for (i = 0; i < b->npairs; i++) {
		event_free(b->pairs[i].ev);
		close(b->pairs[i].fds[0]);
		close(b->pairs[i].fds[1]);
	}
	free(b->pairs);
	event_base_free(b->base);
}

/* Starts A chains and runs the loop until every byte written is read;
 * returns the time that took in microseconds. */
static struct cost
run_round(struct bench *b)
{
	struct cost start;
	int i, space = b->npairs / b->nactive;

	b->count = b->fired = 0;
	b->writes_left = b->nwrites;
	for (i = 0; i < b->nactive; i++)
		feed(b, i * space);
	start = cost_start();
	/* Some byte is always in flight while count < fired, so a blocking
	 * EVLOOP_ONCE cannot sleep forever here unless the library loses an
	 * event; the runner's timeout catches that. */
	while (b->count < b->fired)
		if (event_base_loop(b->base, EVLOOP_ONCE) == -1)
			die("event_base_loop");
	return cost_stop(start, 1000.0);
}

static void
feed(struct bench *b, int i)
{
	/* MSG_DONTWAIT: one byte always fits, and a surprise must not hang. */
	if (send(b->pairs[i].fds[1], "e", 1, MSG_DONTWAIT) != 1)
		die("send");
	b->fired++;
}

static void
read_cb(evutil_socket_t fd, short events, void *arg)
{
	struct pair *p = arg;
	struct bench *b = p->bench;
	char c;

	(void)events;
	if (recv(fd, &c, 1, MSG_DONTWAIT) != 1)
		die("recv");
	b->count++;
	if (b->writes_left > 0) {
		b->writes_left--;
		feed(b, p->next);
	}
}
