/*
 * bufferevent.c - what every bufferevent has, whatever moves its bytes:
 * the callbacks and when they run, watermarks, enable/disable, timeouts,
 * reference counting and deferred callbacks.
 *
 * Introduced in chapter 14 (bufferevent). The structure is struct
 * bufferevent (bufferevent-internal.h); a kind (bufferevent_sock.c,
 * bufferevent_pair.c) fills its input, drains its output, and calls
 * bufferevent_trigger_() when bytes moved. Everything here follows
 * libevent 2.1.12's observable behaviour (see event2/bufferevent.h).
 *
 * Design, in numbered reasons:
 *  1. Reference counting. A user callback may free its own bufferevent,
 *     and the library code that called it still has to return through
 *     it. So whoever is about to run a callback takes a reference first
 *     and drops it after; bufferevent_free() only drops the creator's.
 *     The memory goes with the last reference, at once: minievent has no
 *     finalizers, so unlike libevent it never waits for the loop.
 *  2. Deferred callbacks. With BEV_OPT_DEFER_CALLBACKS (always, for
 *     pairs) a callback is not called but noted as pending, and an
 *     internal event with no fd, made due through the core, runs
 *     the pending ones later in the same round of callbacks, in a fixed
 *     order: CONNECTED, read, write, then the other events or-ed.
 *     As in libevent, at most 32 deferred callbacks become due in one
 *     round (event_deferred_activate_() in event.c); the rest wait until
 *     the loop has polled again, so that callbacks that keep scheduling
 *     each other (a pair's two sides echoing, a read callback left at
 *     the high watermark) cannot keep the loop from seeing new I/O.
 *  3. The read high watermark lives in a callback on the input buffer,
 *     so that reading resumes however the input is drained: by
 *     bufferevent_read() or by any evbuffer function the user calls.
 *
 * Interface: event2/bufferevent.h, and the *_ functions in
 * bufferevent-internal.h for the kinds.
 */
#include <errno.h>

#include "event2/buffer.h"
#include "event2/bufferevent.h"
#include "event2/event.h"

#include "bufferevent-internal.h"
#include "event-internal.h"
#include "log-internal.h"
#include "mm-internal.h"

static void bufferevent_run_deferred(evutil_socket_t fd, short what, void *arg);

/* ------------------------------------------------------------------ */
/* Creating and freeing                                                */
/* ------------------------------------------------------------------ */

/* Refuses the options libevent 2.1 refuses without thread support. */
static int
bufferevent_options_ok(int options)
{
	if (options & BEV_OPT_THREADSAFE) {
		/* libevent cannot allocate a lock before
		 * evthread_use_*(); minievent never can. */
		errno = ENOTSUP;
		return 0;
	}
	if ((options & (BEV_OPT_UNLOCK_CALLBACKS | BEV_OPT_DEFER_CALLBACKS)) ==
	    BEV_OPT_UNLOCK_CALLBACKS) {
		event_warnx_("BEV_OPT_UNLOCK_CALLBACKS requires "
		             "BEV_OPT_DEFER_CALLBACKS");
		errno = EINVAL;
		return 0;
	}
	return 1;
}

int
bufferevent_init_common_(struct bufferevent *bev, struct event_base *base,
                         const struct bufferevent_ops *ops, int options)
{
	if (!bufferevent_options_ok(options))
		return -1;
	bev->input = evbuffer_new();
	bev->output = evbuffer_new();
	if (bev->input == NULL || bev->output == NULL)
		goto err;
	bev->ops = ops;
	bev->ev_base = base;
	bev->options = options;
	bev->refcnt = 1;
	bev->enabled = EV_WRITE; /* writes go out, reading waits for enable */
	bev->max_single_read = BEV_MAX_SINGLE_DEFAULT;
	bev->max_single_write = BEV_MAX_SINGLE_DEFAULT;
	if (event_assign(&bev->deferred, base, -1, 0, bufferevent_run_deferred,
	                 bev) == -1)
		goto err;
	return 0;
err:
	if (bev->input)
		evbuffer_free(bev->input);
	if (bev->output)
		evbuffer_free(bev->output);
	return -1;
}

/* Cancels deferred callbacks not yet run, and the reference they hold. */
static void
bufferevent_cancel_deferred(struct bufferevent *bev)
{
	if (!bev->deferred_scheduled)
		return;
	event_del(&bev->deferred);
	bev->deferred_scheduled = 0;
	bufferevent_decref_(bev);
}

/* The last reference is gone: nothing of bev is running. */
static void
bufferevent_destroy(struct bufferevent *bev)
{
	event_del(&bev->ev_read);
	event_del(&bev->ev_write);
	event_del(&bev->deferred);
	bev->ops->destruct(bev);
	evbuffer_free(bev->input);
	evbuffer_free(bev->output);
	/* The kind's structure starts with bev: this frees all of it. */
	mm_free_(bev);
}

