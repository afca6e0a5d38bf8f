/*
 * mm.c - the allocator every part of minievent uses, replaceable at once
 * with event_set_mem_functions().
 *
 * Introduced in chapter 10. A program may want all of the library's memory
 * from its own allocator (a pool, a counting wrapper, a leak checker), so
 * the library never calls malloc() itself: it calls these, which call the
 * program's functions if set and the C library's otherwise.
 *
 * State: the three replacement functions, process-wide, as in libevent.
 * Set them before any other minievent call, and before other threads run:
 * memory taken from one allocator must not be given back to the other.
 *
 * Interface: event_set_mem_functions() (event2/event.h) and mm-internal.h's
 * mm_malloc_(), mm_calloc_(), mm_realloc_(), mm_free_(), mm_strdup_().
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "event2/event.h"
#include "mm-internal.h"

static void *(*mm_malloc_fn)(size_t size);
static void *(*mm_realloc_fn)(void *ptr, size_t size);
static void (*mm_free_fn)(void *ptr);

void
event_set_mem_functions(void *(*malloc_fn)(size_t sz),
                        void *(*realloc_fn)(void *ptr, size_t sz),
                        void (*free_fn)(void *ptr))
{
	mm_malloc_fn = malloc_fn;
	mm_realloc_fn = realloc_fn;
	mm_free_fn = free_fn;
}

/* A program's allocator need not set errno; ours promise ENOMEM. */
static void *
mm_check(void *p)
{
	if (p == NULL)
		errno = ENOMEM;
	return p;
}

void *
mm_malloc_(size_t size)
{
	if (mm_malloc_fn != NULL)
		return mm_check(mm_malloc_fn(size));
	return mm_check(malloc(size));
}

void *
mm_calloc_(size_t count, size_t size)
{
	void *p;

	/* count * size must not wrap around to a small number: the caller
	 * would then write past the end of what it got. */
	if (size != 0 && count > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	if (mm_malloc_fn == NULL)
		return mm_check(calloc(count, size));
	p = mm_malloc_(count * size);
	if (p != NULL)
		memset(p, 0, count * size);
	return p;
}

void *
mm_realloc_(void *ptr, size_t size)
{
	void *p;

	p = mm_realloc_fn != NULL ? mm_realloc_fn(ptr, size)
	                          : realloc(ptr, size);
	/* realloc(ptr, 0) may free ptr and return NULL: not a failure. */
	return size == 0 ? p : mm_check(p);
}

void
mm_free_(void *ptr)
{
	/* A program's free need not accept NULL, as free(3) does. */
	if (ptr == NULL)
		return;
	if (mm_free_fn != NULL)
		mm_free_fn(ptr);
	else
		free(ptr);
}

char *
mm_strdup_(const char *s)
{
	size_t len;
	char *copy;

	if (s == NULL) {
		errno = EINVAL;
		return NULL;
	}
	len = strlen(s) + 1;
	copy = mm_malloc_(len);
	if (copy != NULL)
		memcpy(copy, s, len);
	return copy;
}
