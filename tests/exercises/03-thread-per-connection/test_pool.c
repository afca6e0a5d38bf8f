/*
 * test_pool.c - tests exercise 03's pool.c: what pool_shutdown() promises.
 *
 * Each case runs in a child process under alarm(): a shutdown that hangs
 * becomes a FAIL line instead of a stuck `make check`.
 *  1. shutdown of a pool whose workers are all idle returns
 *  2. 2000 quick jobs submitted, then shutdown: each ran exactly once
 *  3. 40 slow jobs on 2 workers: shutdown waits for the queued ones too
 *  4. 300 rounds of new + submit + shutdown (races show up here)
 * and after each, the process is back to one thread: every worker joined.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pool.h"

#define CASE_LIMIT_SEC 10

static atomic_int runs[2000];

static void
count_job(void *arg)
{
	atomic_fetch_add(&runs[(int)(long)arg], 1);
}

static void
slow_job(void *arg)
{
	struct timespec ms = {0, 2000000};

	nanosleep(&ms, NULL);
	count_job(arg);
}

static int
threads_now(void)
{
	char line[128];
	int n = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && n < 0 && fgets(line, sizeof(line), f))
		if (strncmp(line, "Threads:", 8) == 0)
			n = atoi(line + 8);
	if (f)
		fclose(f);
	return n;
}

/* The kernel may count a joined thread for a moment after the join: poll
 * for up to 2 s. */
static int
joined_all(void)
{
	for (int i = 0; i < 200 && threads_now() != 1; i++)
		usleep(10000);
	if (threads_now() == 1)
		return 1;
	printf("FAIL: after pool_shutdown() expected 1 thread (every worker "
	       "joined), got %d\n",
	       threads_now());
	return 0;
}

/* Submits n jobs to a pool of w workers, shuts down, checks each ran once. */
static int
run_jobs(int w, int n, pool_job_fn fn)
{
	struct pool *p = pool_new(w);

	if (!p) {
		printf("FAIL: pool_new(%d) returned NULL\n", w);
		return 0;
	}
	for (int i = 0; i < n; i++) {
		atomic_store(&runs[i], 0);
		if (pool_submit(p, fn, (void *)(long)i) < 0) {
			printf("FAIL: pool_submit() returned -1\n");
			return 0;
		}
	}
	pool_shutdown(p);
	for (int i = 0; i < n; i++) {
		if (atomic_load(&runs[i]) != 1) {
			printf("FAIL: job %d of %d (%d workers) expected to "
			       "run "
			       "once before pool_shutdown() returns, ran %d "
			       "times\n",
			       i, n, w, atomic_load(&runs[i]));
			return 0;
		}
	}
	return joined_all();
}

/* Shutdown while every worker sleeps waiting for work: give them 100 ms to
 * get there (the case is about sleeping workers; it passes either way on
 * a correct pool). */
static int
case_idle(void)
{
	struct pool *p = pool_new(4);

	if (!p) {
		printf("FAIL: pool_new(4) returned NULL\n");
		return 0;
	}
	usleep(100000);
	pool_shutdown(p);
	return joined_all();
}

static int
case_quick(void)
{
	return run_jobs(4, 2000, count_job);
}

static int
case_slow(void)
{
	return run_jobs(2, 40, slow_job);
}

static int
case_rounds(void)
{
	for (int r = 0; r < 300; r++)
		if (!run_jobs(1 + r % 4, r % 5, count_job))
			return 0;
	return 1;
}

/* Runs one case in a child under alarm(); 1 if it passed. */
static int
run_case(const char *name, int (*fn)(void))
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("test_pool: fork");
		return 0;
	}
	if (pid == 0) {
		alarm(CASE_LIMIT_SEC);
		_exit(fn() ? 0 : 1);
	}
	if (waitpid(pid, &status, 0) != pid)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		printf("ok: %s\n", name);
		return 1;
	}
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		printf("FAIL: %s: expected pool_shutdown() to return, still "
		       "waiting after %d s (are idle workers woken?)\n",
		       name, CASE_LIMIT_SEC);
	else
		printf("FAIL: %s\n", name);
	return 0;
}

int
main(void)
{
	int ok = 1;

	ok &= run_case("shutdown of an idle pool returns", case_idle);
	ok &= run_case("2000 quick jobs each run exactly once", case_quick);
	ok &= run_case("queued slow jobs all run before shutdown returns",
	               case_slow);
	ok &= run_case("300 rounds of new, submit, shutdown", case_rounds);
	return ok ? 0 : 1;
}
