/*
 * rot13_thread - chapter 03: one detached thread per connection.
 *
 * The main thread accepts; every client gets a thread of its own that runs
 * the same blocking loop as chapter 01 (rot13_serve). An idle client now
 * blocks only its own thread. The interesting part is the end: detached
 * threads cannot be joined, so main counts the live ones and waits for the
 * count to reach zero, after waking every worker that could be stuck.
 *
 *   ./rot13_thread -p 40713          (Ctrl-C stops it)
 *   ../common/rot13_check -p 40713 -c 50 -P -n 10 -v
 *
 * Watch: `grep Threads /proc/$(pgrep rot13_thread)/status` while clients
 * are connected: one thread per client, plus main. At exit it prints how
 * many context switches all its threads made (getrusage).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net.h"
#include "serve.h"

#define STOP_WAIT_SEC 10 /* how long main waits for its workers at exit */

/* Shared by main and every worker; lock guards everything below it. */
struct server {
	pthread_mutex_t lock;
	pthread_cond_t all_done; /* signalled when live drops to 0 */
	int live;                /* workers that have not finished */
	struct client *clients;  /* the registry: every live connection */
};

/* One per connection, on the heap: it is the thread's argument and its
 * entry in the registry, and the worker frees it. */
struct client {
	int fd;
	struct server *srv;
	struct client *prev, *next;
};

static void spawn_worker(struct server *srv, int fd);
static void *worker_main(void *arg);
static void client_release(struct client *c);
static int stop_workers(struct server *srv);
static int threads_gone(const struct timespec *deadline);
static void report_context_switches(void);

int
main(int argc, char **argv)
{
	struct server srv = {
	        .lock = PTHREAD_MUTEX_INITIALIZER,
	        .all_done = PTHREAD_COND_INITIALIZER,
	};
	struct server_options opt;
	int listener;

	server_options_parse(&opt, argc, argv);
	if (stop_signals_install() < 0) {
		fprintf(stderr, "rot13_thread: signals: %s\n", strerror(errno));
		return 1;
	}
	listener = listen_tcp(opt.addr, opt.port, SERVER_BACKLOG);
	if (listener < 0 || announce_listening(listener) < 0) {
		fprintf(stderr, "rot13_thread: listen on %s:%d: %s\n", opt.addr,
		        opt.port, strerror(errno));
		return 1;
	}
	while (wait_readable(listener) > 0) {
		int fd = accept(listener, NULL, NULL);
		if (fd >= 0)
			spawn_worker(&srv, fd);
		else
			accept_error("rot13_thread");
	}
	close(listener);
	if (stop_workers(&srv) < 0)
		return 1; /* a worker may still use srv: free nothing */
	stop_signals_release();
	report_context_switches();
	return 0;
}

/* Registers fd and starts its thread; on failure drops the client only. */
static void
spawn_worker(struct server *srv, int fd)
{
	struct client *c = malloc(sizeof(*c));
	sigset_t stops, saved;
	pthread_t tid;
	int err;

	if (!c) {
		fprintf(stderr, "rot13_thread: out of memory\n");
		close(fd);
		return;
	}
	*c = (struct client){.fd = fd, .srv = srv, .prev = NULL};
	pthread_mutex_lock(&srv->lock);
	c->next = srv->clients;
	if (srv->clients)
		srv->clients->prev = c;
	srv->clients = c;
	srv->live++;
	pthread_mutex_unlock(&srv->lock);

	/* A new thread inherits the creator's signal mask: block the stop
	 * signals around pthread_create so that only main ever runs the
	 * handler. Workers learn of a stop from the stop pipe instead. */
	sigemptyset(&stops);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stops, &saved);
	err = pthread_create(&tid, NULL, worker_main, c);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	if (err != 0) {
		/* Out of threads or memory: refuse this client, go on. */
		fprintf(stderr, "rot13_thread: pthread_create: %s\n",
		        strerror(err));
		client_release(c);
		return;
	}
	/* Nobody will join it: its stack is freed as soon as it returns. */
	pthread_detach(tid);
}

static void *
worker_main(void *arg)
{
	struct client *c = arg;

	rot13_serve(c->fd);
	client_release(c);
	return NULL;
}

/* Drops c from the registry, closes its fd, frees it; wakes main after the
 * last one. */
static void
client_release(struct client *c)
{
	struct server *srv = c->srv;

	/* The fd is closed under the lock: stop_workers() may be about to
	 * shutdown() it, and a closed number could already name a new file. */
	pthread_mutex_lock(&srv->lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	close(c->fd);
	free(c);
	if (--srv->live == 0)
		pthread_cond_signal(&srv->all_done);
	pthread_mutex_unlock(&srv->lock);
}

/*
 * Wakes every worker and waits, at most STOP_WAIT_SEC, until all have
 * finished. Workers waiting for input wake through the stop pipe; one
 * blocked in send() to a client that never reads needs shutdown(), which
 * makes that send() fail. Returns 0, or -1 if some worker never finished.
 */
static int
stop_workers(struct server *srv)
{
	struct timespec deadline;
	int err = 0;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += STOP_WAIT_SEC;
	pthread_mutex_lock(&srv->lock);
	for (struct client *c = srv->clients; c; c = c->next)
		shutdown(c->fd, SHUT_RDWR);
	while (srv->live > 0 && err != ETIMEDOUT)
		err = pthread_cond_timedwait(&srv->all_done, &srv->lock,
		                             &deadline);
	int left = srv->live;
	pthread_mutex_unlock(&srv->lock);
	if (left == 0 && threads_gone(&deadline) == 0)
		return 0;
	fprintf(stderr, "rot13_thread: workers still running at exit\n");
	return -1;
}

/*
 * live == 0 says that every worker is done with srv, not that every thread
 * has ended: the last ones may still be returning, and a detached thread
 * cannot be waited for. The kernel's count of our threads (Linux) can.
 * Returns 0 once main is the only thread, -1 at the deadline.
 */
static int
threads_gone(const struct timespec *deadline)
{
	struct timespec now, tick = {0, 1000000};
	char line[64];

	for (;;) {
		FILE *f = fopen("/proc/self/status", "r");
		int n = -1;
		while (f && n < 0 && fgets(line, sizeof(line), f))
			if (strncmp(line, "Threads:", 8) == 0)
				n = atoi(line + 8);
		if (f)
			fclose(f);
		clock_gettime(CLOCK_REALTIME, &now);
		if (n == 1 || n < 0 || now.tv_sec > deadline->tv_sec)
			return n == 1 ? 0 : -1;
		nanosleep(&tick, NULL);
	}
}

static void
report_context_switches(void)
{
	struct rusage ru;

	/* RUSAGE_SELF sums every thread of the process, finished ones too. */
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		printf("rot13_thread: context switches: %ld voluntary, "
		       "%ld involuntary\n",
		       ru.ru_nvcsw, ru.ru_nivcsw);
}
