/*
 * unit.c - the runner and the failure reports of unit.h.
 *
 * Why a process per case:
 *  1. Isolation: a case that crashes, corrupts memory or leaves an event
 *     loop running cannot spoil the next case; under valgrind each child
 *     gets its own error and leak report.
 *  2. A time limit that always works: the child calls alarm(), and the
 *     parent also kills the child's whole process group when the limit
 *     (plus a grace period) is over, in case the child blocked SIGALRM or
 *     installed a handler for it. A hang becomes a FAIL, never a stuck run.
 *  3. Failing is simple: an assertion prints its report and exits with
 *     status 1; the parent reads the status.
 */
#include "unit.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* Set by the parent's SIGALRM handler: the running case is over time. */
static volatile sig_atomic_t unit_timed_out;

/* The case being run, for the failure report. Set in the child only. */
static const char *unit_current = "?";

void
unit_skip(const char *why)
{
	fprintf(stderr, "  %s: skipped: %s\n", unit_current, why);
	exit(UNIT_SKIP_STATUS);
}

void
unit_fail_(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "  %s:%d: in %s: ", file, line, unit_current);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void
unit_fail_int_(const char *file, int line, const char *expr, const char *a_text,
               long long a, const char *b_text, long long b)
{
	unit_fail_(file, line, "%s failed\n    %s = %lld\n    %s = %lld", expr,
	           a_text, a, b_text, b);
}

void
unit_fail_str_(const char *file, int line, const char *expr, const char *a_text,
               const char *a, const char *b_text, const char *b)
{
	unit_fail_(file, line, "%s failed\n    %s = %s%s%s\n    %s = %s%s%s",
	           expr, a_text, a ? "\"" : "", a ? a : "NULL", a ? "\"" : "",
	           b_text, b ? "\"" : "", b ? b : "NULL", b ? "\"" : "");
}

void
unit_fail_ptr_(const char *file, int line, const char *expr, const char *a_text,
               const void *a, const char *b_text, const void *b)
{
	unit_fail_(file, line, "%s failed\n    %s = %p\n    %s = %p", expr,
	           a_text, a, b_text, b);
}

void
unit_trace(struct unit_trace *t, const char *fmt, ...)
{
	va_list ap;
	size_t room = sizeof(t->buf) - t->len;
	int n;

	if (t->len > 0 && room > 1) {
		t->buf[t->len++] = ' ';
		t->buf[t->len] = '\0';
		room--;
	}
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		unit_fail_(__FILE__, __LINE__, "trace buffer full: %s", t->buf);
	t->len += (size_t)n;
}

static void
unit_on_alarm(int sig)
{
	(void)sig;
	unit_timed_out = 1;
}

/* In the child: its own process group (so a timeout can end any process
 * the case forked), the alarm, the case, and exit status 0. */
static void
unit_child(const struct unit_test *t, unsigned timeout)
{
	setpgid(0, 0);
	signal(SIGALRM, SIG_DFL);
	unit_current = t->name;
	alarm(timeout);
	t->fn();
	exit(0);
}

/* Waits for pid; after timeout + 5 seconds kills its process group. */
static int
unit_wait(pid_t pid, unsigned timeout)
{
	int status;

	unit_timed_out = 0;
	alarm(timeout + 5);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
		if (unit_timed_out) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
		}
	}
	alarm(0);
	return status;
}

/* Returns 0 (ok), 1 (failed) or 2 (skipped) and prints the case's line. */
static int
unit_run(const struct unit_test *t, unsigned timeout, int no_fork)
{
	pid_t pid;
	int status;

	if (no_fork) {
		unit_current = t->name;
		t->fn();
		printf("ok   %s\n", t->name);
		return 0;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("unit: fork");
		exit(2);
	}
	if (pid == 0)
		unit_child(t, timeout);
	status = unit_wait(pid, timeout);
	/* The case may have left processes in its group: end them. */
	kill(-pid, SIGKILL);
	if (status == 0) {
		printf("ok   %s\n", t->name);
		return 0;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == UNIT_SKIP_STATUS) {
		printf("skip %s\n", t->name);
		return 2;
	}
	if (WIFSIGNALED(status) &&
	    (WTERMSIG(status) == SIGALRM || WTERMSIG(status) == SIGKILL))
		printf("FAIL %s (timed out after %u s)\n", t->name, timeout);
	else if (WIFSIGNALED(status))
		printf("FAIL %s (killed by signal %d: %s)\n", t->name,
		       WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 1)
		printf("FAIL %s (exit status %d)\n", t->name,
		       WEXITSTATUS(status));
	else
		printf("FAIL %s\n", t->name);
	return 1;
}

/* Without SA_RESTART, so that the alarm interrupts waitpid(). */
static void
unit_catch_alarm(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = unit_on_alarm;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) < 0) {
		perror("unit: sigaction");
		exit(2);
	}
}

static const struct unit_test *
unit_find(const struct unit_test *tests, const char *name)
{
	for (; tests->name; tests++)
		if (strcmp(tests->name, name) == 0)
			return tests;
	return NULL;
}

static void
unit_usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-l] [-n] [-t SECONDS] [CASE...]\n", prog);
	exit(2);
}

int
unit_main(int argc, char **argv, const struct unit_test *tests)
{
	const char *env = getenv("UNIT_TIMEOUT");
	unsigned timeout = env ? (unsigned)atoi(env) : 10;
	int opt, no_fork = 0, counts[3] = {0, 0, 0};
	const struct unit_test *t;

	while ((opt = getopt(argc, argv, "lnt:")) != -1) {
		switch (opt) {
		case 'l':
			for (t = tests; t->name; t++)
				printf("%s\n", t->name);
			return 0;
		case 'n':
			no_fork = 1;
			break;
		case 't':
			timeout = (unsigned)atoi(optarg);
			break;
		default:
			unit_usage(argv[0]);
		}
	}
	if (timeout == 0)
		timeout = 10;
	/* Each case's line right after the child's own report, even when
	 * stdout is a pipe. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	unit_catch_alarm();
	for (int i = optind; i < argc; i++)
		if (!unit_find(tests, argv[i])) {
			fprintf(stderr, "%s: no such case: %s\n", argv[0],
			        argv[i]);
			return 2;
		}
	for (t = tests; t->name; t++) {
		int wanted = optind == argc;
		for (int i = optind; i < argc; i++)
			wanted |= strcmp(argv[i], t->name) == 0;
		if (wanted)
			counts[unit_run(t, timeout, no_fork)]++;
	}
	printf("%s: %d passed, %d failed, %d skipped\n", argv[0], counts[0],
	       counts[1], counts[2]);
	return counts[1] > 0 ? 1 : 0;
}
