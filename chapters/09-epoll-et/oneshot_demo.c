/*
 * oneshot_demo - chapter 09: what level, edge and one-shot report, and why
 * threads sharing an epoll instance need EPOLLONESHOT.
 *
 * Part 1, one thread: a socketpair, watched for EPOLLIN in four ways, goes
 * through the same five steps; after each, epoll_wait(0) says how many
 * events are ready (0 or 1). Part 2, two threads in epoll_wait() on one
 * epoll instance: while one handles a client, more data arrives. With
 * EPOLLET alone the second thread is woken and handles the same client at
 * the same time; with EPOLLONESHOT the descriptor is off until the first
 * thread re-arms it with EPOLL_CTL_MOD, so that cannot happen.
 *
 *   ./oneshot_demo
 *
 * Watch: the table's rows differ only where the modes differ; part 2's
 * "handled by two threads at once" count.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net.h"

#define ROUNDS  3
#define HOLD_MS 500 /* how long a handler waits for a second thread */

struct shared {
	int epfd, fd, peer, quit[2];
	uint32_t flags;
	pthread_mutex_t mu; /* guards the three counters */
	pthread_cond_t cv;
	int inside, overlaps, handled;
};

static void part1(uint32_t flags, const char *name);
static int ready(int epfd);
static void part2(uint32_t flags, const char *name);
static void *worker(void *arg);
static void handle(struct shared *sh);
static void wait_for(struct shared *sh, int *var, int value, int ms);
_Noreturn static void die(const char *what);

int
main(void)
{
	printf("part 1: one thread, epoll_wait(0) after each step "
	       "(1 = reported)\n");
	printf("%-22s %8s %10s %10s %6s %9s\n", "", "data in", "not read,",
	       "more data", "MOD", "all read,");
	printf("%-22s %8s %10s %10s %6s %9s\n", "", "", "ask again", "in", "",
	       "ask again");
	part1(EPOLLIN, "level (default)");
	part1(EPOLLIN | EPOLLET, "edge (EPOLLET)");
	part1(EPOLLIN | EPOLLONESHOT, "EPOLLONESHOT");
	part1(EPOLLIN | EPOLLET | EPOLLONESHOT, "EPOLLET|EPOLLONESHOT");
	printf("\npart 2: two threads, one epoll instance; data arrives "
	       "while a thread handles the fd\n");
	part2(EPOLLIN | EPOLLET, "EPOLLET");
	part2(EPOLLIN | EPOLLET | EPOLLONESHOT, "EPOLLET|EPOLLONESHOT");
	return 0;
}

static void
part1(uint32_t flags, const char *name)
{
	struct epoll_event ev = {.events = flags};
	int sv[2], epfd = -1, r[5];
	char buf[8];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 ||
	    set_nonblocking(sv[0]) < 0 ||
	    (epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    epoll_ctl(epfd, EPOLL_CTL_ADD, sv[0], &ev) < 0)
		die("setup");
	if (write(sv[1], "a", 1) != 1)
		die("write");
	r[0] = ready(epfd); /* data arrives */
	r[1] = ready(epfd); /* still unread */
	if (write(sv[1], "b", 1) != 1)
		die("write");
	r[2] = ready(epfd); /* more arrives: a new edge */
	/* MOD re-arms a one-shot fd, and any fd: it re-checks readiness. */
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, sv[0], &ev) < 0)
		die("epoll_ctl(MOD)");
	r[3] = ready(epfd);
	while (read(sv[0], buf, sizeof(buf)) > 0)
		continue; /* until EAGAIN */
	r[4] = ready(epfd);
	printf("%-22s %8d %10d %10d %6d %9d\n", name, r[0], r[1], r[2], r[3],
	       r[4]);
	close(epfd);
	close(sv[0]);
	close(sv[1]);
}

static int
ready(int epfd)
{
	struct epoll_event ev;
	int n = epoll_wait(epfd, &ev, 1, 0);

	if (n < 0)
		die("epoll_wait");
	return n;
}

