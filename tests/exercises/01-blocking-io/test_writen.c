/*
 * test_writen - the tests of exercise 01 (blocking-io): writen().
 *
 * writen() must write every byte despite partial writes and EINTR. The test
 * makes both happen rather than hoping for them:
 *  - the writer's buffer is small (SO_SNDBUF, F_SETPIPE_SZ) and a reader
 *    thread reads nothing at first, so a big write() has to block;
 *  - SIGALRM comes every TICK_US from an interval timer, handled without
 *    SA_RESTART, so a blocked write() returns early: with the count of the
 *    bytes it took (a partial write), or -1 with EINTR if it took none;
 *  - the reader starts after STALL_TICKS signals, then reads slowly, so
 *    the interruptions go on to the last byte.
 * A self-check first shows that this machine really produces both.
 *
 * The reader checks that byte i of the stream is pattern(i): a lost,
 * repeated or reordered chunk is caught. Exit status 0 when all passed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "writen.h"

#define BIG         (1024 * 1024) /* bytes per transfer */
#define SMALL_BUF   4096          /* SO_SNDBUF and pipe size */
#define TICK_US     2000          /* SIGALRM period */
#define STALL_TICKS 10            /* the reader waits for this many */
#define READ_SIZE   4096
#define READ_PAUSE  100000 /* ns between reads */
#define STALL_LIMIT 10     /* s: the reader never waits longer */

enum kind { SOCKETPAIR, PIPE };
static const char *kind_name[] = {"a socketpair", "a pipe"};

struct reader {
	int fd;
	int stall_ticks; /* start reading after this many SIGALRMs... */
	atomic_int go;   /* ...or when this is set */
	size_t got;      /* bytes read */
	size_t bad_at;   /* offset of the first wrong byte, or SIZE_MAX */
	int err;         /* errno of a failed read(), or 0 */
};

struct test_case {
	int wfd;
	pthread_t thread;
	struct reader r;
};

static atomic_int ticks; /* SIGALRM deliveries since the case began */

static unsigned char
pattern(size_t i)
{
	return (unsigned char)(i % 251); /* 251 is prime: no chunk aligns */
}

static void
on_tick(int sig)
{
	(void)sig;
	atomic_fetch_add(&ticks, 1); /* lock-free: safe in a handler */
}

static int
timer_set(long us)
{
	struct itimerval it = {{0, us}, {0, us}};

	return setitimer(ITIMER_REAL, &it, NULL);
}

static void
die(const char *what)
{
	printf("FAIL: test setup: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void *
reader_main(void *arg)
{
	struct reader *r = arg;
	struct timespec pause = {0, READ_PAUSE}, nap = {0, 1000000};
	unsigned char buf[READ_SIZE];

	for (int ms = 0; ms < STALL_LIMIT * 1000; ms++) {
		if (atomic_load(&r->go) ||
		    atomic_load(&ticks) >= r->stall_ticks)
			break;
		nanosleep(&nap, NULL);
	}
	for (;;) {
		ssize_t k = read(r->fd, buf, sizeof(buf));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			r->err = k < 0 ? errno : 0;
			break;
		}
		for (ssize_t i = 0; i < k && r->bad_at == SIZE_MAX; i++)
			if (buf[i] != pattern(r->got + (size_t)i))
				r->bad_at = r->got + (size_t)i;
		r->got += (size_t)k;
		nanosleep(&pause, NULL);
	}
	close(r->fd);
	return NULL;
}

/* A connected pair with a small buffer on the writer's side. */
static void
make_pair(enum kind kind, int fds[2])
{
	int size = SMALL_BUF;

	if (kind == SOCKETPAIR) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) < 0 ||
		    setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &size,
		               sizeof(size)) < 0)
			die("socketpair");
		return;
	}
	if (pipe(fds) < 0 || fcntl(fds[1], F_SETPIPE_SZ, size) < 0)
		die("pipe");
	/* pipe() gives {read, write}; make it {write, read} like above. */
	int t = fds[0];
	fds[0] = fds[1];
	fds[1] = t;
}

/* Starts a reader (with SIGALRM blocked, so only the writer is
 * interrupted) and the timer. */
static void
case_begin(struct test_case *c, enum kind kind, int stall_ticks)
{
	sigset_t alrm, old;
	int fds[2];

	make_pair(kind, fds);
	c->wfd = fds[0];
	c->r = (struct reader){
	        .fd = fds[1], .stall_ticks = stall_ticks, .bad_at = SIZE_MAX};
	atomic_store(&c->r.go, 0);
	atomic_store(&ticks, 0);
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	if (pthread_sigmask(SIG_BLOCK, &alrm, &old) != 0 ||
	    pthread_create(&c->thread, NULL, reader_main, &c->r) != 0 ||
	    pthread_sigmask(SIG_SETMASK, &old, NULL) != 0)
		die("reader thread");
	if (timer_set(TICK_US) < 0)
		die("setitimer");
}

