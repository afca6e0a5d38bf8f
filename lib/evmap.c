/*
 * evmap.c - the fd map and the signal map: which events wait on each
 * descriptor and each signal, and the bridge from "fd 7 is readable"
 * (the backend's view) to "these events are active" (the user's view).
 *
 * Introduced in chapter 10 (reactor); the signal map in chapter 12.
 * Main data structures: struct evmap_io (per fd: its events, the number
 * that want EV_READ, EV_WRITE and EV_CLOSED, then the backend's bytes) and
 * struct evmap_signal (per signal: its events), in arrays indexed by number.
 *
 * Design reasons:
 *  1. The counts make the backend's interest a sum: the backend hears of
 *     an fd only when its interest changes (the first reader arrives, the
 *     last writer leaves), not once per event.
 *  2. Entries are allocated on first use and kept until the base is freed:
 *     descriptors are reused lowest first, so the array stays dense and an
 *     entry is usually reused.
 *  3. The backend's per-fd bytes are zeroed when the fd's interest drops
 *     to none and before it is registered again after event_reinit(), so a
 *     backend always sees zeros for an fd it does not know.
 *
 * Interface: see evmap-internal.h; evmap_io_active_() for the backends.
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>

#include "event-internal.h"
#include "log-internal.h"
#include "mm-internal.h"

struct evmap_io {
	struct event_dlist events;
	int nread, nwrite, nclose;
	max_align_t fdinfo[]; /* the backend's fdinfo_len bytes */
};

struct evmap_signal {
	struct event_dlist events;
};

/* Grows *entries (of *nentries pointers) to hold index slot; new slots
 * are NULL. 0, or -1 if out of memory. */
static int
evmap_make_space(void ***entries, int *nentries, int slot)
{
	if (slot < *nentries)
		return 0;
	int n = *nentries ? *nentries : 32;
	while (n <= slot)
		n *= 2;
	void **p = mm_realloc_(*entries, (size_t)n * sizeof(*p));
	if (p == NULL)
		return -1;
	memset(p + *nentries, 0, (size_t)(n - *nentries) * sizeof(*p));
	*entries = p;
	*nentries = n;
	return 0;
}

/* What the events on fd want, as EV_READ|EV_WRITE|EV_CLOSED bits. */
static short
evmap_io_interest(const struct evmap_io *ctx)
{
	return (short)((ctx->nread ? EV_READ : 0) |
	               (ctx->nwrite ? EV_WRITE : 0) |
	               (ctx->nclose ? EV_CLOSED : 0));
}

/* Adds or subtracts (delta 1 or -1) ev's wishes to the counts. */
static void
evmap_io_count(struct evmap_io *ctx, const struct event *ev, int delta)
{
	if (ev->ev_events & EV_READ)
		ctx->nread += delta;
	if (ev->ev_events & EV_WRITE)
		ctx->nwrite += delta;
	if (ev->ev_events & EV_CLOSED)
		ctx->nclose += delta;
}

void
evmap_io_initmap_(struct event_io_map *map)
{
	map->entries = NULL;
	map->nentries = 0;
}

void
evmap_io_clear_(struct event_io_map *map)
{
	for (int i = 0; i < map->nentries; i++)
		mm_free_(map->entries[i]);
	mm_free_(map->entries);
	evmap_io_initmap_(map);
}

/* The entry for fd, created (zeroed) if needed; NULL if out of memory. */
static struct evmap_io *
evmap_io_get(struct event_base *base, evutil_socket_t fd)
{
	struct event_io_map *map = &base->io;
	if (evmap_make_space((void ***)&map->entries, &map->nentries, fd) < 0)
		return NULL;
	if (map->entries[fd] == NULL) {
		size_t len = sizeof(struct evmap_io) + base->evsel->fdinfo_len;
		struct evmap_io *ctx = mm_calloc_(1, len);
		if (ctx == NULL)
			return NULL;
		LIST_INIT(&ctx->events);
		map->entries[fd] = ctx;
	}
	return map->entries[fd];
}

