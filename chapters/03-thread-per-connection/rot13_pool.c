/*
 * rot13_pool - chapter 03: a fixed pool of worker threads and a bounded
 * queue of accepted connections.
 *
 * Main accepts and puts each descriptor in a queue; N workers (-t N,
 * default 8) take them out and serve them with chapter 01's blocking loop.
 * The number of threads no longer grows with the number of clients, but a
 * worker is still held for as long as its client stays connected: N idle
 * clients take all N workers, and client N+1 waits in the queue.
 *
 *   ./rot13_pool -p 40713 -t 2       (Ctrl-C stops it)
 *   ../common/rot13_check -p 40713 -i 2 -P -t 3    (times out: exit 2)
 *
 * Watch: the third client above is accepted (its connect succeeds) but
 * never answered while the two idle clients hold both workers.
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

#define DEFAULT_WORKERS 8
#define MAX_WORKERS     1024
#define QUEUE_CAP       64  /* accepted clients waiting for a worker */
#define ROOM_TICK_MS    100 /* while the queue is full, look for a stop */

struct worker {
	pthread_t tid;
	struct pool *pool;
	int fd; /* the client being served, or -1: read under pool->lock */
};

/* The queue and the workers; lock guards every field but nworkers. */
struct pool {
	pthread_mutex_t lock;
	pthread_cond_t not_empty; /* idle workers wait here */
	pthread_cond_t not_full;  /* the acceptor waits here */
	int queue[QUEUE_CAP];     /* a ring: queue[head], then len - 1 more */
	size_t head, len;
	int stopping;
	int nworkers;
	struct worker *workers;
};

static int parse_options(struct server_options *opt, int argc, char **argv);
static int pool_start(struct pool *p, int nworkers);
static void pool_stop(struct pool *p);
static int queue_wait_room(struct pool *p);
static void queue_push(struct pool *p, int fd);
static int queue_pop(struct pool *p, struct worker *w);
static void *worker_main(void *arg);
static void report_context_switches(void);

int
main(int argc, char **argv)
{
	struct pool pool = {
	        .lock = PTHREAD_MUTEX_INITIALIZER,
	        .not_empty = PTHREAD_COND_INITIALIZER,
	        .not_full = PTHREAD_COND_INITIALIZER,
	};
	struct server_options opt;
	int listener, nworkers = parse_options(&opt, argc, argv);

	if (stop_signals_install() < 0) {
		fprintf(stderr, "rot13_pool: signals: %s\n", strerror(errno));
		return 1;
	}
	listener = listen_tcp(opt.addr, opt.port, SERVER_BACKLOG);
	if (listener < 0 || announce_listening(listener) < 0) {
		fprintf(stderr, "rot13_pool: listen on %s:%d: %s\n", opt.addr,
		        opt.port, strerror(errno));
		return 1;
	}
	if (pool_start(&pool, nworkers) < 0)
		return 1;
	/* Backpressure: accept only when the queue has room. While it is
	 * full, new clients wait in the kernel's listen backlog, then in
	 * connect(); memory does not grow with the number of clients. */
	while (queue_wait_room(&pool) && wait_readable(listener) > 0) {
		int fd = accept(listener, NULL, NULL);
		if (fd >= 0)
			queue_push(&pool, fd);
		else
			accept_error("rot13_pool");
	}
	pool_stop(&pool);
	close(listener);
	stop_signals_release();
	report_context_switches();
	return 0;
}

/* -p, -a as every server, and -t N workers. Exits on bad usage. */
static int
parse_options(struct server_options *opt, int argc, char **argv)
{
	int ch, n = DEFAULT_WORKERS;

	server_options_init(opt);
	while ((ch = getopt(argc, argv, "a:p:t:h")) != -1) {
		if (ch == 't' && (n = atoi(optarg)) >= 1 && n <= MAX_WORKERS)
			continue;
		if (ch != 't' && ch != 'h' &&
		    server_option_apply(opt, ch, optarg) == 0)
			continue;
		fprintf(stderr, "usage: %s [-a ADDR] [-p PORT] [-t 1..%d]\n",
		        argv[0], MAX_WORKERS);
		exit(ch == 'h' ? 0 : 2);
	}
	return n;
}

