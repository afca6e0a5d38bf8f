/*
 * test_sigcatch.c - the tests of exercise 12-signals (sigcatch.c).
 *
 * Each test runs in a child process under an alarm, so a catcher that
 * blocks fails with a message instead of hanging. Signals are sent at the
 * awkward moments: between the last take and poll() (the lost wakeup),
 * during poll(), many at once, and into a full pipe. Every wait is bounded.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sigcatch.h"

#define LIMIT_S 10 /* per test; a blocked catcher is killed by SIGALRM */

static int failures;

#define FAIL(...)                                                              \
	do {                                                                   \
		printf("FAIL: " __VA_ARGS__);                                  \
		printf("\n");                                                  \
		failures++;                                                    \
	} while (0)

static int
poll_fd(int timeout_ms)
{
	struct pollfd pfd = {.fd = sigcatch_fd(), .events = POLLIN};
	int n;

	do
		n = poll(&pfd, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	return n;
}

static void
install(int sig)
{
	if (sigcatch_install(sig) != 0)
		FAIL("sigcatch_install(%d): expected 0, got -1 (%s)", sig,
		     strerror(errno));
}

static void
test_descriptor(void)
{
	int fd, fl;

	install(SIGUSR1);
	fd = sigcatch_fd();
	if (fd < 0) {
		FAIL("sigcatch_fd() after an install: expected a descriptor, "
		     "got %d (a flag alone cannot wake poll())",
		     fd);
		return;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || !(fl & O_NONBLOCK))
		FAIL("sigcatch_fd() is blocking: expected O_NONBLOCK, so "
		     "reading it can never stall the loop");
}

/* The classic race: the signal lands after the last take, before poll(). */
static void
test_lost_wakeup(void)
{
	int n, sig;

	install(SIGUSR1);
	while (sigcatch_take() != 0)
		;
	raise(SIGUSR1); /* the unlucky moment, made certain */
	n = poll_fd(2000);
	if (n != 1)
		FAIL("SIGUSR1 raised between the last take and poll(): "
		     "expected poll() to return 1 at once, it returned %d "
		     "(%s): the wakeup was lost",
		     n, n == 0 ? "slept until its 2000 ms timeout" : "error");
	if ((sig = sigcatch_take()) != SIGUSR1)
		FAIL("after the raise: expected take() = %d, got %d", SIGUSR1,
		     sig);
	if ((sig = sigcatch_take()) != 0)
		FAIL("after taking it: expected take() = 0, got %d", sig);
}

/* Another process signals us while we sleep in poll(). */
static void
test_during_wait(void)
{
	struct timespec pause = {0, 50 * 1000 * 1000};
	pid_t parent = getpid(), pid;
	int n, sig;

	install(SIGUSR2);
	pid = fork();
	if (pid == 0) {
		nanosleep(&pause, NULL);
		_exit(kill(parent, SIGUSR2) == 0 ? 0 : 1);
	}
	n = poll_fd(5000);
	waitpid(pid, NULL, 0);
	if (n != 1)
		FAIL("SIGUSR2 sent while poll() waited: expected poll() to "
		     "return 1, it returned %d",
		     n);
	if ((sig = sigcatch_take()) != SIGUSR2)
		FAIL("expected take() = %d (SIGUSR2), got %d", SIGUSR2, sig);
}

/* Many deliveries: each one counted, in order. */
static void
test_many_in_order(void)
{
	static const int order[3] = {SIGUSR1, SIGUSR2, SIGUSR1};
	int sig, want;

	install(SIGUSR1);
	install(SIGUSR2);
	for (int i = 0; i < 900; i++)
		raise(order[i % 3]);
	for (int i = 0; i < 900; i++) {
		want = order[i % 3];
		if ((sig = sigcatch_take()) != want) {
			FAIL("900 signals raised (SIGUSR1, SIGUSR2, SIGUSR1, "
			     "...): take() number %d: expected %d, got %d "
			     "(one per delivery, in arrival order)",
			     i + 1, want, sig);
			return;
		}
	}
	if ((sig = sigcatch_take()) != 0)
		FAIL("after 900 takes: expected 0, got %d", sig);
}

/* Nothing pending: take() returns 0 at once (the alarm catches a hang). */
static void
test_take_never_blocks(void)
{
	int sig;

	install(SIGUSR1);
	alarm(2);
	sig = sigcatch_take();
	alarm(0);
	if (sig != 0)
		FAIL("nothing raised: expected take() = 0, got %d", sig);
}

/* A full pipe: the handler must neither block nor change errno. */
static void
test_full_pipe_errno(void)
{
	int taken = 0;

	install(SIGUSR1);
	alarm(5);
	for (int i = 0; i < 70000; i++) {
		errno = EDOM;
		raise(SIGUSR1);
		if (errno != EDOM) {
			FAIL("raise number %d: errno was EDOM before the "
			     "signal, %s after it: the handler must save and "
			     "restore errno",
			     i + 1, strerrorname_np(errno));
			break;
		}
	}
	alarm(0);
	if (poll_fd(0) != 1)
		FAIL("70000 signals raised: expected sigcatch_fd() readable");
	while (sigcatch_take() == SIGUSR1)
		taken++;
	if (taken < 1)
		FAIL("70000 signals raised: expected at least one take()");
}

static void
test_release(void)
{
	struct sigaction sa;
	int before = 0, after = 0;

	for (int fd = 0; fd < 256; fd++)
		before += fcntl(fd, F_GETFD) >= 0;
	install(SIGUSR1);
	sigcatch_release();
	for (int fd = 0; fd < 256; fd++)
		after += fcntl(fd, F_GETFD) >= 0;
	if (after != before)
		FAIL("release: expected %d open descriptors as before the "
		     "install, got %d",
		     before, after);
	sigaction(SIGUSR1, NULL, &sa);
	if (sa.sa_handler != SIG_DFL)
		FAIL("release: expected SIGUSR1's default action back");
}

/* Runs one test in a child; a child killed by a signal failed by hanging
 * or by a signal nobody caught. */
static void
run(const char *name, void (*test)(void))
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		failures = 0; /* counted anew in each child */
		alarm(LIMIT_S);
		test();
		exit(failures ? 1 : 0);
	}
	waitpid(pid, &status, 0);
	if (WIFSIGNALED(status)) {
		printf("FAIL: %s: expected it to finish, it was killed by %s "
		       "(%s)\n",
		       name, strsignal(WTERMSIG(status)),
		       WTERMSIG(status) == SIGALRM
		               ? "it blocked: a blocking pipe end?"
		               : "a caught signal killed it: not installed?");
		failures++;
	} else if (WEXITSTATUS(status) != 0) {
		failures++;
	}
}

int
main(void)
{
	run("descriptor", test_descriptor);
	run("lost wakeup", test_lost_wakeup);
	run("during the wait", test_during_wait);
	run("many, in order", test_many_in_order);
	run("take never blocks", test_take_never_blocks);
	run("full pipe and errno", test_full_pipe_errno);
	run("release", test_release);
	if (failures)
		printf("%d test(s) failed\n", failures);
	return failures ? 1 : 0;
}