/* All events on one fd must agree on EV_ET: the kernel registration is
 * per fd, so it is either edge- or level-triggered for all of them. */
static int
evmap_io_et_conflicts(const struct evmap_io *ctx, const struct event *ev)
{
	const struct event *first = LIST_FIRST(&ctx->events);
	return first && (first->ev_events & EV_ET) != (ev->ev_events & EV_ET);
}

int
evmap_io_add_(struct event_base *base, evutil_socket_t fd, struct event *ev)
{
	if (fd < 0) {
		errno = EBADF;
		return -1;
	}
	struct evmap_io *ctx = evmap_io_get(base, fd);
	if (ctx == NULL)
		return -1;
	if (evmap_io_et_conflicts(ctx, ev)) {
		event_warnx_("tried to mix edge-triggered and level-triggered "
		             "events on fd %d",
		             fd);
		errno = EINVAL;
		return -1;
	}
	short old = evmap_io_interest(ctx);
	short added = (short)(ev->ev_events & (EV_READ | EV_WRITE | EV_CLOSED) &
	                      ~old);
	if (added && base->evsel->add(base, fd, old,
	                              (short)(added | (ev->ev_events & EV_ET)),
	                              ctx->fdinfo) == -1)
		return -1;
	evmap_io_count(ctx, ev, 1);
	LIST_INSERT_HEAD(&ctx->events, ev, ev_io_next);
	return 0;
}

int
evmap_io_del_(struct event_base *base, evutil_socket_t fd, struct event *ev)
{
	if (fd < 0 || fd >= base->io.nentries || base->io.entries[fd] == NULL)
		return -1;
	struct evmap_io *ctx = base->io.entries[fd];
	short old = evmap_io_interest(ctx);
	evmap_io_count(ctx, ev, -1);
	LIST_REMOVE(ev, ev_io_next);
	short removed = (short)(old & ~evmap_io_interest(ctx));
	int res = 0;
	if (removed)
		res = base->evsel->del(
		        base, fd, old,
		        (short)(removed | (ev->ev_events & EV_ET)),
		        ctx->fdinfo);
	if (evmap_io_interest(ctx) == 0)
		memset(ctx->fdinfo, 0, base->evsel->fdinfo_len);
	return res;
}

void
evmap_io_active_(struct event_base *base, evutil_socket_t fd, short events)
{
	if (fd < 0 || fd >= base->io.nentries || base->io.entries[fd] == NULL)
		return;
	/* As in libevent, an edge-triggered event is told so (EV_ET in its
	 * callback's events), where the backend can do edges. */
	short et = base->evsel->features & EV_FEATURE_ET ? EV_ET : 0;
	struct event *ev;
	LIST_FOREACH(ev, &base->io.entries[fd]->events, ev_io_next)
	{
		short res = (short)(ev->ev_events & events &
		                    (EV_READ | EV_WRITE | EV_CLOSED));
		if (res)
			event_active_nolock_(ev, res | (ev->ev_events & et), 1);
	}
}

void
evmap_signal_initmap_(struct event_signal_map *map)
{
	map->entries = NULL;
	map->nentries = 0;
}

void
evmap_signal_clear_(struct event_signal_map *map)
{
	for (int i = 0; i < map->nentries; i++)
		mm_free_(map->entries[i]);
	mm_free_(map->entries);
	evmap_signal_initmap_(map);
}

