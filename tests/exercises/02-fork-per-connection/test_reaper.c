/*
 * test_reaper - the tests of exercise 02: install_reaper() (reaper.h).
 *
 * Each test runs in a process of its own, so that one test's children and
 * signal handlers cannot disturb the next, and under a time limit, so that
 * a handler that blocks fails instead of hanging. No test sleeps and hopes:
 * the moments that matter are arranged, not waited for.
 *
 *  1. burst, SIGCHLD blocked: 50 children exit while SIGCHLD is blocked,
 *     so exactly one signal is pending for all 50 (signals coalesce); one
 *     run of the handler must reap them all, and leave a running child be.
 *  2. burst, live: 50 children exit at once; all are reaped within 10 s.
 *  3. errno: the handler leaves errno as it found it.
 *  4. restart: SIGCHLD arriving while the process is blocked in read()
 *     does not make read() fail with EINTR (SA_RESTART).
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "reaper.h"

#define BURST    50
#define WAIT_MS  10000 /* for what takes microseconds with a right handler */
#define TEST_MS  60000 /* a whole test; then it is killed */
#define SENTINEL 4242  /* an errno value no system call sets */

static int run_test(const char *name, int (*test)(void));
static int test_burst_blocked(void);
static int test_burst_live(void);
static int test_errno(void);
static int test_restart(void);

int
main(void)
{
	int failed = 0;

	failed += run_test("burst, SIGCHLD blocked", test_burst_blocked);
	failed += run_test("burst, live", test_burst_live);
	failed += run_test("errno", test_errno);
	failed += run_test("restart", test_restart);
	return failed > 0;
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A process's state letter from /proc (R, S, Z, ...), or 0 if it is gone
 * (a reaped child has no /proc entry; a zombie still has one). */
static char
proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "r")))
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* the name may hold spaces and ')' */
	return p && p[1] == ' ' ? p[2] : 0;
}

/* Polls until pid is in state want (0: gone); -1 at the deadline. */
static int
wait_state(pid_t pid, char want, long deadline)
{
	struct timespec ms = {.tv_sec = 0, .tv_nsec = 1000000};

	while (proc_state(pid) != want) {
		if (now_ms() >= deadline)
			return -1;
		nanosleep(&ms, NULL); /* EINTR by SIGCHLD is fine here */
	}
	return 0;
}

static void
sigchld_mask(int how)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(how, &set, NULL);
}

/* A child that waits for EOF on fds[0], then exits: closing fds[1] in
 * every other process releases all such children at the same moment. */
static pid_t
spawn_waiter(int fds[2])
{
	pid_t pid = fork();
	char c;

	if (pid != 0)
		return pid;
	close(fds[1]);
	while (read(fds[0], &c, 1) < 0 && errno == EINTR)
		continue;
	_exit(0);
}