/* EOF for the reader, then wait for it to finish; the timer runs until
 * then, since a stalled reader may be counting ticks. */
static void
case_end(struct test_case *c)
{
	close(c->wfd);
	if (pthread_join(c->thread, NULL) != 0 || timer_set(0) < 0)
		die("ending a case");
}

/* Shows that partial writes and EINTR really happen here, with write(). */
static int
self_check(enum kind kind, const unsigned char *data)
{
	struct test_case c;
	ssize_t first, second;
	int err;

	case_begin(&c, kind, INT_MAX);
	first = write(c.wfd, data, BIG);
	second = write(c.wfd, data + (first > 0 ? first : 0),
	               BIG - (size_t)(first > 0 ? first : 0));
	err = errno;
	atomic_store(&c.r.go, 1);
	case_end(&c);
	if (first > 0 && first < BIG && second < 0 && err == EINTR) {
		printf("ok: self-check on %s: one write() of %d bytes took "
		       "%zd, the next failed with EINTR\n",
		       kind_name[kind], BIG, first);
		return 0;
	}
	printf("FAIL: self-check on %s: expected a partial write() and "
	       "then EINTR, got %zd then %zd (%s); this machine cannot run "
	       "the test\n",
	       kind_name[kind], first, second, strerror(err));
	return 1;
}

static int
test_big(enum kind kind, const unsigned char *data)
{
	struct test_case c;
	ssize_t ret;
	int err, n;

	case_begin(&c, kind, STALL_TICKS);
	ret = writen(c.wfd, data, BIG);
	err = errno;
	n = atomic_load(&ticks);
	case_end(&c);
	if (ret != BIG) {
		printf("FAIL: writen(%d bytes) on %s: expected %d, got %zd%s%s "
		       "(the reader got %zu bytes)\n",
		       BIG, kind_name[kind], BIG, ret, ret < 0 ? " with " : "",
		       ret < 0 ? strerror(err) : "", c.r.got);
		if (ret >= 0 && ret < BIG)
			printf("      a partial write() is not the end: write "
			       "the rest\n");
		if (ret < 0 && err == EINTR)
			printf("      EINTR means no byte went: try again\n");
		return 1;
	}
	if (c.r.got != BIG || c.r.bad_at != SIZE_MAX || c.r.err != 0) {
		printf("FAIL: writen(%d bytes) on %s returned %d, but the "
		       "reader got %zu bytes, first wrong byte at %zd\n",
		       BIG, kind_name[kind], BIG, c.r.got,
		       c.r.bad_at == SIZE_MAX ? (ssize_t)-1
		                              : (ssize_t)c.r.bad_at);
		return 1;
	}
	printf("ok: writen(%d bytes) on %s: all arrived in order, through "
	       "%d signals\n",
	       BIG, kind_name[kind], n);
	return 0;
}

/* A reader that has gone is a real error: -1 with EPIPE, not a loop. */
static int
test_epipe(enum kind kind, const unsigned char *data)
{
	int fds[2], err;
	ssize_t ret;

	make_pair(kind, fds);
	close(fds[1]);
	ret = writen(fds[0], data, 100000);
	err = errno;
	close(fds[0]);
	if (ret == -1 && err == EPIPE) {
		printf("ok: writen() on %s with no reader: -1, EPIPE\n",
		       kind_name[kind]);
		return 0;
	}
	printf("FAIL: writen() on %s with no reader: expected -1 with EPIPE, "
	       "got %zd (%s)\n",
	       kind_name[kind], ret, ret < 0 ? strerror(err) : "no error");
	return 1;
}

static int
test_zero(void)
{
	int fds[2];
	ssize_t ret;

	make_pair(SOCKETPAIR, fds);
	ret = writen(fds[0], "", 0);
	close(fds[0]);
	close(fds[1]);
	if (ret == 0) {
		printf("ok: writen(fd, buf, 0) returns 0\n");
		return 0;
	}
	printf("FAIL: writen(fd, buf, 0): expected 0, got %zd\n", ret);
	return 1;
}

int
main(void)
{
	struct sigaction sa = {.sa_handler = on_tick};
	unsigned char *data = malloc(BIG);
	int failed = 0;

	if (data == NULL)
		die("malloc");
	for (size_t i = 0; i < BIG; i++)
		data[i] = pattern(i);
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: blocked calls return early */
	/* A write to a closed pipe or socket raises SIGPIPE, which would kill
	 * the test; ignored, it becomes the EPIPE error writen() returns. */
	if (sigaction(SIGALRM, &sa, NULL) < 0 ||
	    signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		die("sigaction");
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (enum kind k = SOCKETPAIR; k <= PIPE; k++)
		failed += self_check(k, data);
	for (enum kind k = SOCKETPAIR; k <= PIPE; k++)
		failed += test_big(k, data);
	for (enum kind k = SOCKETPAIR; k <= PIPE; k++)
		failed += test_epipe(k, data);
	failed += test_zero();
	free(data);
	return failed == 0 ? 0 : 1;
}
