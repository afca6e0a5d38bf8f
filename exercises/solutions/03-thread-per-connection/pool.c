/*
 * pool.c - a thread pool (see pool.h). Exercise 03, reference solution.
 *
 * Jobs wait in a FIFO list guarded by one mutex; idle workers sleep on the
 * condition variable has_work. A worker leaves only when the pool is
 * stopping AND the list is empty, so a shutdown never loses a queued job.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "pool.h"

struct job {
	pool_job_fn fn;
	void *arg;
	struct job *next;
};

struct pool {
	pthread_mutex_t lock;
	pthread_cond_t has_work;  /* a job was queued, or stopping was set */
	struct job *first, *last; /* the queue, oldest first */
	int stopping;
	int nworkers; /* threads started: the ones to join */
	pthread_t *workers;
};

static void *worker_main(void *arg);
static struct job *next_job(struct pool *p);

struct pool *
pool_new(int nworkers)
{
	struct pool *p = calloc(1, sizeof(*p));
	int err = 0;

	if (!p || !(p->workers = calloc((size_t)nworkers, sizeof(pthread_t)))) {
		free(p);
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->has_work, NULL);
	for (; p->nworkers < nworkers; p->nworkers++) {
		err = pthread_create(&p->workers[p->nworkers], NULL,
		                     worker_main, p);
		if (err != 0)
			break;
	}
	if (err == 0)
		return p;
	pool_shutdown(p); /* stops and joins the workers that did start */
	errno = err;
	return NULL;
}

int
pool_submit(struct pool *p, pool_job_fn fn, void *arg)
{
	struct job *j = malloc(sizeof(*j));

	if (!j)
		return -1;
	*j = (struct job){.fn = fn, .arg = arg, .next = NULL};
	pthread_mutex_lock(&p->lock);
	if (p->last)
		p->last->next = j;
	else
		p->first = j;
	p->last = j;
	pthread_cond_signal(&p->has_work); /* one job: one worker is enough */
	pthread_mutex_unlock(&p->lock);
	return 0;
}

void
pool_shutdown(struct pool *p)
{
	pthread_mutex_lock(&p->lock);
	p->stopping = 1;
	/* Every idle worker sleeps on has_work and looks at stopping only
	 * when woken: wake them all, or pthread_join below waits forever.
	 * Holding the lock makes it impossible for a worker to test
	 * stopping (still 0) and then miss this broadcast. */
	pthread_cond_broadcast(&p->has_work);
	pthread_mutex_unlock(&p->lock);
	for (int i = 0; i < p->nworkers; i++)
		pthread_join(p->workers[i], NULL);
	/* The workers drained the queue before leaving: nothing to free. */
	pthread_cond_destroy(&p->has_work);
	pthread_mutex_destroy(&p->lock);
	free(p->workers);
	free(p);
}

static void *
worker_main(void *arg)
{
	struct pool *p = arg;
	struct job *j;

	while ((j = next_job(p)) != NULL) {
		j->fn(j->arg); /* outside the lock: jobs run in parallel */
		free(j);
	}
	return NULL;
}

/* Waits for a job; NULL once the pool is stopping and nothing is left. */
static struct job *
next_job(struct pool *p)
{
	struct job *j;

	pthread_mutex_lock(&p->lock);
	while (!p->first && !p->stopping)
		pthread_cond_wait(&p->has_work, &p->lock);
	j = p->first;
	if (j) {
		p->first = j->next;
		if (!p->first)
			p->last = NULL;
	}
	pthread_mutex_unlock(&p->lock);
	return j;
}
