/*
 * thread_costs - chapter 03: what a thread costs, measured on this machine.
 *
 *  1. Creation: how many pthread_create + pthread_join pairs run in a
 *     second, next to fork + waitpid (chapter 02) and a plain function call.
 *  2. Memory: this process's VmSize (address space reserved) and VmRSS
 *     (memory really used) before and while N threads sit blocked in
 *     read(). Each stack reserves 8 MiB by default, but only the pages a
 *     thread touches become real memory.
 *
 *   ./thread_costs                 1000 idle threads, default stacks
 *   ./thread_costs -n 10000 -s 64  10,000 threads with 64 KiB stacks
 *
 * Watch: VmSize per thread is the stack size plus a guard page; VmRSS per
 * thread is a few KiB. The kernel also keeps a stack per thread (16 KiB on
 * x86-64), outside VmRSS: KernelStack in /proc/meminfo, system-wide.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RUN_SEC 0.5 /* how long each creation test runs */

static double now_sec(void);
static double rate(int (*op)(void));
static int op_call(void);
static int op_thread(void);
static int op_fork(void);
static void *do_nothing(void *arg);
static void *wait_on_pipe(void *arg);
static long status_kb(const char *file, const char *key);
static int idle_threads(long n, size_t stack_kib);

/* Called through a volatile pointer so that the compiler keeps the call. */
static void *(*volatile call_target)(void *) = do_nothing;

int
main(int argc, char **argv)
{
	long n = 1000, stack_kib = 0;
	int ch;

	while ((ch = getopt(argc, argv, "n:s:")) != -1) {
		if (ch == 'n' && (n = atol(optarg)) > 0)
			continue;
		if (ch == 's' && (stack_kib = atol(optarg)) >= 16)
			continue;
		fprintf(stderr, "usage: %s [-n THREADS] [-s STACK_KIB]\n",
		        argv[0]);
		return 2;
	}
	printf("creation, each for %.1f s:\n", RUN_SEC);
	double call = rate(op_call), thr = rate(op_thread), frk = rate(op_fork);
	if (call < 0 || thr < 0 || frk < 0)
		return 1;
	printf("  function call            %12.0f /s %10.3f us each\n", call,
	       1e6 / call);
	printf("  pthread_create + join    %12.0f /s %10.3f us each\n", thr,
	       1e6 / thr);
	printf("  fork + waitpid           %12.0f /s %10.3f us each\n", frk,
	       1e6 / frk);
	return idle_threads(n, (size_t)stack_kib) < 0 ? 1 : 0;
}

static double
now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs op in batches for RUN_SEC; returns runs per second, -1 on error. */
static double
rate(int (*op)(void))
{
	double start = now_sec(), t;
	long runs = 0;

	do {
		for (int i = 0; i < 64; i++)
			if (op() < 0)
				return -1;
		runs += 64;
	} while ((t = now_sec() - start) < RUN_SEC);
	return (double)runs / t;
}

static int
op_call(void)
{
	call_target(NULL);
	return 0;
}

static int
op_thread(void)
{
	pthread_t tid;
	int err = pthread_create(&tid, NULL, do_nothing, NULL);

	if (err == 0)
		err = pthread_join(tid, NULL);
	if (err == 0)
		return 0;
	fprintf(stderr, "thread_costs: pthread: %s\n", strerror(err));
	return -1;
}

static int
op_fork(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	if (pid > 0 && waitpid(pid, NULL, 0) == pid)
		return 0;
	perror("thread_costs: fork");
	return -1;
}

static void *
do_nothing(void *arg)
{
	return arg;
}

/* The read end of the pipe arrives by value, cast into the pointer: no
 * shared variable, nothing that the creator can overwrite. */
static void *
wait_on_pipe(void *arg)
{
	char c;

	while (read((int)(intptr_t)arg, &c, 1) < 0 && errno == EINTR)
		;
	return NULL; /* read() returned 0: the write end was closed */
}

/* The value of "key:" in a /proc file (kB for the memory lines), or -1. */
static long
status_kb(const char *file, const char *key)
{
	char line[256];
	size_t len = strlen(key);
	long v = -1;
	FILE *f = fopen(file, "r");

	if (!f)
		return -1;
	while (v < 0 && fgets(line, sizeof(line), f))
		if (strncmp(line, key, len) == 0 && line[len] == ':')
			v = atol(line + len + 1);
	fclose(f);
	return v;
}

static void
show(const char *file, const char *key, long before, long n)
{
	long after = status_kb(file, key);

	printf("  %-22s %12ld %12ld %12.1f\n", key, before, after,
	       (double)(after - before) / (double)n);
}

/* Starts n threads blocked on a pipe, prints the memory they hold, ends
 * them by closing the pipe's write end, and joins them. */
static int
idle_threads(long n, size_t stack_kib)
{
	const char *st = "/proc/self/status", *mi = "/proc/meminfo";
	long vm = status_kb(st, "VmSize"), rss = status_kb(st, "VmRSS");
	long kst = status_kb(mi, "KernelStack"), made = 0;
	pthread_t *tids = calloc((size_t)n, sizeof(*tids));
	pthread_attr_t attr;
	int p[2], err = 0;

	if (!tids || pipe(p) < 0) {
		perror("thread_costs: idle threads");
		free(tids);
		return -1;
	}
	pthread_attr_init(&attr);
	if (stack_kib > 0)
		err = pthread_attr_setstacksize(&attr, stack_kib * 1024);
	for (; made < n && err == 0; made++)
		err = pthread_create(&tids[made], &attr, wait_on_pipe,
		                     (void *)(intptr_t)p[0]);
	if (err != 0)
		made--; /* the one that failed */
	printf("\n%ld idle threads, %s stacks%s%s:\n", made,
	       stack_kib ? "small" : "default", err ? ", then: " : "",
	       err ? strerror(err) : "");
	printf("  %-22s %12s %12s %12s\n", "kB", "before", "with them",
	       "per thread");
	show(st, "VmSize", vm, made ? made : 1);
	show(st, "VmRSS", rss, made ? made : 1);
	show(mi, "KernelStack", kst, made ? made : 1);
	printf("  %-22s %12ld\n", "Threads", status_kb(st, "Threads"));
	close(p[1]);
	for (long i = 0; i < made; i++)
		pthread_join(tids[i], NULL);
	close(p[0]);
	pthread_attr_destroy(&attr);
	free(tids);
	return err == 0 ? 0 : -1;
}
