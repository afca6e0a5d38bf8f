/*
 * selfpipe - chapter 12: the self-pipe trick by hand, with poll().
 *
 * A loop that waits in poll() must also hear about signals. Checking a
 * flag before poll() leaves a gap: a signal that lands after the check and
 * before poll() starts sleeping is not seen until something else wakes the
 * loop (the "lost wakeup"). This program forces that unlucky moment by
 * raising the signal itself in the gap, once with a flag and once with a
 * self-pipe: the handler writes a byte to a pipe that poll() watches, so
 * the wakeup is kept in the pipe until poll() looks.
 *
 *   ./selfpipe
 *
 * Watch: with the flag, poll() returns 0 (its timeout ran out although the
 * signal had come); with the pipe it returns 1 at once. Then several
 * signals read back one byte each, and why the handler saves errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WAIT_MS 1000 /* the flag's lost wakeup costs this much */

/* Signal state: the only globals a handler can reach. */
static volatile sig_atomic_t got_signal;
static volatile sig_atomic_t pipe_wr = -1;

static void flag_handler(int sig);
static void pipe_handler(int sig);
static void careless_handler(int sig);
static void on(int sig, void (*handler)(int));
static int drain(int fd, int counts[NSIG]);

int
main(void)
{
	int fds[2], counts[NSIG] = {0}, n, filled = 0;
	struct pollfd pfd;

	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0)
		return perror("selfpipe: pipe2"), 1;
	pipe_wr = fds[1];
	pfd = (struct pollfd){.fd = fds[0], .events = POLLIN};

	printf("1. a flag, and SIGUSR1 between the check and poll()\n");
	on(SIGUSR1, flag_handler);
	if (!got_signal)            /* the check: nothing yet... */
		raise(SIGUSR1);     /* ...the signal comes right now... */
	n = poll(NULL, 0, WAIT_MS); /* ...and poll() has nothing to wake it */
	printf("   poll() returned %d (%s); flag = %d: the signal waited "
	       "for the timeout\n",
	       n, n == 0 ? "timeout" : "woken", (int)got_signal);

	printf("2. a self-pipe, the same interleaving\n");
	on(SIGUSR1, pipe_handler);
	raise(SIGUSR1); /* after the "check", before poll() */
	n = poll(&pfd, 1, WAIT_MS);
	printf("   poll() returned %d (%s); bytes in the pipe: %d\n", n,
	       n == 0 ? "timeout" : "woken", drain(fds[0], counts));

	printf("3. five SIGUSR1 and two SIGUSR2, then one read\n");
	on(SIGUSR2, pipe_handler);
	memset(counts, 0, sizeof(counts));
	for (int i = 0; i < 5; i++)
		raise(SIGUSR1);
	raise(SIGUSR2), raise(SIGUSR2);
	drain(fds[0], counts);
	printf("   SIGUSR1 x %d, SIGUSR2 x %d\n", counts[SIGUSR1],
	       counts[SIGUSR2]);

	printf("4. a full pipe: the handler's write() fails with EAGAIN\n");
	while (write(fds[1], "x", 1) == 1)
		filled++;
	printf("   the pipe took %d bytes and is full\n", filled);
	on(SIGUSR1, careless_handler);
	errno = 0;
	raise(SIGUSR1);
	printf("   careless handler: errno after raise() is %s\n",
	       errno ? strerrorname_np(errno) : "0");
	on(SIGUSR1, pipe_handler);
	errno = 0;
	raise(SIGUSR1);
	printf("   careful handler:  errno after raise() is %s\n",
	       errno ? strerrorname_np(errno) : "0");

	close(fds[0]);
	close(fds[1]);
	return 0;
}

static void
flag_handler(int sig)
{
	(void)sig;
	got_signal = 1;
}

/* Async-signal-safe: write(2) on a non-blocking pipe, errno kept. */
static void
pipe_handler(int sig)
{
	int saved = errno; /* the interrupted code may be about to read it */
	unsigned char b = (unsigned char)sig;

	if (write(pipe_wr, &b, 1) < 0) {
		/* Full: already readable, so the loop wakes anyway. */
	}
	errno = saved;
}

/* The same without saving errno: the failed write() leaks EAGAIN into
 * whatever code the signal interrupted. */
static void
careless_handler(int sig)
{
	unsigned char b = (unsigned char)sig;

	if (write(pipe_wr, &b, 1) < 0) {
		/* errno is now EAGAIN, and stays so */
	}
}

static void
on(int sig, void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) < 0) {
		perror("selfpipe: sigaction");
		exit(1);
	}
}

/* Reads everything in the pipe (it is non-blocking: EAGAIN ends it),
 * counting bytes per signal. Returns how many bytes there were. */
static int
drain(int fd, int counts[NSIG])
{
	unsigned char buf[256];
	ssize_t n;
	int total = 0;

	while ((n = read(fd, buf, sizeof(buf))) > 0 ||
	       (n < 0 && errno == EINTR))
		for (ssize_t i = 0; i < n; i++, total++)
			counts[buf[i] < NSIG ? buf[i] : 0]++;
	return total;
}
