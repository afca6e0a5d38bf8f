/*
 * bufferevent_pair.c - two bufferevents joined in memory: what one side
 * writes appears in the other side's input, with no socket in between.
 *
 * Introduced in chapter 14 (bufferevent). The structure is struct
 * bufferevent_pair: the common struct bufferevent and a pointer to the
 * other side (NULL once that side is freed). There is no I/O to wait for,
 * so ev_read and ev_write are plain timers that carry the timeouts.
 *
 * Data moves in bev_pair_transfer(), from the writer's output to the
 * reader's input, whenever both sides are willing (the writer has EV_WRITE
 * enabled, the reader EV_READ and room below its high watermark): when
 * bytes are added to the writer's output, when either side enables its
 * direction, and when the reader drains below its high watermark (which
 * re-enables its reading). The callbacks are always deferred: a transfer
 * happens inside the other side's evbuffer_add(), where calling the user
 * would be a surprise.
 *
 * Interface: bufferevent_pair_new(), bufferevent_pair_get_partner()
 * (event2/bufferevent.h).
 */
#include <stddef.h>

#include "event2/buffer.h"
#include "event2/bufferevent.h"
#include "event2/event.h"

#include "bufferevent-internal.h"
#include "mm-internal.h"

struct bufferevent_pair {
	struct bufferevent bev; /* first: see bufferevent-internal.h */
	struct bufferevent_pair *partner;
};

static struct bufferevent_pair *
bev_pair_upcast(struct bufferevent *bev)
{
	return bev->ops == &bufferevent_ops_pair_
	               ? (struct bufferevent_pair *)bev
	               : NULL;
}

static struct bufferevent *
bev_pair_partner(struct bufferevent *bev)
{
	struct bufferevent_pair *partner = bev_pair_upcast(bev)->partner;
	return partner ? &partner->bev : NULL;
}

/* (Re)starts a timeout timer, if that timeout is set. */
static void
bev_pair_restart_timer(struct event *ev, const struct timeval *tv)
{
	if (tv->tv_sec != 0 || tv->tv_usec != 0)
		event_add(ev, tv);
}

/* Nonzero if src has bytes for dst and both sides are willing. */
static int
bev_pair_wants_to_talk(struct bufferevent *src, struct bufferevent *dst)
{
	return (src->enabled & EV_WRITE) && (dst->enabled & EV_READ) &&
	       !dst->read_suspended && evbuffer_get_length(src->output) > 0;
}

/*
 * Moves src's output into dst's input, as far as dst's high watermark
 * allows (everything if dst has none). A dst already at its high
 * watermark takes nothing, unless ignore_wm (a flush): then it takes
 * everything. Returns the number of bytes that were to move, as libevent
 * counts them (the room under the high watermark), or -1 if none could.
 */
static ev_ssize_t
bev_pair_move(struct bufferevent *src, struct bufferevent *dst, int ignore_wm)
{
	size_t have = evbuffer_get_length(dst->input);
	size_t high = dst->wm_read.high;

	if (high != 0 && have < high) {
		evbuffer_remove_buffer(src->output, dst->input, high - have);
		return (ev_ssize_t)(high - have);
	}
	if (high != 0 && !ignore_wm)
		return -1;
	have = evbuffer_get_length(src->output);
	evbuffer_add_buffer(dst->input, src->output);
	return (ev_ssize_t)have;
}

/* Moves what it can from src to dst (bev_pair_move()), restarts the
 * timeouts, and runs (deferred) dst's read and src's write callbacks as
 * their watermarks allow. */
static void
bev_pair_transfer(struct bufferevent *src, struct bufferevent *dst,
                  int ignore_wm)
{
	ev_ssize_t n;

	evbuffer_unfreeze(src->output, 1);
	evbuffer_unfreeze(dst->input, 0);
	n = bev_pair_move(src, dst, ignore_wm);
	evbuffer_freeze(src->output, 1);
	evbuffer_freeze(dst->input, 0);
	if (n < 0)
		return;
	if (n > 0) {
		/* libevent 2.1 restarts (or stops) the write timer of the
		 * receiving side here, not the sender's: kept, so that
		 * timeouts fire when they do in libevent. */
		bev_pair_restart_timer(&dst->ev_read, &dst->timeout_read);
		if (evbuffer_get_length(dst->output) > 0)
			bev_pair_restart_timer(&dst->ev_write,
			                       &dst->timeout_write);
		else
			event_del(&dst->ev_write);
	}
	bufferevent_trigger_(dst, EV_READ, 0);
	bufferevent_trigger_(src, EV_WRITE, 0);
}

/* Bytes were added to this side's output: hand them over if the partner
 * reads. */
static void
bev_pair_outbuf_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info,
                   void *arg)
{
	struct bufferevent *bev = arg;
	struct bufferevent *partner = bev_pair_partner(bev);
	(void)buf;

	if (info->n_added > info->n_deleted && partner != NULL &&
	    bev_pair_wants_to_talk(bev, partner))
		bev_pair_transfer(bev, partner, 0);
}

/* ------------------------------------------------------------------ */
/* The kind's operations                                               */
/* ------------------------------------------------------------------ */

