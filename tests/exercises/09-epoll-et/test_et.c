/*
 * test_et.c - the unit tests of exercise 09-epoll-et (et_serve).
 *
 * Each test connects a struct conn to a peer through a socketpair, plays
 * the client on the peer's side, and calls et_serve() the way an
 * edge-triggered server would: once per edge, and again while it returns
 * ET_MORE. No epoll is needed to decide whether an edge would come: the
 * tests call et_serve() only where one would. Deterministic, no timing.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "et_serve.h"
#include "net.h"

#define BIG      65536     /* the 64 KiB line */
#define MAX_TURN 100000    /* et_serve() calls before we call it a loop */
#define FLOOD    (1 << 20) /* the flood test's input */

struct pair {
	struct conn *c;
	int peer; /* the client's end, non-blocking */
};

static int failures;

static void fail(const char *test, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static void open_pair(struct pair *p);
static size_t expected_answer(const char *in, size_t n, char *out);
static size_t drain_peer(struct pair *p, char *got, size_t cap);
static void test_big_line(void);
static void test_rounds_bound(void);
static void test_output_full(void);
static void test_eof(void);

int
main(void)
{
	test_big_line();
	test_rounds_bound();
	test_output_full();
	test_eof();
	if (failures == 0)
		printf("ok: et_serve reads until EAGAIN, within its rounds\n");
	return failures ? 1 : 0;
}

static void
fail(const char *test, const char *fmt, ...)
{
	va_list ap;

	failures++;
	printf("FAIL: %s: ", test);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* A connected pair; the conn's end is non-blocking, as epoll ET needs. */
static void
open_pair(struct pair *p)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 ||
	    set_nonblocking(sv[0]) < 0 || set_nonblocking(sv[1]) < 0 ||
	    !(p->c = conn_new(sv[0]))) {
		perror("test_et: socketpair");
		exit(1);
	}
	p->peer = sv[1];
}

/* What a correct server answers to in[0..n), then EOF. */
static size_t
expected_answer(const char *in, size_t n, char *out)
{
	struct rot13_line line = {0};
	size_t len = rot13_feed(&line, in, n, out);

	return len + rot13_flush(&line, out + len);
}

/* Reads every answer waiting on the peer's side into got; returns how
 * many bytes that was. */
static size_t
drain_peer(struct pair *p, char *got, size_t cap)
{
	size_t len = 0;
	ssize_t n;

	while (len < cap && (n = recv(p->peer, got + len, cap - len, 0)) > 0)
		len += (size_t)n;
	return len;
}

/* The client sends one 64 KiB line at once: that is one edge. */
static void
test_big_line(void)
{
	const char *test = "a 64 KiB line arrives at once (one edge)";
	static char in[BIG + 1], want[2 * BIG], got[2 * BIG];
	struct pair p;
	size_t want_len, got_len = 0;
	enum et_result r = ET_MORE;

	memset(in, 'a', BIG);
	in[BIG] = '\n';
	want_len = expected_answer(in, sizeof(in), want); /* no EOF needed */
	open_pair(&p);
	if (send(p.peer, in, sizeof(in), 0) != (ssize_t)sizeof(in)) {
		perror("test_et: send");
		exit(1);
	}
	for (int turn = 0; r == ET_MORE && turn < MAX_TURN; turn++)
		r = et_serve(p.c, ET_ROUNDS);
	got_len = drain_peer(&p, got, sizeof(got));
	if (r != ET_WAIT)
		fail(test, "expected ET_WAIT once all was read, got %d", r);
	if (got_len != want_len || memcmp(got, want, want_len) != 0)
		fail(test,
		     "expected %zu bytes of answers before the next edge, got "
		     "%zu (no edge comes for bytes that were already there: "
		     "read until recv() says EAGAIN)",
		     want_len, got_len);
	conn_free(p.c);
	close(p.peer);
}

/* Lots of input waiting: one call must stop after its rounds and say so,
 * and calling again while it says ET_MORE must finish the job. */
