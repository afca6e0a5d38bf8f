/*
 * sigcatch.c - exercise 12-signals, the reference solution: a self-pipe.
 *
 * The handler writes the signal's number, one byte, to a non-blocking pipe
 * and restores errno; sigcatch_fd() is the read end, so poll() wakes for a
 * signal whenever it lands, even between the last take and the poll();
 * sigcatch_take() reads one byte, so deliveries keep their count and order.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "sigcatch.h"

/* Signal state: the write end is what the handler needs. */
static volatile sig_atomic_t pipe_wr = -1;
static int pipe_rd = -1;
static int installed[NSIG];

static void
sigcatch_handler(int sig)
{
	int saved = errno; /* the interrupted code may read it next */
	unsigned char b = (unsigned char)sig;

	if (write(pipe_wr, &b, 1) < 0) {
		/* Full (EAGAIN): the pipe is readable already. */
	}
	errno = saved;
}

int
sigcatch_install(int signo)
{
	struct sigaction sa;
	int fds[2];

	if (signo <= 0 || signo >= NSIG || signo > 255) {
		errno = EINVAL;
		return -1;
	}
	if (pipe_rd < 0) {
		/* Non-blocking both ends: the handler must never wait for
		 * room, and take() must never wait for a byte. */
		if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0)
			return -1;
		pipe_rd = fds[0];
		pipe_wr = fds[1];
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sigcatch_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART; /* the rest of the program sees no EINTR */
	if (sigaction(signo, &sa, NULL) < 0)
		return -1;
	installed[signo] = 1;
	return 0;
}

int
sigcatch_fd(void)
{
	return pipe_rd;
}

int
sigcatch_take(void)
{
	unsigned char b;
	ssize_t n;

	if (pipe_rd < 0)
		return 0;
	do
		n = read(pipe_rd, &b, 1);
	while (n < 0 && errno == EINTR);
	return n == 1 ? b : 0; /* EAGAIN: nothing pending */
}

void
sigcatch_release(void)
{
	for (int sig = 1; sig < NSIG; sig++) {
		if (installed[sig])
			signal(sig, SIG_DFL);
		installed[sig] = 0;
	}
	/* The handlers are gone: now the pipe may close. */
	if (pipe_rd >= 0)
		close(pipe_rd);
	if (pipe_wr >= 0)
		close(pipe_wr);
	pipe_rd = pipe_wr = -1;
}
