/*
 * event-internal.h - the inside of minievent's core: the backend table
 * (struct eventop) and struct event_base.
 *
 * Introduced in chapter 10 (reactor). A backend is the one piece that knows
 * a readiness system call (select.c, poll.c, epoll.c). The core (event.c,
 * evmap.c) owns everything else: which events wait on which descriptor,
 * timers, signals, the active queues, and the loop. The two meet only here.
 *
 * The backend contract, in numbered reasons:
 *  1. The core tells a backend about interest changes per descriptor, with
 *     the interest it had before (old) and the events being added or
 *     removed (events), so a backend such as epoll can choose ADD, MOD or
 *     DEL without keeping its own copy of the interest.
 *  2. The core keeps fdinfo_len bytes per descriptor for the backend (zeroed
 *     when the descriptor first gets interest) and passes them to add and
 *     del: poll stores its slot index there, epoll its pending changes.
 *  3. dispatch() waits at most *tv (NULL: no limit), reports every ready
 *     descriptor with evmap_io_active_(), and never calls user code: the
 *     core runs callbacks after dispatch returns. EINTR is not an error.
 *  4. A backend whose init() fails (returns NULL) is skipped, and the next
 *     one in the preference list is tried.
 *
 * Interface for backends:
 *  - struct eventop, and the three tables select_ops_, poll_ops_, epoll_ops_
 *  - event_base_backend_()     the state init() returned
 *  - evmap_io_active_()        "fd is ready for these events"
 */
#ifndef EVENT_INTERNAL_H_INCLUDED_
#define EVENT_INTERNAL_H_INCLUDED_

#include <stddef.h>
#include <sys/time.h>

#include "event2/event.h"
#include "event2/util.h"

/* The events a backend may be asked for or report, besides EV_READ and
 * EV_WRITE: EV_ET (edge-triggered, epoll only) and EV_CLOSED (the peer
 * closed, epoll only, EV_FEATURE_EARLY_CLOSE). */

struct eventop {
	const char *name; /* "epoll", "poll", "select" */
	/* Returns the backend's state for base, or NULL (errno set). */
	void *(*init)(struct event_base *base);
	/* fd's interest was old; add events to it. 0 or -1. */
	int (*add)(struct event_base *base, evutil_socket_t fd, short old,
	           short events, void *fdinfo);
	/* fd's interest was old; remove events from it. 0 or -1. */
	int (*del)(struct event_base *base, evutil_socket_t fd, short old,
	           short events, void *fdinfo);
	/* Waits up to *tv (NULL: forever) and reports readiness. 0 or -1. */
	int (*dispatch)(struct event_base *base, struct timeval *tv);
	/* Frees the state init() returned. */
	void (*dealloc)(struct event_base *base);
	/* Nonzero if the state must be rebuilt in a child after fork()
	 * (event_reinit): epoll's kernel object is shared with the parent. */
	int need_reinit;
	int features;	   /* EV_FEATURE_* bits this backend has */
	size_t fdinfo_len; /* bytes of per-descriptor state it wants */
};

extern const struct eventop epoll_ops_;
extern const struct eventop poll_ops_;
extern const struct eventop select_ops_;

/* The state the backend's init() returned for base. */
void *event_base_backend_(struct event_base *base);

/*
 * Called by a backend's dispatch(): fd is ready for events (EV_READ,
 * EV_WRITE, EV_CLOSED, or-ed). Errors and hang-ups are reported as
 * EV_READ|EV_WRITE, as libevent does, so that whichever event waits on fd
 * sees them. The core makes the matching events active; it may be called
 * for a descriptor with no interest left (then it does nothing).
 */
void evmap_io_active_(struct event_base *base, evutil_socket_t fd,
                      short events);

/* ---- struct event_base and the core's own internals follow (event.c). */

#endif /* EVENT_INTERNAL_H_INCLUDED_ */