static int
bev_pair_enable(struct bufferevent *bev, short events)
{
	struct bufferevent *partner = bev_pair_partner(bev);

	if (events & EV_READ)
		bev_pair_restart_timer(&bev->ev_read, &bev->timeout_read);
	if ((events & EV_WRITE) && evbuffer_get_length(bev->output) > 0)
		bev_pair_restart_timer(&bev->ev_write, &bev->timeout_write);
	/* Reading starts: does the partner have something for us? */
	if ((events & EV_READ) && partner != NULL &&
	    bev_pair_wants_to_talk(partner, bev))
		bev_pair_transfer(partner, bev, 0);
	/* Writing starts: does the partner read? */
	if ((events & EV_WRITE) && partner != NULL &&
	    bev_pair_wants_to_talk(bev, partner))
		bev_pair_transfer(bev, partner, 0);
	return 0;
}

static int
bev_pair_disable(struct bufferevent *bev, short events)
{
	if (events & EV_READ)
		event_del(&bev->ev_read);
	if (events & EV_WRITE)
		event_del(&bev->ev_write);
	return 0;
}

/* The partner forgets us; it is not told (libevent sends no EOF). */
static void
bev_pair_destruct(struct bufferevent *bev)
{
	struct bufferevent_pair *side = bev_pair_upcast(bev);

	if (side->partner != NULL)
		side->partner->partner = NULL;
	side->partner = NULL;
}

/* A timer runs while its direction is enabled and could move data. */
static int
bev_pair_adj_timeouts(struct bufferevent *bev)
{
	const struct timeval *tr = &bev->timeout_read;
	const struct timeval *tw = &bev->timeout_write;
	int r1, r2;

	if ((bev->enabled & EV_READ) && !bev->read_suspended &&
	    (tr->tv_sec != 0 || tr->tv_usec != 0))
		r1 = event_add(&bev->ev_read, tr);
	else
		r1 = event_del(&bev->ev_read);
	if ((bev->enabled & EV_WRITE) &&
	    (tw->tv_sec != 0 || tw->tv_usec != 0) &&
	    evbuffer_get_length(bev->output) > 0)
		r2 = event_add(&bev->ev_write, tw);
	else
		r2 = event_del(&bev->ev_write);
	return r1 < 0 || r2 < 0 ? -1 : 0;
}

static int
bev_pair_flush(struct bufferevent *bev, short iotype,
               enum bufferevent_flush_mode mode)
{
	struct bufferevent *partner = bev_pair_partner(bev);
	short what = BEV_EVENT_EOF;

	if (partner == NULL)
		return -1;
	if (mode == BEV_NORMAL)
		return 0;
	if (iotype & EV_READ)
		bev_pair_transfer(partner, bev, 1);
	if (iotype & EV_WRITE)
		bev_pair_transfer(bev, partner, 1);
	if (mode == BEV_FINISHED) {
		/* The partner will read no more from us (READING), and
		 * may write no more to us (WRITING). */
		if (iotype & EV_READ)
			what |= BEV_EVENT_WRITING;
		if (iotype & EV_WRITE)
			what |= BEV_EVENT_READING;
		bufferevent_run_eventcb_(partner, what, 0);
	}
	return 0;
}

const struct bufferevent_ops bufferevent_ops_pair_ = {
        "pair",
        bev_pair_enable,
        bev_pair_disable,
        bev_pair_destruct,
        bev_pair_adj_timeouts,
        bev_pair_flush,
};

/* ------------------------------------------------------------------ */
/* Timeouts and creation                                               */
/* ------------------------------------------------------------------ */

static void
bev_pair_read_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct bufferevent *bev = arg;
	(void)fd;
	(void)what;

	bufferevent_incref_(bev);
	bufferevent_fail_(bev, EV_READ, BEV_EVENT_READING | BEV_EVENT_TIMEOUT);
	bufferevent_decref_(bev);
}

static void
bev_pair_write_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct bufferevent *bev = arg;
	(void)fd;
	(void)what;

	bufferevent_incref_(bev);
	bufferevent_fail_(bev, EV_WRITE, BEV_EVENT_WRITING | BEV_EVENT_TIMEOUT);
	bufferevent_decref_(bev);
}

static struct bufferevent_pair *
bev_pair_side_new(struct event_base *base, int options)
{
	struct bufferevent_pair *side = mm_calloc_(1, sizeof(*side));
	struct bufferevent *bev;

	if (side == NULL)
		return NULL;
	bev = &side->bev;
	if (bufferevent_init_common_(bev, base, &bufferevent_ops_pair_,
	                             options) < 0) {
		mm_free_(side);
		return NULL;
	}
	evtimer_assign(&bev->ev_read, base, bev_pair_read_timeout, bev);
	evtimer_assign(&bev->ev_write, base, bev_pair_write_timeout, bev);
	if (evbuffer_add_cb(bev->output, bev_pair_outbuf_cb, bev) == NULL) {
		bufferevent_free(bev);
		return NULL;
	}
	evbuffer_freeze(bev->input, 0);
	evbuffer_freeze(bev->output, 1);
	return side;
}

int
bufferevent_pair_new(struct event_base *base, int options,
                     struct bufferevent *pair[2])
{
	struct bufferevent_pair *a, *b;

	/* A transfer runs inside the other side's evbuffer_add(): the user
	 * must not be called from there (see the top of this file). */
	options |= BEV_OPT_DEFER_CALLBACKS;
	if ((a = bev_pair_side_new(base, options)) == NULL)
		return -1;
	if ((b = bev_pair_side_new(base, options)) == NULL) {
		bufferevent_free(&a->bev);
		return -1;
	}
	a->partner = b;
	b->partner = a;
	pair[0] = &a->bev;
	pair[1] = &b->bev;
	return 0;
}

struct bufferevent *
bufferevent_pair_get_partner(struct bufferevent *bev)
{
	if (bev_pair_upcast(bev) == NULL)
		return NULL;
	return bev_pair_partner(bev);
}