void
bufferevent_incref_(struct bufferevent *bev)
{
	bev->refcnt++;
}

int
bufferevent_decref_(struct bufferevent *bev)
{
	EVUTIL_ASSERT(bev->refcnt > 0);
	if (--bev->refcnt > 0)
		return 0;
	bufferevent_destroy(bev);
	return 1;
}

void
bufferevent_incref(struct bufferevent *bev)
{
	bufferevent_incref_(bev);
}

int
bufferevent_decref(struct bufferevent *bev)
{
	return bufferevent_decref_(bev);
}

void
bufferevent_free(struct bufferevent *bev)
{
	/* From now on nothing can call the user back, so what was deferred
	 * has no one left to tell. */
	bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
	bufferevent_cancel_deferred(bev);
	bufferevent_decref_(bev);
}

/* ------------------------------------------------------------------ */
/* Running the callbacks                                               */
/* ------------------------------------------------------------------ */

/* Makes the loop run bev's pending callbacks (design reason 2). */
static void
bufferevent_schedule_deferred(struct bufferevent *bev)
{
	if (bev->deferred_scheduled)
		return;
	bev->deferred_scheduled = 1;
	bufferevent_incref_(bev);
	event_deferred_activate_(&bev->deferred, EV_TIMEOUT);
}

/*
 * libevent 2.1.11 and later: after the read callback, if reading is
 * enabled but the input is still at the high watermark, reading stays
 * paused and no new byte will come to call the callback again; so it is
 * called again, deferred, until the input drains or reading is disabled.
 */
static void
bufferevent_recheck_high_watermark(struct bufferevent *bev)
{
	if (bev->wm_read.high == 0 || !(bev->enabled & EV_READ))
		return;
	if (evbuffer_get_length(bev->input) < bev->wm_read.high)
		return;
	bufferevent_trigger_(bev, EV_READ, BEV_OPT_DEFER_CALLBACKS);
}

static int
bufferevent_defers(const struct bufferevent *bev, int options)
{
	return ((bev->options | options) & BEV_OPT_DEFER_CALLBACKS) != 0;
}

static void
bufferevent_run_readcb(struct bufferevent *bev, int options)
{
	if (bev->readcb == NULL)
		return;
	if (bufferevent_defers(bev, options)) {
		bev->readcb_pending = 1;
		bufferevent_schedule_deferred(bev);
		return;
	}
	bev->readcb(bev, bev->cbarg);
	bufferevent_recheck_high_watermark(bev);
}

static void
bufferevent_run_writecb(struct bufferevent *bev, int options)
{
	if (bev->writecb == NULL)
		return;
	if (bufferevent_defers(bev, options)) {
		bev->writecb_pending = 1;
		bufferevent_schedule_deferred(bev);
		return;
	}
	bev->writecb(bev, bev->cbarg);
}

void
bufferevent_run_eventcb_(struct bufferevent *bev, short what, int options)
{
	if (bev->errorcb == NULL)
		return;
	if (bufferevent_defers(bev, options)) {
		bev->eventcb_pending |= what;
		bev->errno_pending = errno;
		bufferevent_schedule_deferred(bev);
		return;
	}
	bev->errorcb(bev, what, bev->cbarg);
}

void
bufferevent_trigger_(struct bufferevent *bev, short iotype, int options)
{
	int always = options & BEV_TRIG_IGNORE_WATERMARKS;

	if ((iotype & EV_READ) &&
	    (always || evbuffer_get_length(bev->input) >= bev->wm_read.low))
		bufferevent_run_readcb(bev, options);
	if ((iotype & EV_WRITE) &&
	    (always || evbuffer_get_length(bev->output) <= bev->wm_write.low))
		bufferevent_run_writecb(bev, options);
}

/* Runs what became due while callbacks were deferred. CONNECTED first:
 * it happened before any byte moved. Holds the reference taken when it
 * was scheduled, and drops it last. */
static void
bufferevent_run_deferred(evutil_socket_t fd, short what, void *arg)
{
	struct bufferevent *bev = arg;
	(void)fd;
	(void)what;

	bev->deferred_scheduled = 0;
	if ((bev->eventcb_pending & BEV_EVENT_CONNECTED) && bev->errorcb) {
		bev->eventcb_pending &= ~BEV_EVENT_CONNECTED;
		bev->errorcb(bev, BEV_EVENT_CONNECTED, bev->cbarg);
	}
	if (bev->readcb_pending && bev->readcb) {
		bev->readcb_pending = 0;
		bev->readcb(bev, bev->cbarg);
		bufferevent_recheck_high_watermark(bev);
	}
	if (bev->writecb_pending && bev->writecb) {
		bev->writecb_pending = 0;
		bev->writecb(bev, bev->cbarg);
	}
	if (bev->eventcb_pending && bev->errorcb) {
		short events = bev->eventcb_pending;
		bev->eventcb_pending = 0;
		errno = bev->errno_pending;
		bev->errorcb(bev, events, bev->cbarg);
	}
	bufferevent_decref_(bev);
}

