/*
 * test_relay.c - the tests of exercise 14-bufferevent (relay.c).
 *
 * The relay joins two socketpairs, A and B; this program holds the other
 * end of each, sends a known pattern from one or both, and reads fast,
 * slowly, or not at all. Every byte is accounted for: what a sender sent
 * is in the relay's receive queue (kernel), in the relay itself, in the
 * receiver's queue (kernel) or read. The kernel counts are exact for
 * AF_UNIX sockets (ioctl SIOCINQ), so what the relay holds is measured,
 * not guessed, every TICK_MS. Each test runs in a child process under an
 * alarm, and every wait is bounded.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/sockios.h>

#include <event2/event.h>

#include "relay.h"

#define MiB     ((size_t)1 << 20)
#define BOUND   (2 * RELAY_MAX) /* the most the relay may hold one way */
#define TICK_MS 10
#define STALL   50    /* ticks without progress: everybody waits */
#define SLOW    32768 /* bytes a slow reader takes per tick */
#define LIMIT_S 100   /* per test */

enum reader { NEVER, FAST, SLOWLY };

struct end { /* this program's end of one socketpair */
	struct rig *rig;
	int side;         /* 0: A, 1: B */
	int fd, relay_fd; /* ours, and the relay's end of the same pair */
	size_t to_send, sent, got, bad_at;
	enum reader reading;
	int half_close, eof;
	struct event *wr, *rd;
};

struct rig {
	struct event_base *base;
	struct relay *relay;
	struct end end[2];
	struct event *tick;
	size_t held_max[2]; /* A to B, B to A */
	size_t last;
	int idle, done_calls;
};

static int failures;

#define FAIL(...)                                                              \
	do {                                                                   \
		printf("FAIL: " __VA_ARGS__);                                  \
		printf("\n");                                                  \
		failures++;                                                    \
	} while (0)

/* Byte i of what side s sends: a different pattern each way. */
static unsigned char
pattern(int s, size_t i)
{
	return (unsigned char)(s == 0 ? i % 251 : (i % 241) ^ 0x5a);
}

static size_t
inq(int fd)
{
	int n = 0;

	return ioctl(fd, SIOCINQ, &n) == 0 && n > 0 ? (size_t)n : 0;
}

/* Bytes the relay holds from side s toward the other, while it runs. */
static size_t
held(struct rig *g, int s)
{
	struct end *from = &g->end[s], *to = &g->end[!s];

	if (g->done_calls)
		return 0;
	return from->sent - inq(from->relay_fd) - inq(to->fd) - to->got;
}

static void
on_send(evutil_socket_t fd, short what, void *arg)
{
	struct end *e = arg;
	unsigned char buf[65536];
	size_t n = e->to_send - e->sent;
	ssize_t k;

	(void)what;
	if (n > sizeof(buf))
		n = sizeof(buf);
	for (size_t i = 0; i < n; i++)
		buf[i] = pattern(e->side, e->sent + i);
	k = send(fd, buf, n, MSG_NOSIGNAL);
	if (k > 0)
		e->sent += (size_t)k;
	if (e->sent == e->to_send || (k < 0 && errno != EAGAIN)) {
		event_del(e->wr);
		if (e->half_close)
			shutdown(fd, SHUT_WR);
	}
}

/* Reads at most max bytes and checks them against the other side's
 * pattern. */
static void
take(struct end *e, size_t max)
{
	unsigned char buf[65536];
	ssize_t k = recv(e->fd, buf, max < sizeof(buf) ? max : sizeof(buf), 0);

	if (k == 0) {
		e->eof = 1;
		event_del(e->rd);
	}
	for (ssize_t i = 0; i < k; i++, e->got++)
		if (e->bad_at == SIZE_MAX &&
		    buf[i] != pattern(!e->side, e->got))
			e->bad_at = e->got;
}

static void
on_recv(evutil_socket_t fd, short what, void *arg)
{
	struct end *e = arg;

	(void)fd, (void)what;
	if (e->reading == FAST)
		take(e, SIZE_MAX);
}