/* Each round: a byte arrives, a thread takes it; while it is inside the
 * handler, a second byte arrives. Does another thread come in too? */
static void
part2(uint32_t flags, const char *name)
{
	struct shared sh = {.flags = flags,
	                    .mu = PTHREAD_MUTEX_INITIALIZER,
	                    .cv = PTHREAD_COND_INITIALIZER};
	struct epoll_event ev = {.events = flags}, q = {.events = EPOLLIN};
	int sv[2];
	pthread_t th[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 || pipe(sh.quit) < 0 ||
	    set_nonblocking(sv[0]) < 0 ||
	    (sh.epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		die("setup");
	sh.fd = ev.data.fd = sv[0];
	sh.peer = sv[1];
	q.data.fd = sh.quit[0];
	if (epoll_ctl(sh.epfd, EPOLL_CTL_ADD, sh.fd, &ev) < 0 ||
	    epoll_ctl(sh.epfd, EPOLL_CTL_ADD, sh.quit[0], &q) < 0)
		die("epoll_ctl");
	for (int i = 0; i < 2; i++)
		if ((errno = pthread_create(&th[i], NULL, worker, &sh)))
			die("pthread_create");
	pthread_mutex_lock(&sh.mu);
	for (int round = 0; round < ROUNDS; round++) {
		if (write(sh.peer, "1", 1) != 1)
			die("write");
		wait_for(&sh, &sh.inside, 1, 10000);
		if (write(sh.peer, "2", 1) != 1)
			die("write");
		wait_for(&sh, &sh.inside, 0, 10000);
	}
	pthread_mutex_unlock(&sh.mu);
	if (write(sh.quit[1], "q", 1) != 1) /* never drained: both see it */
		die("write");
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	printf("%-22s %d rounds: handled by two threads at once %d time(s)\n",
	       name, ROUNDS, sh.overlaps);
	close(sh.epfd);
	close(sv[0]);
	close(sv[1]);
	close(sh.quit[0]);
	close(sh.quit[1]);
}

static void *
worker(void *arg)
{
	struct shared *sh = arg;
	struct epoll_event ev;

	for (;;) {
		int n = epoll_wait(sh->epfd, &ev, 1, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || ev.data.fd != sh->fd)
			return NULL; /* the quit pipe */
		handle(sh);
	}
}

/* The first thread in waits up to HOLD_MS for a second one, then reads
 * everything and, one-shot, re-arms the descriptor. */
static void
handle(struct shared *sh)
{
	char buf[64];

	pthread_mutex_lock(&sh->mu);
	if (sh->inside) { /* another thread is handling this very fd */
		sh->overlaps++;
		pthread_cond_broadcast(&sh->cv);
		pthread_mutex_unlock(&sh->mu);
		return;
	}
	sh->inside = 1;
	pthread_cond_broadcast(&sh->cv);
	int seen = sh->overlaps;
	wait_for(sh, &sh->overlaps, seen + 1, HOLD_MS);
	while (read(sh->fd, buf, sizeof(buf)) > 0)
		continue; /* until EAGAIN */
	if (sh->flags & EPOLLONESHOT) {
		struct epoll_event ev = {.events = sh->flags,
		                         .data.fd = sh->fd};
		if (epoll_ctl(sh->epfd, EPOLL_CTL_MOD, sh->fd, &ev) < 0)
			die("epoll_ctl(MOD)");
	}
	sh->inside = 0;
	pthread_cond_broadcast(&sh->cv);
	pthread_mutex_unlock(&sh->mu);
}

/* With sh->mu held: waits until *var == value, or ms milliseconds. */
static void
wait_for(struct shared *sh, int *var, int value, int ms)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (*var != value)
		if (pthread_cond_timedwait(&sh->cv, &sh->mu, &until) ==
		    ETIMEDOUT)
			return;
}

_Noreturn static void
die(const char *what)
{
	fprintf(stderr, "oneshot_demo: %s: %s\n", what, strerror(errno));
	exit(1);
}
