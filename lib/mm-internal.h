/*
 * mm-internal.h - minievent's allocation functions.
 *
 * Introduced in chapter 10. Every allocation in the library goes through
 * these, so that event_set_mem_functions() (event2/event.h) can replace
 * malloc, realloc and free for all of minievent at once, as in libevent.
 *
 * Interface:
 *  - mm_malloc_(), mm_calloc_(), mm_realloc_(), mm_free_(), mm_strdup_()
 *
 * They behave like their C library namesakes (mm_calloc_ checks the
 * multiplication for overflow; mm_free_(NULL) does nothing) and set errno
 * to ENOMEM when they fail. Implemented in mm.c.
 */
#ifndef MM_INTERNAL_H_INCLUDED_
#define MM_INTERNAL_H_INCLUDED_

#include <stddef.h>

void *mm_malloc_(size_t size);
void *mm_calloc_(size_t count, size_t size);
void *mm_realloc_(void *ptr, size_t size);
void mm_free_(void *ptr);
char *mm_strdup_(const char *s);

#endif /* MM_INTERNAL_H_INCLUDED_ */