static int
finished(struct rig *g)
{
	for (int s = 0; s < 2; s++) {
		struct end *e = &g->end[s], *peer = &g->end[!s];
		if (e->sent < e->to_send || peer->got < e->sent)
			return 0;
	}
	return 1;
}

/* Measures, lets slow readers read, and ends the loop once everything has
 * arrived or nothing has moved for STALL ticks. */
static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct rig *g = arg;
	size_t now = 0;

	(void)fd, (void)what;
	for (int s = 0; s < 2; s++) {
		struct end *e = &g->end[s];
		size_t h = held(g, s);
		if (h > g->held_max[s])
			g->held_max[s] = h;
		if (e->reading == SLOWLY && !e->eof)
			take(e, SLOW);
		now += e->sent + e->got;
	}
	if (now != g->last) {
		g->last = now;
		g->idle = 0;
	}
	if (finished(g) || ++g->idle >= STALL)
		event_base_loopbreak(g->base);
}

static void
on_done(struct relay *r, void *arg)
{
	struct rig *g = arg;

	(void)r;
	g->done_calls++;
}

static int
rig_init(struct rig *g)
{
	struct timeval tick = {0, TICK_MS * 1000};
	int pair[2][2];

	memset(g, 0, sizeof(*g));
	if ((g->base = event_base_new()) == NULL)
		return -1;
	for (int s = 0; s < 2; s++) {
		struct end *e = &g->end[s];
		if (evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, pair[s]) < 0 ||
		    evutil_make_socket_nonblocking(pair[s][0]) < 0 ||
		    evutil_make_socket_nonblocking(pair[s][1]) < 0)
			return -1;
		*e = (struct end){.rig = g, .side = s, .bad_at = SIZE_MAX};
		e->fd = pair[s][0];
		e->relay_fd = pair[s][1];
		e->wr = event_new(g->base, e->fd, EV_WRITE | EV_PERSIST,
		                  on_send, e);
		e->rd = event_new(g->base, e->fd, EV_READ | EV_PERSIST, on_recv,
		                  e);
		if (!e->wr || !e->rd)
			return -1;
	}
	g->tick = event_new(g->base, -1, EV_PERSIST, on_tick, g);
	g->relay = relay_new(g->base, g->end[0].relay_fd, g->end[1].relay_fd,
	                     on_done, g);
	if (!g->tick || !g->relay || event_add(g->tick, &tick) < 0)
		return -1;
	return 0;
}

/* Starts sending and reading as the ends say, runs until done or stalled. */
static void
rig_run(struct rig *g)
{
	for (int s = 0; s < 2; s++) {
		struct end *e = &g->end[s];
		if (e->sent < e->to_send)
			event_add(e->wr, NULL);
		if (e->reading == FAST && !e->eof)
			event_add(e->rd, NULL);
	}
	g->idle = 0;
	event_base_dispatch(g->base);
}

static void
rig_free(struct rig *g)
{
	relay_free(g->relay);
	for (int s = 0; s < 2; s++) {
		if (g->end[s].wr)
			event_free(g->end[s].wr);
		if (g->end[s].rd)
			event_free(g->end[s].rd);
		close(g->end[s].fd);
	}
	event_free(g->tick);
	event_base_free(g->base);
}

static const char *name[] = {"A", "B"};

/* Every byte sent from side s arrived, unchanged and in order. */
static void
expect_intact(struct rig *g, int s, const char *what)
{
	struct end *from = &g->end[s], *to = &g->end[!s];

	if (to->bad_at != SIZE_MAX)
		FAIL("%s: byte %zu from %s to %s came wrong: expected every "
		     "byte in order",
		     what, to->bad_at, name[s], name[!s]);
	else if (to->got != from->to_send)
		FAIL("%s: %s got %zu of the %zu bytes %s sent (%zu sent so "
		     "far): expected all of them",
		     what, name[!s], to->got, from->to_send, name[s],
		     from->sent);
}

static void
expect_bounded(struct rig *g, int s, const char *what)
{
	if (g->held_max[s] > BOUND)
		FAIL("%s: the relay held up to %zu bytes from %s for %s; "
		     "expected at most %d (RELAY_MAX is %d): no flow control",
		     what, g->held_max[s], name[s], name[!s], BOUND, RELAY_MAX);
}

