/*
 * lt_demo - chapter 08: what level-triggered means, on socketpairs.
 *
 *   ./lt_demo
 *
 * Watch:
 *  1. a socket holding 3 bytes, read one byte per wake-up: epoll reports it
 *     3 times, then no more. Level-triggered (水平触发): reported for as
 *     long as it is ready, so reading one chunk per wake-up loses nothing;
 *  2. EPOLLOUT registered with nothing to send: epoll_wait() returns at
 *     once, every time (a busy loop); EPOLLIN alone on an idle socket: never;
 *  3. 3 ready sockets and maxevents = 1: successive calls take turns;
 *  4. epoll_create()'s size is ignored but must be > 0; EPOLL_CTL_DEL takes
 *     a NULL event.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SPIN_MS 200

_Noreturn static void die(const char *what);
static void add(int epfd, int fd, uint32_t events, int tag);
static void read_one_byte_per_wakeup(void);
static void count_wakeups(uint32_t events, const char *label);
static void round_robin(void);
static void size_and_del(void);

int
main(void)
{
	read_one_byte_per_wakeup();
	count_wakeups(EPOLLIN | EPOLLOUT, "EPOLLIN|EPOLLOUT, nothing to send");
	count_wakeups(EPOLLIN, "EPOLLIN only, nothing arrives");
	round_robin();
	size_and_del();
	return 0;
}

_Noreturn static void
die(const char *what)
{
	fprintf(stderr, "lt_demo: %s: %s\n", what, strerror(errno));
	_exit(1);
}

static void
add(int epfd, int fd, uint32_t events, int tag)
{
	struct epoll_event ev = {.events = events, .data.u32 = (uint32_t)tag};

	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		die("epoll_ctl(ADD)");
}

static void
read_one_byte_per_wakeup(void)
{
	int sv[2], epfd = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev;
	char byte;

	if (epfd < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		die("setup");
	add(epfd, sv[0], EPOLLIN, 0);
	if (write(sv[1], "abc", 3) != 3)
		die("write");
	printf("1. the peer wrote \"abc\"; one recv() of 1 byte per "
	       "wake-up:\n");
	for (int turn = 1; turn <= 4; turn++) {
		if (epoll_wait(epfd, &ev, 1, 0) == 0) {
			printf("   epoll_wait #%d: nothing ready (drained)\n",
			       turn);
			break;
		}
		if (recv(sv[0], &byte, 1, 0) != 1)
			die("recv");
		printf("   epoll_wait #%d: EPOLLIN, read '%c'\n", turn, byte);
	}
	close(sv[0]);
	close(sv[1]);
	close(epfd);
}

/* Counts the epoll_wait() calls that return an event in SPIN_MS. */
static void
count_wakeups(uint32_t events, const char *label)
{
	int sv[2], epfd = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev;
	struct timespec t0, t;
	long wakeups = 0, ms = 0;

	if (epfd < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		die("setup");
	add(epfd, sv[0], events, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (ms < SPIN_MS) {
		int n = epoll_wait(epfd, &ev, 1, (int)(SPIN_MS - ms));
		if (n < 0)
			die("epoll_wait");
		wakeups += n;
		clock_gettime(CLOCK_MONOTONIC, &t);
		ms = (t.tv_sec - t0.tv_sec) * 1000 +
		     (t.tv_nsec - t0.tv_nsec) / 1000000;
	}
	printf("2. %s: %ld wake-ups in %d ms\n", label, wakeups, SPIN_MS);
	close(sv[0]);
	close(sv[1]);
	close(epfd);
}

static void
round_robin(void)
{
	int sv[3][2], epfd = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev;

	if (epfd < 0)
		die("epoll_create1");
	for (int i = 0; i < 3; i++) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv[i]) < 0 ||
		    write(sv[i][1], "x", 1) != 1)
			die("socketpair");
		add(epfd, sv[i][0], EPOLLIN, 'A' + i);
	}
	printf("3. sockets A, B, C all readable, maxevents = 1, 6 calls:");
	for (int call = 0; call < 6; call++) {
		if (epoll_wait(epfd, &ev, 1, 0) != 1)
			die("epoll_wait");
		printf(" %c", (char)ev.data.u32);
	}
	printf("\n");
	for (int i = 0; i < 3; i++) {
		close(sv[i][0]);
		close(sv[i][1]);
	}
	close(epfd);
}

static void
size_and_del(void)
{
	int sv[2], epfd = epoll_create(0);

	printf("4. epoll_create(0): %s\n", epfd < 0 ? strerror(errno) : "ok");
	epfd = epoll_create(1); /* any size > 0: one watch or a million */
	if (epfd < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		die("setup");
	printf("   epoll_create(1): ok, fd %d\n", epfd);
	add(epfd, sv[0], EPOLLIN, 0);
	printf("   epoll_ctl(EPOLL_CTL_DEL, fd, NULL): %s\n",
	       epoll_ctl(epfd, EPOLL_CTL_DEL, sv[0], NULL) < 0 ? strerror(errno)
	                                                       : "ok");
	close(sv[0]);
	close(sv[1]);
	close(epfd);
}