static void
test_rounds_bound(void)
{
	const char *test = "more input than one turn may take";
	static char in[200 * 1000], got[sizeof(in) + 100];
	struct pair p;
	size_t got_len = 0;
	enum et_result r;
	int calls = 1;

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = i % 1000 == 999 ? '\n' : 'n';
	open_pair(&p);
	if (send(p.peer, in, sizeof(in), 0) != (ssize_t)sizeof(in)) {
		perror("test_et: send");
		exit(1);
	}
	r = et_serve(p.c, 1);
	got_len += drain_peer(&p, got, sizeof(got));
	if (r != ET_MORE)
		fail(test,
		     "expected ET_MORE from et_serve(c, 1) with 200 kB "
		     "waiting, got %s (one round reads at most what the "
		     "output buffer has room for; ignoring rounds lets one "
		     "client starve the others)",
		     r == ET_WAIT ? "ET_WAIT" : "ET_CLOSE");
	while (r == ET_MORE && calls++ < MAX_TURN) {
		r = et_serve(p.c, 1);
		got_len += drain_peer(&p, got + got_len, sizeof(got) - got_len);
	}
	if (got_len != sizeof(in))
		fail(test,
		     "expected all %zu bytes answered after calling again "
		     "while ET_MORE, got %zu after %d calls",
		     sizeof(in), got_len, calls);
	conn_free(p.c);
	close(p.peer);
}

/* The client sends and does not read: the server's output fills. Then it
 * reads everything: freed space is an EPOLLOUT edge, one call. */
static void
test_output_full(void)
{
	const char *test = "the client reads late";
	static char in[FLOOD], want[FLOOD + 100], got[FLOOD + 100];
	struct pair p;
	size_t sent = 0, got_len = 0, want_len;
	int edges = 0;

	memset(in, 'z', sizeof(in));
	for (size_t i = 99; i < sizeof(in); i += 100)
		in[i] = '\n';
	want_len = expected_answer(in, sizeof(in), want);
	open_pair(&p);
	while (sent < sizeof(in) && edges < MAX_TURN) {
		ssize_t n = send(p.peer, in + sent, sizeof(in) - sent, 0);
		enum et_result r = ET_MORE;
		sent += n > 0 ? (size_t)n : 0;
		for (int turn = 0; r == ET_MORE && turn < MAX_TURN; turn++)
			r = et_serve(p.c, ET_ROUNDS); /* an EPOLLIN edge */
		if (r != ET_WAIT) {
			fail(test, "expected ET_WAIT, got %d", r);
			break;
		}
		/* The client reads: an EPOLLOUT edge for the server. */
		got_len += drain_peer(&p, got + got_len, sizeof(got) - got_len);
		edges++;
	}
	shutdown(p.peer, SHUT_WR);
	for (int turn = 0; turn < MAX_TURN; turn++) {
		enum et_result r = et_serve(p.c, ET_ROUNDS);
		got_len += drain_peer(&p, got + got_len, sizeof(got) - got_len);
		if (r == ET_CLOSE)
			break;
	}
	if (got_len != want_len || memcmp(got, want, want_len) != 0)
		fail(test,
		     "expected %zu bytes answered, got %zu (once send() has "
		     "room again, the input left in the kernel must be read: "
		     "no EPOLLIN edge will come for it)",
		     want_len, got_len);
	conn_free(p.c);
	close(p.peer);
}

/* An unterminated last line, then EOF: answered, then ET_CLOSE. */
static void
test_eof(void)
{
	const char *test = "half-close after an unterminated line";
	struct pair p;
	char got[16];
	enum et_result r = ET_MORE;
	size_t n;

	open_pair(&p);
	if (send(p.peer, "abc", 3, 0) != 3 || shutdown(p.peer, SHUT_WR) < 0) {
		perror("test_et: send");
		exit(1);
	}
	for (int turn = 0; r == ET_MORE && turn < MAX_TURN; turn++)
		r = et_serve(p.c, ET_ROUNDS);
	n = drain_peer(&p, got, sizeof(got));
	if (r != ET_CLOSE)
		fail(test,
		     "expected ET_CLOSE after EOF with all answered, "
		     "got %s",
		     r == ET_WAIT ? "ET_WAIT" : "ET_MORE");
	if (n != 4 || memcmp(got, "nop\n", 4) != 0)
		fail(test, "expected the answer \"nop\\n\", got %zu bytes", n);
	conn_free(p.c);
	close(p.peer);
}
