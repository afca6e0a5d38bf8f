/*
 * test_minheap.c - the timer heap (lib/minheap-internal.h) under random
 * operations, checked after every step against its invariants and against
 * a plain array that knows the right answer.
 *
 * Invariants checked (min_heap_check):
 *  - heap order: no element expires before its parent;
 *  - every element in the heap stores its own index, and every event not
 *    in it stores -1;
 *  - the heap holds exactly the events the model says are in it.
 * Order checked: pop always returns the model's earliest (deadline, then
 * insertion order), so equal deadlines come out first-in first-out.
 *
 * Tests minievent's insides: built only with LIB=minievent.
 * Run: make LIB=minievent && ./run.sh epoll build-minievent/test_minheap
 */
#include <stdlib.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "minheap-internal.h"
#include "unit.h"

#define NEVENTS 500
#define NSTEPS  20000

/* The model: which events are in the heap, and the order they were last
 * pushed or adjusted in (the tie-breaker the heap must honour). */
struct model {
	struct event ev[NEVENTS];
	int in[NEVENTS];
	unsigned long order[NEVENTS];
	unsigned long next_order;
	unsigned n;
};

static int
earlier(const struct model *m, int a, int b)
{
	const struct timeval *ta = &m->ev[a].ev_timeout;
	const struct timeval *tb = &m->ev[b].ev_timeout;
	if (ta->tv_sec != tb->tv_sec)
		return ta->tv_sec < tb->tv_sec;
	if (ta->tv_usec != tb->tv_usec)
		return ta->tv_usec < tb->tv_usec;
	return m->order[a] < m->order[b];
}

/* The index of the event that should come out first, or -1. */
static int
model_min(const struct model *m)
{
	int best = -1;
	for (int i = 0; i < NEVENTS; i++)
		if (m->in[i] && (best < 0 || earlier(m, i, best)))
			best = i;
	return best;
}

static void
min_heap_check(const struct min_heap *h, const struct model *m)
{
	assert_int_eq(min_heap_size_(h), m->n);
	for (unsigned i = 0; i < h->n; i++) {
		const struct event *e = h->p[i];
		assert_int_eq(e->ev_heap_idx, (int)i);
		assert_true(m->in[e - m->ev]);
		if (i > 0)
			assert_false(
			        min_heap_elem_greater_(h->p[(i - 1) / 2], e));
	}
	for (int i = 0; i < NEVENTS; i++)
		if (!m->in[i])
			assert_int_eq(m->ev[i].ev_heap_idx, -1);
}

static void
model_init(struct model *m)
{
	for (int i = 0; i < NEVENTS; i++)
		min_heap_elem_init_(&m->ev[i]);
}

/* Few distinct deadlines, so that ties are common. */
static void
random_deadline(struct event *e)
{
	e->ev_timeout.tv_sec = rand() % 8;
	e->ev_timeout.tv_usec = (rand() % 3) * 250000;
}

static void
step_push(struct min_heap *h, struct model *m, int i)
{
	random_deadline(&m->ev[i]);
	if (m->in[i]) {
		assert_int_eq(min_heap_adjust_(h, &m->ev[i]), 0);
	} else {
		assert_int_eq(min_heap_push_(h, &m->ev[i]), 0);
		m->in[i] = 1;
		m->n++;
	}
	m->order[i] = m->next_order++;
}

static void
step_pop(struct min_heap *h, struct model *m)
{
	int want = model_min(m);
	struct event *got = min_heap_pop_(h);
	if (want < 0) {
		assert_null(got);
		return;
	}
	assert_ptr_eq(got, &m->ev[want]);
	m->in[want] = 0;
	m->n--;
}

static void
step_erase(struct min_heap *h, struct model *m, int i)
{
	assert_int_eq(min_heap_erase_(h, &m->ev[i]), m->in[i] ? 0 : -1);
	if (m->in[i]) {
		m->in[i] = 0;
		m->n--;
	}
}

/* Many random operations, each followed by a full check. */
static void
test_random_operations(void)
{
	static struct model m;
	struct min_heap h;

	srand(20240611);
	min_heap_ctor_(&h);
	model_init(&m);
	for (int step = 0; step < NSTEPS; step++) {
		int i = rand() % NEVENTS, op = rand() % 10;
		if (op < 5)
			step_push(&h, &m, i);
		else if (op < 8)
			step_pop(&h, &m);
		else
			step_erase(&h, &m, i);
		if (step % 7 == 0 || m.n < 20)
			min_heap_check(&h, &m);
		if (step % 1000 == 0)
			assert_ptr_eq(min_heap_top_(&h),
			              model_min(&m) < 0 ? NULL
			                                : &m.ev[model_min(&m)]);
	}
	while (m.n > 0)
		step_pop(&h, &m);
	assert_true(min_heap_empty_(&h));
	min_heap_dtor_(&h);
}

/* Equal deadlines come out in the order they went in. */
static void
test_ties_are_fifo(void)
{
	static struct model m;
	struct min_heap h;

	min_heap_ctor_(&h);
	model_init(&m);
	for (int i = 0; i < 64; i++) {
		m.ev[i].ev_timeout.tv_sec = 5;
		m.ev[i].ev_timeout.tv_usec = 0;
		assert_int_eq(min_heap_push_(&h, &m.ev[i]), 0);
	}
	for (int i = 0; i < 64; i++)
		assert_ptr_eq(min_heap_pop_(&h), &m.ev[i]);
	assert_null(min_heap_pop_(&h));
	min_heap_dtor_(&h);
}

/* Erasing the last element, the top, and an element that must move up
 * (its replacement is smaller than its parent) all keep the heap sound. */
static void
test_erase_positions(void)
{
	static struct model m;
	struct min_heap h;
	int deadlines[] = {1, 10, 2, 11, 12, 3, 4};

	min_heap_ctor_(&h);
	model_init(&m);
	for (int i = 0; i < 7; i++) {
		m.ev[i].ev_timeout.tv_sec = deadlines[i];
		assert_int_eq(min_heap_push_(&h, &m.ev[i]), 0);
		m.in[i] = 1;
		m.order[i] = m.next_order++;
		m.n++;
	}
	/* ev[3] (11) sits under ev[1] (10); the last element (4) replaces
	 * it and must climb above 10. */
	step_erase(&h, &m, 3);
	min_heap_check(&h, &m);
	step_erase(&h, &m, 0);
	min_heap_check(&h, &m);
	step_erase(&h, &m, 6);
	min_heap_check(&h, &m);
	step_erase(&h, &m, 6);
	while (m.n > 0)
		step_pop(&h, &m);
	min_heap_dtor_(&h);
}

int
main(int argc, char **argv)
{
	static const struct unit_test tests[] = {
	        UNIT_TEST(random_operations),
	        UNIT_TEST(ties_are_fifo),
	        UNIT_TEST(erase_positions),
	        UNIT_END,
	};

	return unit_main(argc, argv, tests);
}
