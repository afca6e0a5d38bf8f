/*
 * minheap-internal.h - the timer heap: a binary min-heap of events ordered
 * by deadline, in an array that grows as needed.
 *
 * EXERCISE 11-timers (see README.md): the bookkeeping at the top works;
 * the functions from min_heap_elem_greater_() down are yours to write.
 * As shipped they compile and keep every index right, but they never
 * reorder anything, so timers fire in the wrong order.
 *
 * Introduced in chapter 11 (timers). The loop asks one question of its
 * timers many times per second, "which expires first?", and must add and
 * delete them cheaply. A binary heap answers in O(1) and adds or removes
 * in O(log n). Design reasons:
 *  1. Each event stores its own index in the array (ev_heap_idx), so that
 *     event_del() removes it in O(log n) without searching.
 *  2. Ties are broken by a sequence number taken when the event is pushed,
 *     so timers with the same deadline fire in the order they were added
 *     (a bare heap is not stable).
 *  3. Everything is static inline: the loop calls these in its hot path and
 *     the heap has one user, event.c (and the unit test).
 *
 * Interface:
 *  - min_heap_ctor_(), min_heap_dtor_(), min_heap_elem_init_()
 *  - min_heap_empty_(), min_heap_size_(), min_heap_top_()
 *  - min_heap_reserve_(), min_heap_push_(), min_heap_pop_(),
 *    min_heap_erase_(), min_heap_adjust_()
 *  - min_heap_elt_is_top_()
 */
#ifndef MINHEAP_INTERNAL_H_INCLUDED_
#define MINHEAP_INTERNAL_H_INCLUDED_

#include <errno.h>
#include <limits.h>

#include "event2/event_struct.h"
#include "mm-internal.h"

struct min_heap {
	struct event **p; /* p[0] expires first; p[i]'s children: 2i+1, 2i+2 */
	unsigned n;       /* elements in use */
	unsigned a;       /* elements allocated */
	ev_uint64_t seq;  /* next sequence number to hand out */
};

static inline void
min_heap_ctor_(struct min_heap *s)
{
	s->p = NULL;
	s->n = 0;
	s->a = 0;
	s->seq = 0;
}

static inline void
min_heap_dtor_(struct min_heap *s)
{
	mm_free_(s->p);
	min_heap_ctor_(s);
}

static inline void
min_heap_elem_init_(struct event *e)
{
	e->ev_heap_idx = -1;
}

static inline int
min_heap_empty_(const struct min_heap *s)
{
	return s->n == 0;
}

static inline unsigned
min_heap_size_(const struct min_heap *s)
{
	return s->n;
}

static inline struct event *
min_heap_top_(const struct min_heap *s)
{
	return s->n ? s->p[0] : NULL;
}

static inline int
min_heap_elt_is_top_(const struct event *e)
{
	return e->ev_heap_idx == 0;
}

/* Nonzero if a expires after b: later deadline, or same deadline and
 * pushed later. */
/* Nonzero if a expires after b: later deadline, or same deadline and
 * pushed later (a larger ev_timeout_seq). */
static inline int
min_heap_elem_greater_(const struct event *a, const struct event *b)
{
	(void)a, (void)b;
	return 0; /* yours: compare ev_timeout, then ev_timeout_seq */
}

/* Puts e into slot idx and tells e where it is. */
static inline void
min_heap_place_(struct min_heap *s, unsigned idx, struct event *e)
{
	s->p[idx] = e;
	e->ev_heap_idx = (int)idx;
}

/* Moves e up from the hole at idx while its parent expires later. */
static inline void
min_heap_shift_up_(struct min_heap *s, unsigned idx, struct event *e)
{
	min_heap_place_(s, idx, e); /* yours: climb while the parent is later */
}

/* Moves e down from the hole at idx while a child expires earlier. */
static inline void
min_heap_shift_down_(struct min_heap *s, unsigned idx, struct event *e)
{
	min_heap_place_(s, idx, e); /* yours: sink below the earlier child */
}

/* Makes room for n elements, so that a later push cannot fail. 0 or -1. */
static inline int
min_heap_reserve_(struct min_heap *s, unsigned n)
{
	if (s->a >= n)
		return 0;
	unsigned a = s->a ? s->a * 2 : 8;
	if (a < n)
		a = n;
	if (a > UINT_MAX / sizeof(*s->p)) {
		errno = ENOMEM;
		return -1;
	}
	struct event **p = mm_realloc_(s->p, a * sizeof(*p));
	if (p == NULL)
		return -1;
	s->p = p;
	s->a = a;
	return 0;
}

/* Adds e (not in the heap; its ev_timeout set). 0, or -1 if out of memory. */
static inline int
min_heap_push_(struct min_heap *s, struct event *e)
{
	if (min_heap_reserve_(s, s->n + 1) == -1)
		return -1;
	e->ev_timeout_seq = s->seq++;
	min_heap_shift_up_(s, s->n++, e);
	return 0;
}

/* Removes and returns the element that expires first, or NULL. */
static inline struct event *
min_heap_pop_(struct min_heap *s)
{
	if (s->n == 0)
		return NULL;
	struct event *top = s->p[0];
	struct event *last = s->p[--s->n];
	if (s->n > 0)
		min_heap_place_(s, 0, last); /* yours: and then? */
	top->ev_heap_idx = -1;
	return top;
}

/* Removes e from anywhere in the heap. 0, or -1 if e is not in it. */
static inline int
min_heap_erase_(struct min_heap *s, struct event *e)
{
	if (e->ev_heap_idx < 0)
		return -1;
	struct event *last = s->p[--s->n];
	if (last != e)
		min_heap_place_(s, (unsigned)e->ev_heap_idx, last); /* yours */
	e->ev_heap_idx = -1;
	return 0;
}

/* e's ev_timeout changed: moves it to its new place, or pushes it if it
 * was not in the heap. It counts as newly added among equal deadlines.
 * 0, or -1 if out of memory. */
static inline int
min_heap_adjust_(struct min_heap *s, struct event *e)
{
	if (e->ev_heap_idx < 0)
		return min_heap_push_(s, e);
	e->ev_timeout_seq = s->seq++;
	return 0; /* yours: e may now belong higher or lower */
}

#endif /* MINHEAP_INTERNAL_H_INCLUDED_ */
