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
 *  - evutil_tv_to_msec_()      a wait as poll()/epoll_wait() milliseconds
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
	int features;      /* EV_FEATURE_* bits this backend has */
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

/*
 * For a backend's dispatch(): *tv as milliseconds for poll() or
 * epoll_wait(). NULL is -1 (no limit); anything above zero rounds up, so a
 * wait of 1 microsecond sleeps 1 ms instead of spinning with timeout 0;
 * too large a wait is INT_MAX. In evutil.c.
 */
int evutil_tv_to_msec_(const struct timeval *tv);

/* ---- struct event_base and the core's own internals follow (event.c). */

#include <sys/queue.h>

#include "event2/event_struct.h"
#include "evmap-internal.h"
#include "evsignal-internal.h"
#include "minheap-internal.h"

/*
 * How the loop runs an event (ev_closure; values as in libevent):
 *  - EV_CLOSURE_EVENT: call it once; it was deleted before the call.
 *  - EV_CLOSURE_EVENT_SIGNAL: call it ev_ncalls times (the signal may have
 *    arrived more than once since the last iteration).
 *  - EV_CLOSURE_EVENT_PERSIST: reschedule its timeout, then call it; it
 *    stays pending.
 */
#define EV_CLOSURE_EVENT         0
#define EV_CLOSURE_EVENT_SIGNAL  1
#define EV_CLOSURE_EVENT_PERSIST 2

TAILQ_HEAD(event_list, event);
LIST_HEAD(event_dlist, event);

/*
 * Common timeouts (libevent's encoding, event_base_init_common_timeout()):
 * the timeval handed to the user keeps the duration's seconds in tv_sec and
 * puts, in tv_usec, the microseconds in the low 20 bits, the queue's index
 * in the next 8 and a magic value in the top 4. A real tv_usec is below
 * 1000000 < 2^20, so no ordinary timeval has the magic bits.
 */
#define COMMON_TIMEOUT_MICROSECONDS_MASK 0x000fffff
#define COMMON_TIMEOUT_IDX_MASK          0x0ff00000
#define COMMON_TIMEOUT_IDX_SHIFT         20
#define COMMON_TIMEOUT_MASK              0xf0000000
#define COMMON_TIMEOUT_MAGIC             0x50000000
#define MAX_COMMON_TIMEOUTS              256

/* One common timeout: events of equal duration, in a FIFO queue, which is
 * also deadline order; one internal timer in the heap stands for the head. */
struct common_timeout_list {
	struct event_list events;
	struct timeval duration; /* encoded, as given to the user */
	struct event timeout_event;
	struct event_base *base;
};

/* A one-shot event of event_base_once(), freed after it runs. */
struct event_once {
	LIST_ENTRY(event_once) next_once;
	struct event ev;
	event_callback_fn cb;
	void *arg;
};

struct event_base {
	const struct eventop *evsel; /* the backend */
	void *evbase;                /* its state, from evsel->init() */
	int flags;                   /* EVENT_BASE_FLAG_* from the config */

	/* What waits: the fd and signal maps, the timers, the signal pipe. */
	struct event_io_map io;
	struct event_signal_map sigmap;
	struct min_heap timeheap;
	struct common_timeout_list **common_timeout_queues;
	int n_common_timeouts;
	int n_common_timeouts_allocated;
	struct evsig_info sig;
	LIST_HEAD(once_event_list, event_once) once_events;

	/* What is due: one FIFO queue per priority, 0 first. Deferred
	 * callbacks past the round's quota wait in active_later until the
	 * loop has polled once more (event_deferred_activate_()). */
	struct event_list *activequeues;
	int nactivequeues;
	struct event_list active_later;
	int n_deferreds_queued; /* deferred callbacks made due this round */

	/* Counts for event_base_get_num_events(): user events only. */
	int event_count, event_count_max;
	int event_count_active, event_count_active_max;
	int virtual_event_count, virtual_event_count_max;

	/* The loop's state. */
	int running_loop;            /* inside event_base_loop() */
	int event_gotterm;           /* loopexit: stop after this round */
	int event_break;             /* loopbreak: stop after this callback */
	int event_continue;          /* loopcontinue: poll again now */
	int event_running_priority;  /* queue being run, or -1 */
	int free_pending;            /* event_base_free() from a callback */
	struct event *current_event; /* whose callback runs, or NULL */
	short running_ncalls;        /* signal calls left (ev_pncalls) */

	/* event_config_set_max_dispatch_interval() */
	struct timeval max_dispatch_time; /* tv_sec -1: no limit */
	int max_dispatch_callbacks;
	int limit_callbacks_after_prio;

	/* Time: the monotonic clock read once per iteration (tv_cache;
	 * tv_sec 0 means "not cached, read the clock"), and the wall clock
	 * minus the monotonic clock at that read. */
	struct timeval tv_cache;
	struct timeval tv_clock_diff;
};

/*
 * The core's functions for evmap.c and signal.c (event.c).
 */

/* Reads the base's monotonic clock, or its cached value. 0 or -1. */
int event_gettime_(struct event_base *base, struct timeval *tp);
/* Makes ev active with res (or-ed if it already is). */
void event_active_nolock_(struct event *ev, int res, short ncalls);
/* event_del() for the core's own use: does not check debug mode. */
int event_del_nolock_(struct event *ev);
/* event_add() with the option of an absolute monotonic deadline. */
int event_add_nolock_(struct event *ev, const struct timeval *tv,
                      int tv_is_absolute);
/* Makes ev (an internal event with fd -1, a layer's deferred callback)
 * due with res: in this round while the round has made fewer than 32
 * deferred callbacks due, else after the next poll, as libevent does so
 * that callbacks that keep scheduling each other cannot starve I/O. */
void event_deferred_activate_(struct event *ev, int res);
/* Virtual events keep the loop running though nothing waits (for the
 * layers above, as in libevent). */
void event_base_add_virtual_(struct event_base *base);
void event_base_del_virtual_(struct event_base *base);

#endif /* EVENT_INTERNAL_H_INCLUDED_ */