static int
pool_start(struct pool *p, int nworkers)
{
	sigset_t stops, saved;
	int err = 0;

	p->workers = calloc((size_t)nworkers, sizeof(*p->workers));
	if (!p->workers) {
		fprintf(stderr, "rot13_pool: out of memory\n");
		return -1;
	}
	/* Workers inherit this mask: SIGINT/SIGTERM go to main only. */
	sigemptyset(&stops);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stops, &saved);
	for (p->nworkers = 0; p->nworkers < nworkers; p->nworkers++) {
		struct worker *w = &p->workers[p->nworkers];
		*w = (struct worker){.pool = p, .fd = -1};
		err = pthread_create(&w->tid, NULL, worker_main, w);
		if (err != 0)
			break;
	}
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	if (err == 0)
		return 0;
	fprintf(stderr, "rot13_pool: pthread_create: %s\n", strerror(err));
	pool_stop(p); /* joins the workers that did start */
	return -1;
}

/*
 * Stops every worker, then frees the pool. Idle workers wake through the
 * broadcast; busy ones through the stop pipe (in wait_readable), or, if
 * blocked in send() to a client that never reads, through shutdown().
 */
static void
pool_stop(struct pool *p)
{
	pthread_mutex_lock(&p->lock);
	p->stopping = 1;
	pthread_cond_broadcast(&p->not_empty);
	for (int i = 0; i < p->nworkers; i++)
		if (p->workers[i].fd >= 0)
			shutdown(p->workers[i].fd, SHUT_RDWR);
	pthread_mutex_unlock(&p->lock);
	for (int i = 0; i < p->nworkers; i++)
		pthread_join(p->workers[i].tid, NULL);
	/* Clients still queued were never served: close them. */
	for (; p->len > 0; p->len--, p->head = (p->head + 1) % QUEUE_CAP)
		close(p->queue[p->head]);
	free(p->workers);
	pthread_cond_destroy(&p->not_full);
	pthread_cond_destroy(&p->not_empty);
	pthread_mutex_destroy(&p->lock);
}

/*
 * Waits until the queue has room; returns 1, or 0 once a stop is requested.
 * A condition variable cannot also wait on the stop pipe, and the signal
 * handler may not touch it, so while the queue is full we wake up every
 * ROOM_TICK_MS to look at the stop flag.
 */
static int
queue_wait_room(struct pool *p)
{
	struct timespec t;

	pthread_mutex_lock(&p->lock);
	while (p->len == QUEUE_CAP && !stop_requested()) {
		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_nsec += ROOM_TICK_MS * 1000000L;
		t.tv_sec += t.tv_nsec / 1000000000L;
		t.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&p->not_full, &p->lock, &t);
	}
	pthread_mutex_unlock(&p->lock);
	return !stop_requested();
}

/* Only main pushes, after queue_wait_room(): there is room. */
static void
queue_push(struct pool *p, int fd)
{
	pthread_mutex_lock(&p->lock);
	p->queue[(p->head + p->len++) % QUEUE_CAP] = fd;
	pthread_cond_signal(&p->not_empty);
	pthread_mutex_unlock(&p->lock);
}

/* Takes the next client for w (recording it in w->fd); -1 at a stop. */
static int
queue_pop(struct pool *p, struct worker *w)
{
	int fd = -1;

	pthread_mutex_lock(&p->lock);
	while (p->len == 0 && !p->stopping)
		pthread_cond_wait(&p->not_empty, &p->lock);
	if (!p->stopping) {
		fd = p->queue[p->head];
		p->head = (p->head + 1) % QUEUE_CAP;
		p->len--;
		w->fd = fd;
		pthread_cond_signal(&p->not_full);
	}
	pthread_mutex_unlock(&p->lock);
	return fd;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	int fd;

	while ((fd = queue_pop(w->pool, w)) >= 0) {
		rot13_serve(fd);
		/* Closed under the lock, so pool_stop() never shuts down a
		 * number that close() has already given back. */
		pthread_mutex_lock(&w->pool->lock);
		w->fd = -1;
		close(fd);
		pthread_mutex_unlock(&w->pool->lock);
	}
	return NULL;
}

static void
report_context_switches(void)
{
	struct rusage ru;

	/* RUSAGE_SELF sums every thread of the process. */
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		printf("rot13_pool: context switches: %ld voluntary, "
		       "%ld involuntary\n",
		       ru.ru_nvcsw, ru.ru_nivcsw);
}
