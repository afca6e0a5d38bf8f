/*
 * forkcost - chapter 02: what it costs to start a process per connection.
 *
 * Times N rounds of three ways to run a piece of work: a plain function
 * call, a thread (pthread_create + pthread_join, chapter 03) and a process
 * (fork + _exit + waitpid, this chapter), and prints microseconds per round.
 * With -m MiB the parent first writes to that much memory: fork() copies
 * the page tables that map it (not the pages: those are copy-on-write), so
 * the bigger the parent, the dearer each fork.
 *
 *   ./forkcost -n 2000           a small parent
 *   ./forkcost -n 2000 -m 256    a parent with 256 MiB in use
 *
 * Watch: the function call costs nanoseconds, the thread some microseconds,
 * the fork ten times more, and more again as the parent grows.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int parse(int argc, char **argv, long *rounds, long *mib);
static double now_us(void);
static void *work(void *arg);
static int time_calls(long rounds, double *us);
static int time_threads(long rounds, double *us);
static int time_forks(long rounds, double *us);

int
main(int argc, char **argv)
{
	static const char *name[] = {"function call", "pthread_create+join",
	                             "fork+_exit+waitpid"};
	int (*const run[])(long, double *) = {time_calls, time_threads,
	                                      time_forks};
	long rounds, mib;
	char *mem = NULL;
	double us;

	if (parse(argc, argv, &rounds, &mib) < 0)
		return 2;
	if (mib > 0) {
		mem = malloc((size_t)mib << 20);
		if (!mem) {
			fprintf(stderr, "forkcost: malloc: %s\n",
			        strerror(errno));
			return 1;
		}
		memset(mem, 1, (size_t)mib << 20); /* touch: map every page */
	}
	printf("forkcost: %ld rounds each, parent using %ld MiB\n", rounds,
	       mib);
	for (int i = 0; i < 3; i++) {
		/* A few untimed rounds first: the first thread allocates its
		 * stack, the first fork faults in code and libc pages. */
		if (run[i](10, &us) < 0 || run[i](rounds, &us) < 0) {
			fprintf(stderr, "forkcost: %s: %s\n", name[i],
			        strerror(errno));
			free(mem);
			return 1;
		}
		printf("  %-20s %10.3f us per round\n", name[i], us);
	}
	free(mem);
	return 0;
}

static int
parse(int argc, char **argv, long *rounds, long *mib)
{
	int ch;

	*rounds = 1000;
	*mib = 0;
	while ((ch = getopt(argc, argv, "n:m:")) != -1) {
		long *v = ch == 'n' ? rounds : ch == 'm' ? mib : NULL;
		char *end;
		if (v) {
			errno = 0;
			*v = strtol(optarg, &end, 10);
			if (errno == 0 && *end == '\0' && *v >= 0 &&
			    *v <= 1000000)
				continue;
		}
		fprintf(stderr, "usage: forkcost [-n ROUNDS] [-m MIB]\n");
		return -1;
	}
	return optind == argc && *rounds > 0 ? 0 : -1;
}

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* The work itself is nothing: we measure what it costs to start it. The
 * noinline keeps the compiler from deleting the calls we mean to time. */
__attribute__((noinline)) static void *
work(void *arg)
{
	__asm__ volatile("" : : "r"(arg) : "memory");
	return arg;
}

static int
time_calls(long rounds, double *us)
{
	double t0 = now_us();

	for (long i = 0; i < rounds; i++)
		work(&i);
	*us = (now_us() - t0) / (double)rounds;
	return 0;
}

static int
time_threads(long rounds, double *us)
{
	double t0 = now_us();
	pthread_t t;
	int err;

	for (long i = 0; i < rounds; i++) {
		if ((err = pthread_create(&t, NULL, work, NULL)) != 0 ||
		    (err = pthread_join(t, NULL)) != 0) {
			errno = err; /* pthreads return the error, not -1 */
			return -1;
		}
	}
	*us = (now_us() - t0) / (double)rounds;
	return 0;
}

static int
time_forks(long rounds, double *us)
{
	double t0 = now_us();

	for (long i = 0; i < rounds; i++) {
		pid_t pid = fork();
		if (pid < 0)
			return -1;
		if (pid == 0)
			_exit(0); /* the child's whole life */
		while (waitpid(pid, NULL, 0) < 0) {
			if (errno != EINTR)
				return -1;
		}
	}
	*us = (now_us() - t0) / (double)rounds;
	return 0;
}
