/*
 * select_demo - chapter 06: three facts about select(), shown on one socket.
 *
 * 1. select() overwrites the sets with its answer: a descriptor that is not
 *    ready is gone from the set afterwards, so the sets are rebuilt before
 *    every call.
 * 2. On Linux it also writes the time it did not sleep back into the
 *    timeout, so the timeout too is set anew before every call.
 * 3. A connected socket with room in its send buffer is always writable:
 *    asking for write readiness with nothing to write makes select() return
 *    at once, every time. The event loop is a busy loop again.
 *
 *   ./select_demo
 *
 * Watch the two counts of fact 3: a six-figure number against 0, in the
 * same 200 ms.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SPIN_MS 200

static int wait_once(int fd, long usec);
static long count_wakeups(int fd, int want_write);
static long ms_since(const struct timespec *t0);

int
main(void)
{
	int sv[2];
	char byte;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
		perror("select_demo: socketpair");
		return 1;
	}
	printf("1+2. select() on an idle socket, timeout 0.1 s:\n");
	if (wait_once(sv[0], 100000) < 0)
		return 1;
	if (write(sv[1], "x", 1) != 1) {
		perror("select_demo: write");
		return 1;
	}
	printf("1+2. the same after the peer wrote a byte, timeout 0.3 s:\n");
	if (wait_once(sv[0], 300000) < 0 || read(sv[0], &byte, 1) != 1)
		return 1;
	printf("3. 200 ms of select() on an idle socket; select() returned:\n");
	printf("   with write interest and nothing to write: %ld times\n",
	       count_wakeups(sv[0], 1));
	printf("   with read interest only:                  %ld times\n",
	       count_wakeups(sv[0], 0));
	close(sv[0]);
	close(sv[1]);
	return 0;
}

/* One select() for reading fd; prints what it did to the set and to the
 * timeout. */
static int
wait_once(int fd, long usec)
{
	struct timeval tv = {0, usec};
	fd_set rd;
	int n;

	FD_ZERO(&rd);
	FD_SET(fd, &rd);
	n = select(fd + 1, &rd, NULL, NULL, &tv);
	if (n < 0) {
		perror("select_demo: select");
		return -1;
	}
	printf("     returned %d; fd %d still in the set: %s; timeout left: "
	       "%ld.%06ld s\n",
	       n, fd, FD_ISSET(fd, &rd) ? "yes" : "no", (long)tv.tv_sec,
	       (long)tv.tv_usec);
	return 0;
}

/* Calls select() on fd for SPIN_MS and counts the calls that returned
 * "ready", rebuilding the set and the timeout each time as a loop must. */
static long
count_wakeups(int fd, int want_write)
{
	struct timespec t0;
	long wakeups = 0, left;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((left = SPIN_MS - ms_since(&t0)) > 0) {
		struct timeval tv = {left / 1000, left % 1000 * 1000};
		fd_set rd, wr;
		FD_ZERO(&rd);
		FD_ZERO(&wr);
		FD_SET(fd, &rd);
		if (want_write)
			FD_SET(fd, &wr);
		int n = select(fd + 1, &rd, &wr, NULL, &tv);
		if (n < 0 && errno != EINTR)
			return -1;
		wakeups += n > 0;
	}
	return wakeups;
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}
