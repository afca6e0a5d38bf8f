/*
 * handler_deadlock - chapter 12: why a signal handler may not call the
 * loop, printf() or malloc().
 *
 * A handler runs in the middle of whatever the thread was doing. If that
 * code held a lock (malloc's arena lock, a FILE's lock, the loop's own
 * state) and the handler takes the same lock, the thread waits for itself
 * forever. Here a child process takes a lock, as malloc() and printf() do
 * inside, and a signal arrives while it holds it: its handler logs through
 * the same lock. The parent gives the child one second, then reports.
 * The right way, setting a flag and logging after the lock is released,
 * finishes at once.
 *
 *   ./handler_deadlock
 *
 * Watch: "stuck" for the wrong handler, "exited 0" for the right one.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GIVE_MS 1000

/* Stands for the lock inside malloc() or stdio. Reached by the handler,
 * so it has to be a global, like everything a handler touches. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile sig_atomic_t log_wanted;

static void wrong_handler(int sig);
static void right_handler(int sig);
static void run_child(void (*handler)(int));
static void log_line(const char *text);
static void report(const char *name, pid_t pid);

int
main(void)
{
	pid_t pid;

	for (int right = 0; right < 2; right++) {
		fflush(stdout);
		pid = fork();
		if (pid < 0)
			return perror("handler_deadlock: fork"), 1;
		if (pid == 0)
			run_child(right ? right_handler : wrong_handler);
		report(right ? "flag only, log later" : "log from the handler",
		       pid);
	}
	return 0;
}

/* The child: the signal lands while the lock is held. */
static void
run_child(void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) < 0)
		_exit(1);
	pthread_mutex_lock(&log_lock); /* e.g. inside malloc() */
	raise(SIGUSR1);                /* the handler runs here */
	pthread_mutex_unlock(&log_lock);
	if (log_wanted)
		log_line("logged from the main flow, after the unlock");
	_exit(0);
}

/* Wrong: takes a lock the interrupted code may hold. */
static void
wrong_handler(int sig)
{
	(void)sig;
	log_line("logged from the handler");
}

/* Right: only sets a flag; the main flow does the work. */
static void
right_handler(int sig)
{
	(void)sig;
	log_wanted = 1;
}

static void
log_line(const char *text)
{
	pthread_mutex_lock(&log_lock);
	printf("   child: %s\n", text);
	fflush(stdout);
	pthread_mutex_unlock(&log_lock);
}

/* Waits up to GIVE_MS for the child, then kills it if it is stuck. */
static void
report(const char *name, pid_t pid)
{
	struct timespec tick = {0, 10 * 1000 * 1000};
	int status = 0;
	pid_t got = 0;

	for (int ms = 0; ms < GIVE_MS && got == 0; ms += 10) {
		got = waitpid(pid, &status, WNOHANG);
		if (got == 0)
			nanosleep(&tick, NULL);
	}
	if (got == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		printf("%s: stuck after %d ms (deadlock in the handler), "
		       "killed\n",
		       name, GIVE_MS);
	} else {
		printf("%s: exited %d\n", name,
		       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
}
