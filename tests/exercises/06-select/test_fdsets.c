/*
 * test_fdsets - exercise 06-select: judges build_fd_sets() (fdsets.h).
 *
 * First it calls the function on made-up clients and compares the sets bit
 * by bit; then it runs a small select() server built on it, in this
 * process, with real clients: a line must be answered, the server must
 * sleep while its clients are idle, and a client leaving must not break
 * the loop. Each test runs in a child process under alarm(), so a crash or
 * a hang is reported as that test's failure. Prints "FAIL: what was
 * expected, what came" for each failure; exit status 0 only if all pass.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdsets.h"
#include "net.h"

#define FAIL(...) (printf("FAIL: " __VA_ARGS__), putchar('\n'), fail = 1)
#define MAXCONNS  16
#define TURN_MS   50  /* select() timeout of one server turn */
#define MAX_TURNS 100 /* turns we give a line to be answered: 5 s */
#define IDLE_TURN 20  /* ms: the idle test's turns */

/* The server around the learner's function. */
struct server {
	int listener, stop[2];
	struct conn *conns[MAXCONNS];
	fd_set rd, wr; /* kept across turns, as a careless loop would */
};

static int fail;

/* ---- calling build_fd_sets() on made-up clients ---- */

/* A conn that is never used for I/O: fd is just a number here. */
static struct conn *
fake_conn(int fd, int eof, size_t pending)
{
	struct conn *c = conn_new(fd);

	if (!c) {
		perror("test_fdsets: conn_new");
		exit(1);
	}
	c->eof = eof;
	c->out_len = pending;
	return c;
}

/* Compares set with the descriptors in want[0..n), for every bit; names
 * the first few differences. */
static void
compare_set(const char *name, const fd_set *set, const int *want, int n,
            const char *why_missing, const char *why_extra)
{
	int shown = 0, more = 0;

	for (int fd = 0; fd < FD_SETSIZE; fd++) {
		int wanted = 0, bad;
		for (int k = 0; k < n; k++)
			wanted |= want[k] == fd;
		bad = wanted != (FD_ISSET(fd, set) != 0);
		if (bad && shown == 3) {
			more++;
		} else if (bad) {
			shown++;
			if (wanted)
				FAIL("%s set: expected fd %d in it, it is not "
				     "(%s)",
				     name, fd, why_missing);
			else
				FAIL("%s set: expected fd %d not in it, it is "
				     "(%s)",
				     name, fd, why_extra);
		}
	}
	if (more)
		FAIL("%s set: and %d more descriptors wrong", name, more);
}

static void
test_bits(void)
{
	/* Slots with holes; the fds are not the slot numbers. */
	struct conn *conns[6] = {
	        fake_conn(10, 0, 0),            /* fresh: read only */
	        NULL,                           /* a free slot */
	        fake_conn(40, 0, 5),            /* answers pending: both */
	        fake_conn(700, 1, 5),           /* EOF, answers owed: write */
	        fake_conn(20, 0, CONN_OUT_CAP), /* no room: write only */
	        NULL,
	};
	const int want_rd[] = {3, 4, 10, 40}, want_wr[] = {40, 700, 20};
	fd_set rd, wr;
	int maxfd;

	/* What select() left in them last turn, or stack garbage. */
	memset(&rd, 0xff, sizeof(rd));
	memset(&wr, 0xff, sizeof(wr));
	maxfd = build_fd_sets(conns, 6, 3, 4, &rd, &wr);
	compare_set("read", &rd, want_rd, 4,
	            "the listener, the stop pipe and every client that "
	            "conn_wants_read()",
	            "stale bits? FD_ZERO both sets first; no read interest "
	            "after EOF or without room for answers");
	compare_set("write", &wr, want_wr, 3,
	            "every client that conn_wants_write()",
	            "stale bits, or write interest with nothing to send");
	if (maxfd != 700)
		FAIL("build_fd_sets returned %d, expected 700: the highest "
		     "descriptor in either set (here a client's, in the write "
		     "set only)",
		     maxfd);
	FD_ZERO(&rd);
	maxfd = build_fd_sets(conns, 1, -1, 4, &rd, &wr);
	compare_set("read (listener -1)", &rd, want_rd + 1, 2,
	            "the stop pipe and conn_wants_read() clients",
	            "listener -1 means: leave the listener out");
	if (maxfd != 10)
		FAIL("with one client (fd 10) and the stop pipe (fd 4), "
		     "build_fd_sets returned %d, expected 10",
		     maxfd);
	for (int i = 0; i < 6; i++)
		free(conns[i]); /* not conn_free(): the fds are made up */
}

/* ---- a select() server built on build_fd_sets() ---- */

static void
server_open(struct server *s)
{
	memset(s, 0, sizeof(*s));
	s->listener = listen_tcp("127.0.0.1", 0, 16);
	if (s->listener < 0 || set_nonblocking(s->listener) < 0 ||
	    pipe(s->stop) < 0) {
		perror("test_fdsets: server");
		exit(1);
	}
}

