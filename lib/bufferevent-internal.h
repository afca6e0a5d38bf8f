/*
 * bufferevent-internal.h - the inside of a bufferevent, shared by the part
 * every kind has in common (bufferevent.c) and the kinds themselves
 * (bufferevent_sock.c, bufferevent_pair.c).
 *
 * Introduced in chapter 14 (bufferevent). The main structure is struct
 * bufferevent: two evbuffers, the user's callbacks, watermarks, timeouts
 * and a reference count. A kind embeds it as the first member of its own
 * structure (struct bufferevent_socket, struct bufferevent_pair), so that
 * one pointer serves as both, and describes what it does differently in a
 * table of functions, struct bufferevent_ops: the same device as the
 * backends' struct eventop (event-internal.h).
 *
 * Interface for the kinds:
 *  - struct bufferevent_ops, bufferevent_ops_socket_, bufferevent_ops_pair_
 *  - bufferevent_init_common_(): fill in the common part
 *  - bufferevent_incref_(), bufferevent_decref_(): hold it alive
 *  - bufferevent_trigger_(): run the read/write callbacks the watermarks
 *    allow; bufferevent_run_eventcb_(): run the event callback
 *  - bufferevent_fail_(): stop one direction and report why
 *  - bufferevent_suspend_read_(): stop reading at the high watermark
 *  - bufferevent_add_event_(): add an event with the timeout, if any
 */
#ifndef BUFFEREVENT_INTERNAL_H_INCLUDED_
#define BUFFEREVENT_INTERNAL_H_INCLUDED_

#include <stddef.h>
#include <sys/time.h>

#include "event2/bufferevent.h"
#include "event2/event.h"
#include "event2/event_struct.h"

struct evbuffer_cb_entry;

/*
 * What a kind does differently. Each function is called with a reference
 * held on bev. enable() and disable() are called after bev->enabled was
 * updated, with the directions to start or stop (EV_READ, EV_WRITE).
 */
struct bufferevent_ops {
	const char *type; /* "socket", "pair" */
	int (*enable)(struct bufferevent *bev, short events);
	int (*disable)(struct bufferevent *bev, short events);
	/* The last reference is gone: let go of what the kind holds (the
	 * partner, the socket). The common code then frees the rest. */
	void (*destruct)(struct bufferevent *bev);
	/* bev->timeout_read/write changed: re-arm the running timers. */
	int (*adj_timeouts)(struct bufferevent *bev);
	int (*flush)(struct bufferevent *bev, short iotype,
	             enum bufferevent_flush_mode mode);
};

extern const struct bufferevent_ops bufferevent_ops_socket_;
extern const struct bufferevent_ops bufferevent_ops_pair_;

/* The default of bufferevent_set_max_single_read/write (libevent's). */
#define BEV_MAX_SINGLE_DEFAULT 16384

struct bufferevent_watermark {
	size_t low;
	size_t high; /* 0: none */
};

struct bufferevent {
	const struct bufferevent_ops *ops;
	struct event_base *ev_base;
	int options; /* BEV_OPT_* */
	int refcnt;  /* the creator's, one per running callback, incref's */

	struct evbuffer *input;  /* filled by the kind; back frozen */
	struct evbuffer *output; /* drained by the kind; front frozen */
	size_t max_single_read;
	size_t max_single_write;

	/* A socket watches its fd with these (EV_PERSIST, with the
	 * timeouts); a pair uses them as plain timers for the timeouts. */
	struct event ev_read;
	struct event ev_write;
	struct timeval timeout_read; /* 0: none */
	struct timeval timeout_write;

	short enabled; /* EV_READ|EV_WRITE the user wants */
	struct bufferevent_watermark wm_read;
	struct bufferevent_watermark wm_write;
	/* Reading paused because the input reached wm_read.high; the
	 * callback read_wm_cb on the input resumes it. */
	int read_suspended;
	struct evbuffer_cb_entry *read_wm_cb;

	bufferevent_data_cb readcb;
	bufferevent_data_cb writecb;
	bufferevent_event_cb errorcb;
	void *cbarg;

	/* Deferred callbacks: what is due, run by the internal event
	 * deferred (fd -1) from the loop. deferred_scheduled holds one
	 * reference until the callbacks ran. */
	struct event deferred;
	int deferred_scheduled;
	int readcb_pending;
	int writecb_pending;
	short eventcb_pending; /* BEV_EVENT_* or-ed */
	int errno_pending;     /* errno for eventcb_pending */
};

/* Fills in bev's common part; 0, or -1 (nothing to free) if out of
 * memory or the options are refused. */
int bufferevent_init_common_(struct bufferevent *bev, struct event_base *base,
                             const struct bufferevent_ops *ops, int options);

void bufferevent_incref_(struct bufferevent *bev);
/* Drops a reference; frees bev if it was the last. 1 if freed. */
int bufferevent_decref_(struct bufferevent *bev);

/*
 * Runs (or, with BEV_OPT_DEFER_CALLBACKS in bev's options or in options,
 * schedules) the read callback if the input holds at least the read low
 * watermark, and the write callback if the output holds at most the write
 * low watermark, for the directions in iotype. BEV_TRIG_IGNORE_WATERMARKS
 * in options skips the test. The caller holds a reference.
 */
void bufferevent_trigger_(struct bufferevent *bev, short iotype, int options);

/* Runs or schedules the event callback with what. errno is kept for it.
 * The caller holds a reference. */
void bufferevent_run_eventcb_(struct bufferevent *bev, short what, int options);

/* An error, end of file or timeout in one direction (EV_READ or
 * EV_WRITE): disables it, then reports what to the event callback, with
 * errno as it was. The caller holds a reference. */
void bufferevent_fail_(struct bufferevent *bev, short direction, short what);

/* Stops reading until the input drops below the high watermark. */
void bufferevent_suspend_read_(struct bufferevent *bev);

/* event_add(ev) with *tv as timeout, or none if *tv is zero. */
int bufferevent_add_event_(struct event *ev, const struct timeval *tv);

#endif /* BUFFEREVENT_INTERNAL_H_INCLUDED_ */