static int fail(const char *test, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static int
fail(const char *test, const char *fmt, ...)
{
	va_list ap;

	printf("FAIL: %s: ", test);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	return 1;
}

static int
setup(const char *test)
{
	if (install_reaper() == 0)
		return 0;
	return fail(test, "expected install_reaper() to return 0, got -1 (%s)",
	            strerror(errno));
}

/* Releases BURST children at once (kids[] gets their pids); 0 or 1. */
static int
burst(const char *test, pid_t kids[BURST])
{
	int gate[2];

	if (pipe(gate) < 0)
		return fail(test, "pipe: %s", strerror(errno));
	for (int i = 0; i < BURST; i++) {
		if ((kids[i] = spawn_waiter(gate)) < 0)
			return fail(test, "fork: %s", strerror(errno));
	}
	close(gate[0]);
	close(gate[1]); /* EOF for all of them: they exit together */
	return 0;
}

static int
test_burst_blocked(void)
{
	const char *t = "burst, SIGCHLD blocked";
	long deadline = now_ms() + WAIT_MS;
	pid_t kids[BURST], bystander;
	int hold[2], left = 0;

	sigchld_mask(SIG_BLOCK);
	if (setup(t) || pipe(hold) < 0 || (bystander = spawn_waiter(hold)) < 0)
		return 1;
	if (burst(t, kids))
		return 1;
	for (int i = 0; i < BURST; i++) {
		if (wait_state(kids[i], 'Z', deadline) < 0)
			return fail(t, "child %d did not exit", (int)kids[i]);
	}
	/* 50 exits, one pending SIGCHLD: the handler runs once, here. */
	sigchld_mask(SIG_UNBLOCK);
	sigchld_mask(SIG_BLOCK);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		left++;
	close(hold[1]); /* now the bystander, which was running, may go */
	waitpid(bystander, NULL, 0);
	if (left == 0)
		return 0;
	return fail(t,
	            "50 children exited while SIGCHLD was blocked, so one "
	            "signal stood for all of them; expected the handler to "
	            "reap all 50, got %d reaped and %d left as zombies "
	            "(loop on waitpid(-1, ..., WNOHANG))",
	            BURST - left, left);
}

static int
test_burst_live(void)
{
	const char *t = "burst, live";
	long deadline = now_ms() + WAIT_MS;
	pid_t kids[BURST];
	int left = 0;

	if (setup(t) || burst(t, kids))
		return 1;
	for (int i = 0; i < BURST; i++)
		left += wait_state(kids[i], 0, deadline) < 0;
	if (left == 0)
		return 0;
	return fail(t,
	            "expected all 50 children that exited together reaped "
	            "within %d s, got %d still there (zombies)",
	            WAIT_MS / 1000, left);
}

static int
test_errno(void)
{
	const char *t = "errno";
	pid_t pid;
	int got;

	sigchld_mask(SIG_BLOCK);
	if (setup(t) || (pid = fork()) < 0)
		return 1;
	if (pid == 0)
		_exit(0);
	if (wait_state(pid, 'Z', now_ms() + WAIT_MS) < 0)
		return fail(t, "the child did not exit");
	errno = SENTINEL;
	sigchld_mask(SIG_UNBLOCK); /* the handler runs before this returns */
	got = errno;
	sigchld_mask(SIG_BLOCK);
	if (proc_state(pid) != 0) {
		waitpid(pid, NULL, 0);
		return fail(t, "expected the handler to reap the child, got a "
		               "zombie: cannot check errno");
	}
	if (got == SENTINEL)
		return 0;
	return fail(t,
	            "errno was %d when SIGCHLD came; expected %d after the "
	            "handler, got %d (%s): save errno on entry and restore it "
	            "before returning",
	            SENTINEL, SENTINEL, got, strerror(got));
}

/* The exiting child: waits until the tester sleeps in read(), then exits,
 * so that its SIGCHLD arrives while read() is blocked. */
static void
exit_during_read(pid_t tester)
{
	wait_state(tester, 'S', now_ms() + WAIT_MS);
	_exit(0);
}

/* The writer: once the exiting child has been reaped (the handler ran)
 * and the tester sleeps again, ends the read with one byte. */
static void
end_read(pid_t tester, pid_t exiter, int fd)
{
	wait_state(exiter, 0, now_ms() + WAIT_MS);
	wait_state(tester, 'S', now_ms() + WAIT_MS);
	if (write(fd, "x", 1) != 1)
		_exit(1);
	_exit(0);
}

static int
test_restart(void)
{
	const char *t = "restart";
	pid_t tester = getpid(), exiter, writer;
	int data[2], err;
	ssize_t n;
	char c;

	if (setup(t) || pipe(data) < 0 || (exiter = fork()) < 0)
		return 1;
	if (exiter == 0)
		exit_during_read(tester);
	if ((writer = fork()) < 0)
		return fail(t, "fork: %s", strerror(errno));
	if (writer == 0)
		end_read(tester, exiter, data[1]);
	close(data[1]);
	n = read(data[0], &c, 1); /* the blocking call SIGCHLD interrupts */
	err = errno;
	sigchld_mask(SIG_BLOCK);
	waitpid(writer, NULL, 0); /* ECHILD if the handler reaped it */
	if (n < 0 && err == EINTR)
		return fail(t,
		            "SIGCHLD came during a blocking read(): expected "
		            "the read to go on (SA_RESTART), got -1 EINTR");
	if (n != 1)
		return fail(t, "expected read() to return 1 byte, got %zd (%s)",
		            n, strerror(err));
	if (proc_state(exiter) == 0)
		return 0;
	waitpid(exiter, NULL, 0);
	return fail(t, "expected the child that exited during read() to be "
	               "reaped by the handler, got a zombie");
}

/* Runs test in a child process for at most TEST_MS; 0 if it passed. */
static int
run_test(const char *name, int (*test)(void))
{
	long deadline = now_ms() + TEST_MS;
	struct timespec ms = {.tv_sec = 0, .tv_nsec = 1000000};
	pid_t pid, got;
	int st = 0;

	fflush(stdout); /* or the child would print our buffer again */
	if ((pid = fork()) < 0)
		return fail(name, "fork: %s", strerror(errno));
	if (pid == 0) {
		int failed = test();
		fflush(stdout);
		_exit(failed);
	}
	while ((got = waitpid(pid, &st, WNOHANG)) == 0 && now_ms() < deadline)
		nanosleep(&ms, NULL);
	if (got == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return fail(name,
		            "expected the test to end within %d s, got a "
		            "hang (does the handler block in waitpid()? "
		            "use WNOHANG)",
		            TEST_MS / 1000);
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		printf("ok: %s\n", name);
		return 0;
	}
	if (WIFSIGNALED(st))
		return fail(name,
		            "expected the test to finish, got it killed "
		            "by %s",
		            strsignal(WTERMSIG(st)));
	return 1; /* the test printed its FAIL line */
}