static void
server_accept(struct server *s)
{
	int fd;

	while ((fd = accept4(s->listener, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
		int i = 0;
		while (i < MAXCONNS && s->conns[i])
			i++;
		if (i == MAXCONNS || !(s->conns[i] = conn_new(fd))) {
			close(fd);
			continue;
		}
	}
}

/* Serves the clients select() reported; closes those done or failed. */
static void
server_serve(struct server *s)
{
	for (int i = 0; i < MAXCONNS; i++) {
		struct conn *c = s->conns[i];
		int bad = 0;
		if (!c)
			continue;
		if (FD_ISSET(c->fd, &s->rd) && conn_wants_read(c))
			bad = conn_read(c) < 0;
		if (!bad && conn_wants_write(c))
			bad = conn_write(c) < 0;
		if (bad || conn_done(c)) {
			conn_free(c);
			s->conns[i] = NULL;
		}
	}
}

/* One turn: build the sets, select() for at most ms, serve. Returns what
 * select() returned; exits the test on a select() error. */
static int
server_turn(struct server *s, int ms)
{
	struct timeval tv = {0, ms * 1000};
	int maxfd = build_fd_sets(s->conns, MAXCONNS, s->listener, s->stop[0],
	                          &s->rd, &s->wr);
	int n;

	if (maxfd < 0 || maxfd >= FD_SETSIZE) {
		FAIL("build_fd_sets returned %d, expected a descriptor", maxfd);
		exit(1);
	}
	n = select(maxfd + 1, &s->rd, &s->wr, NULL, &tv);
	if (n < 0) {
		FAIL("select() failed: %s (a bit left set for a closed "
		     "descriptor? the sets must be cleared every turn)",
		     strerror(errno));
		exit(1);
	}
	if (n > 0) {
		server_serve(s);
		if (FD_ISSET(s->listener, &s->rd))
			server_accept(s);
	}
	return n;
}

static int
client_connect(const struct server *s)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || getsockname(s->listener, (void *)&ss, &len) < 0 ||
	    connect(fd, (void *)&ss, len) < 0) {
		perror("test_fdsets: connect");
		exit(1);
	}
	return fd;
}

/* Sends line from fd and runs turns until its answer has come. */
static int
exchange(struct server *s, int fd, const char *line, const char *answer)
{
	char buf[64] = "";
	size_t want = strlen(answer), got = 0;

	if (send_all(fd, line, strlen(line)) < 0) {
		perror("test_fdsets: send");
		exit(1);
	}
	for (int t = 0; t < MAX_TURNS && got < want; t++) {
		server_turn(s, TURN_MS);
		ssize_t n = recv(fd, buf + got, want - got, MSG_DONTWAIT);
		got += n > 0 ? (size_t)n : 0;
	}
	if (got == want && memcmp(buf, answer, want) == 0)
		return 0;
	FAIL("client fd %d sent \"%.*s\\n\": expected \"%.*s\\n\" within %d "
	     "select() turns, got \"%.*s\" (is every client below maxfd + "
	     "1?)",
	     fd, (int)want - 1, line, (int)want - 1, answer, MAX_TURNS,
	     (int)got, buf);
	return -1;
}

static void
test_answered(void)
{
	struct server s;
	int a, b;

	server_open(&s);
	a = client_connect(&s);
	b = client_connect(&s);
	if (exchange(&s, b, "Hello\n", "Uryyb\n") == 0)
		exchange(&s, a, "select\n", "fryrpg\n");
}

static void
test_idle_sleeps(void)
{
	struct server s;
	int a, b, woke = 0;

	server_open(&s);
	a = client_connect(&s);
	b = client_connect(&s);
	if (exchange(&s, a, "ping\n", "cvat\n") < 0 ||
	    exchange(&s, b, "ping\n", "cvat\n") < 0)
		return;
	/* Every answer is sent and both clients are quiet: nothing is
	 * ready, so each select() should sleep until its timeout. A busy
	 * loop would instead return at once, every turn. */
	for (int t = 0; t < 10; t++)
		woke += server_turn(&s, IDLE_TURN) > 0;
	if (woke > 0)
		FAIL("with two idle clients, expected select() to sleep "
		     "through 10 turns of %d ms; it returned 'ready' %d "
		     "times: a busy loop (write interest with nothing to "
		     "send?)",
		     IDLE_TURN, woke);
}

static void
test_client_leaves(void)
{
	struct server s;
	int a, b;

	server_open(&s);
	a = client_connect(&s);
	b = client_connect(&s);
	if (exchange(&s, a, "bye\n", "olr\n") < 0)
		return;
	/* a half-closes: the server sees EOF, has nothing owed, closes it.
	 * Its descriptor's bit was set by the select() that saw the EOF. */
	shutdown(a, SHUT_WR);
	for (int t = 0; t < 5; t++)
		server_turn(&s, TURN_MS);
	exchange(&s, b, "still here\n", "fgvyy urer\n");
}

/* ---- running each test in a child ---- */

static int
run_test(const char *name, void (*test)(void))
{
	pid_t pid;
	int status;

	fflush(stdout);
	if ((pid = fork()) < 0) {
		perror("test_fdsets: fork");
		exit(1);
	}
	if (pid == 0) {
		alarm(60);
		test();
		fflush(stdout);
		_exit(fail);
	}
	if (waitpid(pid, &status, 0) < 0) {
		perror("test_fdsets: waitpid");
		exit(1);
	}
	if (WIFSIGNALED(status)) {
		printf("FAIL: %s: expected it to finish, it was killed by "
		       "signal %d (%s)\n",
		       name, WTERMSIG(status), strsignal(WTERMSIG(status)));
		return 1;
	}
	if (WEXITSTATUS(status) == 0)
		printf("ok: %s\n", name);
	return WEXITSTATUS(status) != 0;
}

int
main(void)
{
	int failed = 0;

	signal(SIGPIPE, SIG_IGN);
	failed += run_test("the sets hold exactly what is wanted", test_bits);
	failed += run_test("a client's line is answered", test_answered);
	failed += run_test("idle clients: select() sleeps", test_idle_sleeps);
	failed += run_test("a client leaves, the next is still served",
	                   test_client_leaves);
	printf("%d of 4 tests failed\n", failed);
	return failed != 0;
}