/* s sends 16 MiB, the other side does not read; then it does. */
static void
test_never_reader(int s)
{
	char what[64];
	struct rig g;

	snprintf(what, sizeof(what), "%s sends 16 MiB, %s never reads", name[s],
	         name[!s]);
	if (rig_init(&g) < 0) {
		FAIL("%s: set-up: %s", what, strerror(errno));
		return;
	}
	g.end[s].to_send = 16 * MiB;
	rig_run(&g);
	expect_bounded(&g, s, what);
	if (g.end[s].sent == g.end[s].to_send)
		FAIL("%s: %s could send all %zu bytes: expected the relay to "
		     "stop reading, so that %s has to wait",
		     what, name[s], g.end[s].sent, name[s]);
	printf("%s: %s could send %zu of %zu bytes; the relay held at most "
	       "%zu\n",
	       what, name[s], g.end[s].sent, g.end[s].to_send, g.held_max[s]);
	g.end[!s].reading = FAST;
	rig_run(&g);
	expect_intact(&g, s, "then it reads");
	rig_free(&g);
}

/* 4 MiB each way at once; both read slowly. */
static void
test_both_ways_slowly(void)
{
	const char *what = "4 MiB each way, both reading slowly";
	struct rig g;

	if (rig_init(&g) < 0) {
		FAIL("%s: set-up: %s", what, strerror(errno));
		return;
	}
	for (int s = 0; s < 2; s++) {
		g.end[s].to_send = 4 * MiB;
		g.end[s].reading = SLOWLY;
	}
	rig_run(&g);
	for (int s = 0; s < 2; s++) {
		expect_bounded(&g, s, what);
		expect_intact(&g, s, what);
	}
	printf("%s: the relay held at most %zu (A to B) and %zu (B to A)\n",
	       what, g.held_max[0], g.held_max[1]);
	rig_free(&g);
}

/* A sends 4 MiB and half-closes while B does not read yet: B must get
 * all of it, then EOF, and done must be called once. */
static void
test_eof_after_backlog(void)
{
	const char *what = "A sends 4 MiB and closes, B reads late";
	struct rig g;

	if (rig_init(&g) < 0) {
		FAIL("%s: set-up: %s", what, strerror(errno));
		return;
	}
	g.end[0].to_send = 4 * MiB;
	g.end[0].half_close = 1;
	rig_run(&g);
	expect_bounded(&g, 0, what);
	g.end[1].reading = FAST;
	rig_run(&g);
	while (!g.end[1].eof && g.idle < STALL) /* the close follows */
		event_base_loop(g.base, EVLOOP_ONCE);
	expect_intact(&g, 0, what);
	if (!g.end[1].eof)
		FAIL("%s: expected EOF at B after the last byte, none came",
		     what);
	if (g.done_calls != 1)
		FAIL("%s: expected done to be called once, it was called %d "
		     "times",
		     what, g.done_calls);
	rig_free(&g);
}

static void
run(void (*test)(void), int arg_test, void (*test_arg)(int))
{
	pid_t pid;
	int status;

	fflush(stdout);
	if ((pid = fork()) == 0) {
		alarm(LIMIT_S);
		signal(SIGPIPE, SIG_IGN);
		if (test)
			test();
		else
			test_arg(arg_test);
		fflush(stdout);
		_exit(failures ? 1 : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		FAIL("fork/wait: %s", strerror(errno));
		return;
	}
	if (WIFSIGNALED(status))
		FAIL("a test died of signal %d (%s)%s", WTERMSIG(status),
		     strsignal(WTERMSIG(status)),
		     WTERMSIG(status) == SIGALRM ? ": it did not end in time"
		                                 : "");
	else if (WEXITSTATUS(status) != 0)
		failures++;
}

int
main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	run(NULL, 0, test_never_reader);
	run(NULL, 1, test_never_reader);
	run(test_both_ways_slowly, 0, NULL);
	run(test_eof_after_backlog, 0, NULL);
	if (failures == 0)
		printf("relay: every test passed\n");
	return failures != 0;
}