void
bufferevent_fail_(struct bufferevent *bev, short direction, short what)
{
	int saved = errno;

	bufferevent_disable(bev, direction);
	errno = saved;
	bufferevent_run_eventcb_(bev, what, 0);
}

void
bufferevent_trigger(struct bufferevent *bev, short iotype, int options)
{
	bufferevent_incref_(bev);
	bufferevent_trigger_(bev, iotype,
	                     options & (BEV_TRIG_IGNORE_WATERMARKS |
	                                BEV_TRIG_DEFER_CALLBACKS));
	bufferevent_decref_(bev);
}

void
bufferevent_trigger_event(struct bufferevent *bev, short what, int options)
{
	bufferevent_incref_(bev);
	bufferevent_run_eventcb_(bev, what, options & BEV_TRIG_DEFER_CALLBACKS);
	bufferevent_decref_(bev);
}

/* ------------------------------------------------------------------ */
/* Callbacks, buffers, simple accessors                                */
/* ------------------------------------------------------------------ */

void
bufferevent_setcb(struct bufferevent *bev, bufferevent_data_cb readcb,
                  bufferevent_data_cb writecb, bufferevent_event_cb eventcb,
                  void *cbarg)
{
	bev->readcb = readcb;
	bev->writecb = writecb;
	bev->errorcb = eventcb;
	bev->cbarg = cbarg;
}

void
bufferevent_getcb(struct bufferevent *bev, bufferevent_data_cb *readcb_ptr,
                  bufferevent_data_cb *writecb_ptr,
                  bufferevent_event_cb *eventcb_ptr, void **cbarg_ptr)
{
	if (readcb_ptr)
		*readcb_ptr = bev->readcb;
	if (writecb_ptr)
		*writecb_ptr = bev->writecb;
	if (eventcb_ptr)
		*eventcb_ptr = bev->errorcb;
	if (cbarg_ptr)
		*cbarg_ptr = bev->cbarg;
}

struct evbuffer *
bufferevent_get_input(struct bufferevent *bev)
{
	return bev->input;
}

struct evbuffer *
bufferevent_get_output(struct bufferevent *bev)
{
	return bev->output;
}

struct event_base *
bufferevent_get_base(struct bufferevent *bev)
{
	return bev->ev_base;
}

int
bufferevent_get_priority(const struct bufferevent *bev)
{
	return event_get_priority(&bev->ev_read);
}

struct bufferevent *
bufferevent_get_underlying(struct bufferevent *bev)
{
	(void)bev;
	return NULL;
}

int
bufferevent_write(struct bufferevent *bev, const void *data, size_t size)
{
	return evbuffer_add(bev->output, data, size) == -1 ? -1 : 0;
}

int
bufferevent_write_buffer(struct bufferevent *bev, struct evbuffer *buf)
{
	return evbuffer_add_buffer(bev->output, buf) == -1 ? -1 : 0;
}

size_t
bufferevent_read(struct bufferevent *bev, void *data, size_t size)
{
	int n = evbuffer_remove(bev->input, data, size);
	return n < 0 ? 0 : (size_t)n;
}

int
bufferevent_read_buffer(struct bufferevent *bev, struct evbuffer *buf)
{
	return evbuffer_add_buffer(buf, bev->input);
}

/* No locks in minievent: see event2/bufferevent.h. */
void
bufferevent_lock(struct bufferevent *bev)
{
	(void)bev;
}

void
bufferevent_unlock(struct bufferevent *bev)
{
	(void)bev;
}

/* ------------------------------------------------------------------ */
/* Enabling, timeouts, watermarks                                      */
/* ------------------------------------------------------------------ */

int
bufferevent_enable(struct bufferevent *bev, short event)
{
	/* Reading paused by the high watermark resumes on its own. */
	short start = event;
	int res = 0;

	if (bev->read_suspended)
		start &= ~EV_READ;
	bufferevent_incref_(bev);
	bev->enabled |= event;
	if (start && bev->ops->enable(bev, start) < 0)
		res = -1;
	bufferevent_decref_(bev);
	return res;
}

int
bufferevent_disable(struct bufferevent *bev, short event)
{
	bev->enabled &= ~event;
	return bev->ops->disable(bev, event) < 0 ? -1 : 0;
}

