/*
 * event2/event_struct.h - the layout of struct event, as in libevent 2.1.
 *
 * Introduced in chapter 10 (reactor). The layout is public for one reason
 * only: so that a program may embed a struct event in its own structure, or
 * on the stack, and initialize it with event_assign() instead of paying for
 * a separate allocation with event_new(). Its fields belong to minievent;
 * read and change an event only through the functions in event2/event.h.
 * The field list is minievent's own (libevent's differs and changes between
 * releases), so code that touches fields is not portable; code that uses
 * event_get_struct_event_size() and the accessors is.
 *
 * What it declares:
 *  - the EVLIST_* bits: which of the base's structures hold an event
 *  - struct event: one event, and the links that put it in those structures
 */
#ifndef EVENT2_EVENT_STRUCT_H_INCLUDED_
#define EVENT2_EVENT_STRUCT_H_INCLUDED_

#include <sys/time.h>
#include <sys/types.h>

#include <event2/util.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Where an event is, as bits of ev_flags (values as in libevent). An event
 * may be in several places at once: an I/O event with a timeout is both
 * EVLIST_INSERTED and EVLIST_TIMEOUT while it waits, and may be
 * EVLIST_ACTIVE as well.
 */
#define EVLIST_TIMEOUT      0x01 /* in the timer heap or a common timeout */
#define EVLIST_INSERTED     0x02 /* in the fd map or the signal map */
#define EVLIST_SIGNAL       0x04 /* unused; kept for libevent's value */
#define EVLIST_ACTIVE       0x08 /* in an active queue: its callback is due */
#define EVLIST_INTERNAL     0x10 /* the base's own event, not counted */
#define EVLIST_ACTIVE_LATER 0x20 /* unused; kept for libevent's value */
#define EVLIST_FINALIZING   0x40 /* unused; kept for libevent's value */
#define EVLIST_INIT         0x80 /* set by event_assign(): initialized */
#define EVLIST_ALL          0xff

struct event_base;

/*
 * One event. Its links are written as plain structs of pointers (the same
 * shape as <sys/queue.h>'s TAILQ_ENTRY and LIST_ENTRY), so that this header
 * does not need <sys/queue.h> and does not define its macros for the user.
 */
struct event {
	/* Link in the base's active queue of this event's priority. */
	struct {
		struct event *tqe_next;
		struct event **tqe_prev;
	} ev_active_next;
	/* Link in the list of events on the same fd or the same signal. */
	struct {
		struct event *le_next;
		struct event **le_prev;
	} ev_io_next;
	/* Link in a common-timeout queue (when the timeout is common). */
	struct {
		struct event *tqe_next;
		struct event **tqe_prev;
	} ev_timeout_next;
	int ev_heap_idx; /* position in the timer heap; -1 when not in it */

	evutil_socket_t ev_fd; /* the descriptor, or the signal number */
	struct event_base *ev_base;
	short ev_events;   /* what the user asked for: EV_READ|EV_PERSIST... */
	short ev_res;      /* what happened: passed to the callback */
	short ev_flags;    /* EVLIST_* */
	ev_uint8_t ev_pri; /* priority: 0 runs first */
	ev_uint8_t ev_closure; /* how the loop runs it (event-internal.h) */

	/* Signals: how many more times to run the callback this round, and
	 * where the loop keeps that count while it runs them, so that
	 * event_del() from the callback can stop the remaining calls. */
	short ev_ncalls;
	short *ev_pncalls;

	void (*ev_callback)(evutil_socket_t, short, void *);
	void *ev_arg;

	/* When the timeout expires, on the base's monotonic clock (for a
	 * common timeout, with the queue's magic bits in tv_usec). */
	struct timeval ev_timeout;
	/* The relative timeout last given to event_add(), kept so that an
	 * EV_PERSIST event can be rescheduled after it runs. */
	struct timeval ev_io_timeout;
	/* Order of insertion among equal deadlines in the heap. */
	ev_uint64_t ev_timeout_seq;
};

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_EVENT_STRUCT_H_INCLUDED_ */
