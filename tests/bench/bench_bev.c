/*
 * bench_bev.c - a ROT13 exchange between two bufferevents over a
 * socketpair, in one process and one event loop: what the bufferevent
 * layer costs per line, with the kernel's loopback work the same for both
 * libraries.
 *
 * Written once against libevent's public API and built twice, against
 * libevent and against minievent (tests/bench/Makefile). Modes:
 *
 *   pingpong  the client sends one 64-byte line and waits for its answer
 *             before sending the next. Prints ns per round trip.
 *   stream    the client keeps WINDOW lines in flight (its write
 *             callback refills the output when it drains) and counts the
 *             answers. Prints ns per line.
 *
 * The server side is the ROT13 protocol as rot13_bufferevent speaks it:
 * evbuffer_readln, rotate, evbuffer_add. COUNT lines in all, split into
 * ROUNDS rounds (default 11); the result is the median round after the
 * first, a warm-up.
 *
 *   bench_bev -m pingpong|stream [-c COUNT] [-w WINDOW] [-r ROUNDS]
 *
 * Prints one line of key=value fields ending in "unit=ns_per_op wall=W
 * cpu=C", like the other benchmarks.
 */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include "bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LINE_LEN 64

struct bench {
	struct event_base *base;
	struct bufferevent *client, *server;
	long want, sent, answered; /* lines, in the current round */
	long window;               /* lines in flight (pingpong: 1) */
	char line[LINE_LEN];
};

static void die(const char *what);
static void setup(struct bench *b);
static struct cost one_round(struct bench *b, long lines);
static void send_lines(struct bench *b);
static void server_read_cb(struct bufferevent *bev, void *arg);
static void client_read_cb(struct bufferevent *bev, void *arg);
static void client_write_cb(struct bufferevent *bev, void *arg);
static void event_cb(struct bufferevent *bev, short what, void *arg);

int
main(int argc, char **argv)
{
	struct bench b = {.window = 1};
	struct cost ns[BENCH_MAX_ROUNDS], m;
	const char *mode = "pingpong";
	long count = 200000, window = 256;
	int rounds = 11, opt, i;

	while ((opt = getopt(argc, argv, "m:c:w:r:")) != -1) {
		if (opt == 'm')
			mode = optarg;
		else if (opt == 'c')
			count = atol(optarg);
		else if (opt == 'w')
			window = atol(optarg);
		else if (opt == 'r')
			rounds = atoi(optarg);
		else
			goto usage;
	}
	if ((strcmp(mode, "pingpong") && strcmp(mode, "stream")) || count < 1 ||
	    window < 1 || rounds < 2 || rounds > BENCH_MAX_ROUNDS)
		goto usage;
	if (mode[0] == 's')
		b.window = window;
	setup(&b);
	for (i = 0; i < rounds; i++)
		ns[i] = one_round(&b, count / (rounds - 1) + 1);
	m = cost_median(ns, rounds);
	printf("bench_bev method=%s mode=%s count=%ld window=%ld "
	       "unit=ns_per_op wall=%.1f cpu=%.1f\n",
	       event_base_get_method(b.base), mode, count, b.window, m.wall,
	       m.cpu);
	bufferevent_free(b.client);
	bufferevent_free(b.server);
	event_base_free(b.base);
	return 0;
usage:
	fprintf(stderr, "usage: bench_bev -m pingpong|stream [-c COUNT] "
	                "[-w WINDOW] [-r ROUNDS (2-64)]\n");
	return 2;
}

static void
die(const char *what)
{
	fprintf(stderr, "bench_bev: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* A base and a connected pair of socket bufferevents. */
static void
setup(struct bench *b)
{
	evutil_socket_t sv[2];
	int i;

	b->base = event_base_new();
	if (b->base == NULL)
		die("event_base_new");
	if (evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1 ||
	    evutil_make_socket_nonblocking(sv[0]) == -1 ||
	    evutil_make_socket_nonblocking(sv[1]) == -1)
		die("socketpair");
	b->client =
	        bufferevent_socket_new(b->base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	b->server =
	        bufferevent_socket_new(b->base, sv[1], BEV_OPT_CLOSE_ON_FREE);
	if (b->client == NULL || b->server == NULL)
		die("bufferevent_socket_new");
	bufferevent_setcb(b->server, server_read_cb, NULL, event_cb, b);
	bufferevent_setcb(b->client, client_read_cb, client_write_cb, event_cb,
	                  b);
	if (bufferevent_enable(b->server, EV_READ | EV_WRITE) == -1 ||
	    bufferevent_enable(b->client, EV_READ | EV_WRITE) == -1)
		die("bufferevent_enable");
	for (i = 0; i < LINE_LEN - 1; i++)
		b->line[i] = (char)('a' + i % 26);
	b->line[LINE_LEN - 1] = '\n';
}

/* Sends lines lines through the server and back; the cost per line. */
static struct cost
one_round(struct bench *b, long lines)
{
	struct cost start = cost_start();

	b->want = lines;
	b->sent = b->answered = 0;
	send_lines(b);
	if (event_base_dispatch(b->base) == -1)
		die("event_base_dispatch");
	if (b->answered != lines) {
		errno = EPROTO;
		die("the round ended early");
	}
	return cost_stop(start, (double)lines);
}

/* Tops the lines in flight up to the window. */
static void
send_lines(struct bench *b)
{
	while (b->sent < b->want && b->sent - b->answered < b->window) {
		if (bufferevent_write(b->client, b->line, LINE_LEN) == -1)
			die("bufferevent_write");
		b->sent++;
	}
}

static void
server_read_cb(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer *out = bufferevent_get_output(bev);
	size_t n, i;
	char *line, c;

	(void)arg;
	/* readln's copy ends in a NUL at line[n]: room for the '\n'. */
	while ((line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF)) != NULL) {
		for (i = 0; i < n; i++) {
			c = line[i];
			if (c >= 'a' && c <= 'z')
				line[i] = (char)('a' + (c - 'a' + 13) % 26);
			else if (c >= 'A' && c <= 'Z')
				line[i] = (char)('A' + (c - 'A' + 13) % 26);
		}
		line[n] = '\n';
		evbuffer_add(out, line, n + 1);
		free(line);
	}
}

static void
client_read_cb(struct bufferevent *bev, void *arg)
{
	struct bench *b = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t whole = evbuffer_get_length(in) / LINE_LEN * LINE_LEN;

	evbuffer_drain(in, whole);
	b->answered += (long)(whole / LINE_LEN);
	if (b->answered >= b->want)
		event_base_loopbreak(b->base);
	else
		send_lines(b);
}

/* In stream mode the output drained: more lines may go. */
static void
client_write_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	send_lines(arg);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)arg;
	fprintf(stderr, "bench_bev: unexpected event 0x%x\n", what);
	exit(1);
}
