/*
 * bench_buffer.c - what an evbuffer costs per 64-byte line: adding and
 * removing lines, and splitting a stream into lines with evbuffer_readln.
 *
 * Written once against libevent's public API and built twice, against
 * libevent and against minievent (tests/bench/Makefile). Modes:
 *
 *   addremove  BATCH lines are added one evbuffer_add each, then taken out
 *              one evbuffer_remove each, until TOTAL bytes went through.
 *              Prints ns per line (one add and one remove).
 *   readln     BATCH lines arrive as one block (as a read() would bring
 *              them), then evbuffer_readln(EVBUFFER_EOL_LF) takes them out
 *              one by one. Prints ns per line (the block's share of the
 *              add, the search, the copy, the malloc and free).
 *
 * The work is split into ROUNDS rounds (default 11); the result is the
 * median of the rounds after the first, a warm-up.
 *
 *   bench_buffer -m addremove|readln [-t TOTAL_MB] [-b BATCH] [-r ROUNDS]
 *
 * Prints one line of key=value fields ending in "unit=ns_per_op wall=W
 * cpu=C", like the other benchmarks.
 */
#include <event2/buffer.h>
#include <event2/event.h>

#include "bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LINE_LEN  64 /* 63 letters and '\n' */
#define MAX_BATCH 4096

static void die(const char *what);
static void make_lines(char *block, int batch);
static struct cost add_remove(struct evbuffer *buf, const char *block,
                              long lines, int batch);
static struct cost read_lines(struct evbuffer *buf, const char *block,
                              long lines, int batch);

int
main(int argc, char **argv)
{
	static char block[MAX_BATCH * LINE_LEN];
	struct cost ns[BENCH_MAX_ROUNDS], m;
	const char *mode = "addremove";
	long total_mb = 100, lines;
	int batch = 64, rounds = 11, opt, i;
	struct evbuffer *buf;

	while ((opt = getopt(argc, argv, "m:t:b:r:")) != -1) {
		if (opt == 'm')
			mode = optarg;
		else if (opt == 't')
			total_mb = atol(optarg);
		else if (opt == 'b')
			batch = atoi(optarg);
		else if (opt == 'r')
			rounds = atoi(optarg);
		else
			goto usage;
	}
	if ((strcmp(mode, "addremove") && strcmp(mode, "readln")) ||
	    total_mb < 1 || batch < 1 || batch > MAX_BATCH || rounds < 2 ||
	    rounds > BENCH_MAX_ROUNDS)
		goto usage;
	make_lines(block, batch);
	buf = evbuffer_new();
	if (buf == NULL)
		die("evbuffer_new");
	lines = total_mb * 1024 * 1024 / LINE_LEN / (rounds - 1);
	for (i = 0; i < rounds; i++)
		ns[i] = mode[0] == 'a' ? add_remove(buf, block, lines, batch)
		                       : read_lines(buf, block, lines, batch);
	m = cost_median(ns, rounds);
	printf("bench_buffer method=%s mode=%s total_mb=%ld batch=%d "
	       "unit=ns_per_op wall=%.1f cpu=%.1f\n",
	       "none", mode, total_mb, batch, m.wall, m.cpu);
	evbuffer_free(buf);
	return 0;
usage:
	fprintf(stderr,
	        "usage: bench_buffer -m addremove|readln "
	        "[-t TOTAL_MB] [-b BATCH (1-4096)] [-r ROUNDS (2-64)]\n");
	return 2;
}

static void
die(const char *what)
{
	fprintf(stderr, "bench_buffer: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* batch lines of 63 letters and a '\n', each line a little different. */
static void
make_lines(char *block, int batch)
{
	int i, j;

	for (i = 0; i < batch; i++) {
		for (j = 0; j < LINE_LEN - 1; j++)
			block[i * LINE_LEN + j] = (char)('a' + (i + j) % 26);
		block[i * LINE_LEN + LINE_LEN - 1] = '\n';
	}
}

/* Adds and removes lines (at least) one line at a time, batch by batch;
 * returns the cost per line. */
static struct cost
add_remove(struct evbuffer *buf, const char *block, long lines, int batch)
{
	char line[LINE_LEN];
	struct cost start = cost_start();
	long done;
	int i;

	for (done = 0; done < lines; done += batch) {
		for (i = 0; i < batch; i++)
			if (evbuffer_add(buf, block + i * LINE_LEN, LINE_LEN))
				die("evbuffer_add");
		for (i = 0; i < batch; i++)
			if (evbuffer_remove(buf, line, LINE_LEN) != LINE_LEN)
				die("evbuffer_remove");
	}
	return cost_stop(start, (double)done);
}

/* Adds batch lines as one block, then reads them back with readln;
 * returns the cost per line. */
static struct cost
read_lines(struct evbuffer *buf, const char *block, long lines, int batch)
{
	struct cost start = cost_start();
	long done;
	size_t n;
	char *line;
	int i;

	for (done = 0; done < lines; done += batch) {
		if (evbuffer_add(buf, block, (size_t)batch * LINE_LEN))
			die("evbuffer_add");
		for (i = 0; i < batch; i++) {
			line = evbuffer_readln(buf, &n, EVBUFFER_EOL_LF);
			if (line == NULL || n != LINE_LEN - 1)
				die("evbuffer_readln");
			free(line);
		}
	}
	return cost_stop(start, (double)done);
}