int
evmap_signal_add_(struct event_base *base, int sig, struct event *ev)
{
	struct event_signal_map *map = &base->sigmap;
	if (sig < 0 || sig >= NSIG) {
		errno = EINVAL;
		return -1;
	}
	if (evmap_make_space((void ***)&map->entries, &map->nentries, sig) < 0)
		return -1;
	if (map->entries[sig] == NULL) {
		map->entries[sig] = mm_calloc_(1, sizeof(struct evmap_signal));
		if (map->entries[sig] == NULL)
			return -1;
		LIST_INIT(&map->entries[sig]->events);
	}
	struct evmap_signal *ctx = map->entries[sig];
	if (LIST_EMPTY(&ctx->events) && evsig_add_(base, sig) == -1)
		return -1;
	LIST_INSERT_HEAD(&ctx->events, ev, ev_io_next);
	return 0;
}

int
evmap_signal_del_(struct event_base *base, int sig, struct event *ev)
{
	struct event_signal_map *map = &base->sigmap;
	if (sig < 0 || sig >= map->nentries || map->entries[sig] == NULL)
		return -1;
	LIST_REMOVE(ev, ev_io_next);
	if (LIST_EMPTY(&map->entries[sig]->events))
		return evsig_del_(base, sig);
	return 0;
}

void
evmap_signal_active_(struct event_base *base, int sig, int ncalls)
{
	struct event_signal_map *map = &base->sigmap;
	if (sig < 0 || sig >= map->nentries || map->entries[sig] == NULL)
		return;
	struct event *ev;
	LIST_FOREACH(ev, &map->entries[sig]->events, ev_io_next)
	event_active_nolock_(ev, EV_SIGNAL, (short)ncalls);
}

/* Registers fd's whole interest with a freshly built backend. */
static int
evmap_io_reinit_fd(struct event_base *base, int fd, struct evmap_io *ctx)
{
	short interest = evmap_io_interest(ctx);
	memset(ctx->fdinfo, 0, base->evsel->fdinfo_len);
	if (interest == 0)
		return 0;
	const struct event *first = LIST_FIRST(&ctx->events);
	interest = (short)(interest | (first->ev_events & EV_ET));
	return base->evsel->add(base, fd, 0, interest, ctx->fdinfo);
}

int
evmap_reinit_(struct event_base *base)
{
	int res = 0;
	for (int fd = 0; fd < base->io.nentries; fd++) {
		struct evmap_io *ctx = base->io.entries[fd];
		if (ctx && evmap_io_reinit_fd(base, fd, ctx) == -1)
			res = -1;
	}
	return res;
}

/* Calls fn for each event of list, until one returns nonzero. The next
 * pointer is read first, in case fn deletes the event it is given. */
static int
evmap_foreach_in_list(struct event_base *base, struct event_dlist *list,
                      int (*fn)(struct event_base *, struct event *, void *),
                      void *arg)
{
	struct event *ev = LIST_FIRST(list);
	while (ev) {
		struct event *next = LIST_NEXT(ev, ev_io_next);
		int r = fn(base, ev, arg);
		if (r)
			return r;
		ev = next;
	}
	return 0;
}

int
evmap_foreach_event_(struct event_base *base,
                     int (*fn)(struct event_base *, struct event *, void *),
                     void *arg)
{
	int r;
	for (int fd = 0; fd < base->io.nentries; fd++) {
		struct evmap_io *ctx = base->io.entries[fd];
		if (ctx &&
		    (r = evmap_foreach_in_list(base, &ctx->events, fn, arg)))
			return r;
	}
	for (int sig = 0; sig < base->sigmap.nentries; sig++) {
		struct evmap_signal *ctx = base->sigmap.entries[sig];
		if (ctx &&
		    (r = evmap_foreach_in_list(base, &ctx->events, fn, arg)))
			return r;
	}
	return 0;
}

static int
evmap_delete_one(struct event_base *base, struct event *ev, void *arg)
{
	(void)base;
	(void)arg;
	if (!(ev->ev_flags & EVLIST_INTERNAL))
		event_del_nolock_(ev);
	return 0;
}

void
evmap_delete_all_(struct event_base *base)
{
	evmap_foreach_event_(base, evmap_delete_one, NULL);
}