short
bufferevent_get_enabled(struct bufferevent *bev)
{
	return bev->enabled;
}

int
bufferevent_add_event_(struct event *ev, const struct timeval *tv)
{
	if (tv->tv_sec == 0 && tv->tv_usec == 0)
		return event_add(ev, NULL);
	return event_add(ev, tv);
}

int
bufferevent_set_timeouts(struct bufferevent *bev,
                         const struct timeval *timeout_read,
                         const struct timeval *timeout_write)
{
	static const struct timeval none = {0, 0};

	bev->timeout_read = timeout_read ? *timeout_read : none;
	bev->timeout_write = timeout_write ? *timeout_write : none;
	return bev->ops->adj_timeouts(bev);
}

void
bufferevent_suspend_read_(struct bufferevent *bev)
{
	if (!bev->read_suspended)
		bev->ops->disable(bev, EV_READ);
	bev->read_suspended = 1;
}

/* Called after every change of the input once it is below the high
 * watermark: like libevent, it re-enables reading each time, which also
 * restarts the read timeout. */
static void
bufferevent_unsuspend_read(struct bufferevent *bev)
{
	bev->read_suspended = 0;
	if (bev->enabled & EV_READ)
		bev->ops->enable(bev, EV_READ);
}

/* The input changed length (design reason 3). */
static void
bufferevent_input_wm_cb(struct evbuffer *buf,
                        const struct evbuffer_cb_info *info, void *arg)
{
	struct bufferevent *bev = arg;
	(void)info;

	if (evbuffer_get_length(buf) >= bev->wm_read.high)
		bufferevent_suspend_read_(bev);
	else
		bufferevent_unsuspend_read(bev);
}

/* A read high watermark was set: watch the input, and pause or resume
 * reading for its present length. */
static void
bufferevent_watch_high_watermark(struct bufferevent *bev)
{
	if (bev->read_wm_cb == NULL)
		bev->read_wm_cb = evbuffer_add_cb(bev->input,
		                                  bufferevent_input_wm_cb, bev);
	if (bev->read_wm_cb != NULL)
		evbuffer_cb_set_flags(bev->input, bev->read_wm_cb,
		                      EVBUFFER_CB_ENABLED);
	if (evbuffer_get_length(bev->input) >= bev->wm_read.high)
		bufferevent_suspend_read_(bev);
	else
		bufferevent_unsuspend_read(bev);
}

void
bufferevent_setwatermark(struct bufferevent *bev, short events, size_t lowmark,
                         size_t highmark)
{
	if (events & EV_WRITE) {
		bev->wm_write.low = lowmark;
		bev->wm_write.high = highmark;
	}
	if (!(events & EV_READ))
		return;
	bev->wm_read.low = lowmark;
	bev->wm_read.high = highmark;
	if (highmark != 0) {
		bufferevent_watch_high_watermark(bev);
		return;
	}
	if (bev->read_wm_cb != NULL)
		evbuffer_cb_clear_flags(bev->input, bev->read_wm_cb,
		                        EVBUFFER_CB_ENABLED);
	bufferevent_unsuspend_read(bev);
}

int
bufferevent_getwatermark(struct bufferevent *bev, short events, size_t *lowmark,
                         size_t *highmark)
{
	const struct bufferevent_watermark *wm;

	if (events == EV_READ)
		wm = &bev->wm_read;
	else if (events == EV_WRITE)
		wm = &bev->wm_write;
	else
		return -1;
	if (lowmark)
		*lowmark = wm->low;
	if (highmark)
		*highmark = wm->high;
	return 0;
}

int
bufferevent_flush(struct bufferevent *bev, short iotype,
                  enum bufferevent_flush_mode mode)
{
	return bev->ops->flush(bev, iotype, mode);
}

/* ------------------------------------------------------------------ */
/* Single read and write limits                                        */
/* ------------------------------------------------------------------ */

/* 0, or more than a read can return, means the default (as libevent). */
static size_t
bufferevent_single_limit(size_t size)
{
	if (size == 0 || size > (size_t)EV_SSIZE_MAX)
		return BEV_MAX_SINGLE_DEFAULT;
	return size;
}

int
bufferevent_set_max_single_read(struct bufferevent *bev, size_t size)
{
	bev->max_single_read = bufferevent_single_limit(size);
	return 0;
}

int
bufferevent_set_max_single_write(struct bufferevent *bev, size_t size)
{
	bev->max_single_write = bufferevent_single_limit(size);
	return 0;
}

ev_ssize_t
bufferevent_get_max_single_read(struct bufferevent *bev)
{
	return (ev_ssize_t)bev->max_single_read;
}

ev_ssize_t
bufferevent_get_max_single_write(struct bufferevent *bev)
{
	return (ev_ssize_t)bev->max_single_write;
}
