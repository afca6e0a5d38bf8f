/*
 * poll.c - the poll backend: one array of struct pollfd, handed whole to
 * poll() on every wait; any descriptor number works.
 *
 * Exercise 10-reactor: write poll_add(), poll_del() and poll_dispatch()
 * below (read the design reasons first); the rest is done. Introduced in
 * chapter 10 (reactor). The state is a packed array of pollfds (slots
 * 0..nfds-1, doubled when full) and, beside it, the fdinfo of each slot's
 * descriptor. Each fdinfo holds its descriptor's slot, so add() and del()
 * are O(1); only poll() itself is O(n).
 *
 * Interface: poll_ops_ (event-internal.h): EV_FEATURE_FDS (poll() takes
 * pipes and ttys too, not only sockets) and, on Linux, EV_FEATURE_EARLY_CLOSE
 * (EV_CLOSED is POLLRDHUP), as in libevent 2.1.12.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>

#include "event-internal.h"
#include "log-internal.h"
#include "mm-internal.h"

/*
 * Design, in numbered reasons:
 *  1. One slot per descriptor, whatever its events: poll() reports each
 *     descriptor once, so dispatch() reports it once.
 *  2. The slot index lives in the descriptor's fdinfo, plus one, so that
 *     the zeroed fdinfo the core gives us means "no slot".
 *  3. Removing a slot moves the last one into the hole, so the array stays
 *     packed and poll() never sees holes. The moved descriptor's fdinfo
 *     must learn its new slot: that is what infos[] is for (the core keeps
 *     an fdinfo at one address while its descriptor has interest).
 */

#define POLL_INITIAL_NFDS 32

struct poll_fdinfo {
	int slot; /* 1 + index in fds[] and infos[]; 0: none (reason 2) */
};

struct pollop {
	struct pollfd *fds;         /* what poll() reads, slots 0..nfds-1 */
	struct poll_fdinfo **infos; /* infos[i] is the fdinfo of fds[i].fd */
	int nfds;
	int cap;
};

static void *
poll_init(struct event_base *base)
{
	(void)base;
	return mm_calloc_(1, sizeof(struct pollop));
}

static void
poll_dealloc(struct event_base *base)
{
	struct pollop *op = event_base_backend_(base);

	mm_free_(op->fds);
	mm_free_(op->infos);
	mm_free_(op);
}

/* The poll() mask for a set of EV_* bits. */
static short
poll_mask(short what)
{
	return (what & EV_READ ? POLLIN : 0) | (what & EV_WRITE ? POLLOUT : 0) |
	       (what & EV_CLOSED ? POLLRDHUP : 0);
}

/* Makes room for one more slot. 0, or -1 with errno ENOMEM. */
static int
poll_reserve(struct pollop *op)
{
	int cap = op->cap ? 2 * op->cap : POLL_INITIAL_NFDS;
	void *p;

	if (op->nfds < op->cap)
		return 0;
	p = mm_realloc_(op->fds, cap * sizeof(*op->fds));
	if (p == NULL)
		return -1;
	op->fds = p;
	p = mm_realloc_(op->infos, cap * sizeof(*op->infos));
	if (p == NULL)
		return -1; /* fds[] grew alone: harmless, cap did not change */
	op->infos = p;
	op->cap = cap;
	return 0;
}

/*
 * fd's interest was old; add events to it. The core zeroed fdinfo when fd
 * had no interest, so info->slot == 0 means "fd has no slot yet".
 * Exercise: give fd a slot if it has none (poll_reserve() makes room),
 * remember which fdinfo the slot belongs to, then add the events' mask.
 */
static int
poll_add(struct event_base *base, evutil_socket_t fd, short old, short events,
         void *fdinfo)
{
	(void)base, (void)fd, (void)old, (void)events, (void)fdinfo;
	(void)poll_reserve, (void)poll_mask; /* yours to use */
	errno = ENOSYS;                      /* not written yet */
	return -1;
}

/*
 * fd's interest was old; remove events from it. Exercise: clear the
 * events' mask in fd's slot; if nothing is left, fill the hole with the
 * last slot (reason 3) and tell the moved slot's fdinfo where it is now.
 */
static int
poll_del(struct event_base *base, evutil_socket_t fd, short old, short events,
         void *fdinfo)
{
	(void)base, (void)fd, (void)old, (void)events, (void)fdinfo;
	errno = ENOSYS; /* not written yet */
	return -1;
}

/* EV_* for what poll() reported. An error, a hang-up or a descriptor that
 * is not open (POLLNVAL, which would otherwise wake every poll() at once)
 * is EV_READ|EV_WRITE: the core keeps what the events on fd asked for, and
 * their callbacks see the problem in read() or write(). */
static short
poll_events_of(short what)
{
	short events = 0;

	if (what & (POLLERR | POLLHUP | POLLNVAL))
		events |= EV_READ | EV_WRITE;
	if (what & POLLIN)
		events |= EV_READ;
	if (what & POLLOUT)
		events |= EV_WRITE;
	if (what & POLLRDHUP)
		events |= EV_CLOSED;
	return events;
}

/*
 * Waits up to *tv (NULL: forever) and reports every ready slot to the core
 * with evmap_io_active_() (event-internal.h, contract reason 3). Exercise:
 * call poll(); EINTR is not an error (return 0); then translate each slot's
 * revents with poll_events_of() and report it.
 */
static int
poll_dispatch(struct event_base *base, struct timeval *tv)
{
	(void)base, (void)tv;
	(void)poll_events_of; /* yours to use, with evutil_tv_to_msec_() */
	errno = ENOSYS;       /* not written yet */
	return -1;
}

const struct eventop poll_ops_ = {
        .name = "poll",
        .init = poll_init,
        .add = poll_add,
        .del = poll_del,
        .dispatch = poll_dispatch,
        .dealloc = poll_dealloc,
        .need_reinit = 0,
        .features = EV_FEATURE_FDS | EV_FEATURE_EARLY_CLOSE,
        .fdinfo_len = sizeof(struct poll_fdinfo),
};
