/*
 * pool.h - a small thread pool: N workers run submitted jobs in order.
 *
 * Exercise 03 (thread-per-connection). The learner's pool.c implements it;
 * rot13_pool in chapter 03 is the same design with descriptors as jobs.
 *
 * Interface:
 *  - pool_new():      starts the workers
 *  - pool_submit():   queues one job
 *  - pool_shutdown(): runs what is queued, joins every worker, frees all
 */
#ifndef EXERCISE_POOL_H_INCLUDED_
#define EXERCISE_POOL_H_INCLUDED_

struct pool;

typedef void (*pool_job_fn)(void *arg);

/* Starts nworkers (>= 1) threads. NULL with errno set on failure (then no
 * thread is left running). */
struct pool *pool_new(int nworkers);

/* Queues fn(arg), to run once on some worker. Returns 0, or -1 with errno
 * set (ENOMEM). Call it from one thread at a time with pool_shutdown(). */
int pool_submit(struct pool *p, pool_job_fn fn, void *arg);

/*
 * Stops the pool. When it returns: every job submitted before the call has
 * run exactly once, every worker thread has been joined, and p is freed.
 * It returns as soon as the last queued job is done.
 */
void pool_shutdown(struct pool *p);

#endif /* EXERCISE_POOL_H_INCLUDED_ */
