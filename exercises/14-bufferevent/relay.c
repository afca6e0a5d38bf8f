/*
 * relay.c - exercise 14: a two-way relay with flow control. The promises
 * are in relay.h; the task is in README.md.
 *
 * As shipped it relays every byte in order and closes correctly, but it
 * has no flow control: relay_read() moves whatever it reads into the other
 * side's output, however much already waits there. A sender faster than
 * its receiver makes the relay hold everything it sends. Add the
 * watermark and the disable/enable dance where the comments say.
 */
#include <stdlib.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "relay.h"

struct relay {
	struct bufferevent *side[2]; /* NULL once freed */
	relay_done_cb done;
	void *arg;
	int closing; /* a side has ended: flushing, then done */
};

static void relay_read(struct bufferevent *bev, void *arg);
static void relay_drained(struct bufferevent *bev, void *arg);
static void relay_event(struct bufferevent *bev, short what, void *arg);
static void relay_finish_if_flushed(struct relay *r);

static struct bufferevent *
other(struct relay *r, struct bufferevent *bev)
{
	return bev == r->side[0] ? r->side[1] : r->side[0];
}

struct relay *
relay_new(struct event_base *base, evutil_socket_t a, evutil_socket_t b,
          relay_done_cb done, void *arg)
{
	struct relay *r = calloc(1, sizeof(*r));
	evutil_socket_t fd[2] = {a, b};

	for (int i = 0; r && i < 2; i++) {
		r->side[i] = bufferevent_socket_new(base, fd[i],
		                                    BEV_OPT_CLOSE_ON_FREE);
		if (r->side[i] == NULL)
			break;
		fd[i] = -1; /* closed by bufferevent_free() from now on */
		bufferevent_setcb(r->side[i], relay_read, relay_drained,
		                  relay_event, r);
	}
	if (r && r->side[0] && r->side[1] &&
	    bufferevent_enable(r->side[0], EV_READ) == 0 &&
	    bufferevent_enable(r->side[1], EV_READ) == 0) {
		r->done = done;
		r->arg = arg;
		return r;
	}
	for (int i = 0; i < 2; i++)
		if (fd[i] >= 0)
			evutil_closesocket(fd[i]);
	relay_free(r);
	return NULL;
}

void
relay_free(struct relay *r)
{
	if (r == NULL)
		return;
	for (int i = 0; i < 2; i++)
		if (r->side[i])
			bufferevent_free(r->side[i]);
	free(r);
}

/* bev has read something: pass it on to the other side. */
static void
relay_read(struct bufferevent *bev, void *arg)
{
	struct relay *r = arg;
	struct evbuffer *out = bufferevent_get_output(other(r, bev));

	evbuffer_add_buffer(out, bufferevent_get_input(bev));
	/*
	 * Flow control goes here. If the other side's output now holds
	 * RELAY_MAX bytes or more, that side is not keeping up: stop reading
	 * from bev, and ask to be told (relay_drained() on the other side)
	 * when that output has drained to RELAY_MAX / 2.
	 */
}

/* bev's output has drained to its write low watermark (0 unless you set
 * one: then it is empty). */
static void
relay_drained(struct bufferevent *bev, void *arg)
{
	struct relay *r = arg;

	(void)bev;
	if (r->closing) {
		relay_finish_if_flushed(r);
		return;
	}
	/*
	 * And here: if reading from the other side was stopped because of
	 * this backlog, read from it again (and put the watermark back).
	 */
}

/* EOF or an error on bev: stop reading both sides, flush what is owed. */
static void
relay_event(struct bufferevent *bev, short what, void *arg)
{
	struct relay *r = arg;
	struct evbuffer *out = bufferevent_get_output(bev);

	if (what & BEV_EVENT_ERROR) /* nothing more reaches a failed side */
		evbuffer_drain(out, evbuffer_get_length(out));
	evbuffer_add_buffer(bufferevent_get_output(other(r, bev)),
	                    bufferevent_get_input(bev));
	r->closing = 1;
	bufferevent_disable(r->side[0], EV_READ);
	bufferevent_disable(r->side[1], EV_READ);
	relay_finish_if_flushed(r);
}

/* Once both outputs are empty: close both sockets, then tell the owner. */
static void
relay_finish_if_flushed(struct relay *r)
{
	for (int i = 0; i < 2; i++)
		if (evbuffer_get_length(bufferevent_get_output(r->side[i])))
			return;
	for (int i = 0; i < 2; i++) {
		bufferevent_free(r->side[i]);
		r->side[i] = NULL;
	}
	if (r->done)
		r->done(r, r->arg);
}
