/*
 * epoll.c - the epoll backend: Linux's readiness interface, whose cost per
 * wait grows with the ready descriptors, not with the watched ones.
 *
 * Introduced in chapter 10 (reactor). The state: one epoll descriptor, the
 * array epoll_wait() fills (doubled when a wait fills it, up to
 * EPOLL_MAX_NEVENT), and a change list of the descriptors whose interest
 * changed since the last wait. Per descriptor the core keeps a struct
 * epoll_fdinfo for us (contract reason 2).
 *
 * Interface: epoll_ops_ (event-internal.h): EV_FEATURE_ET, EV_FEATURE_O1,
 * EV_FEATURE_EARLY_CLOSE (EV_CLOSED is EPOLLRDHUP); need_reinit, since a
 * child made by fork() shares the epoll object with its parent.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "event-internal.h"
#include "log-internal.h"
#include "mm-internal.h"

/*
 * When interest reaches the kernel, in numbered reasons:
 *  1. Programs often undo a change before the loop waits again: a writer
 *     enables EV_WRITE and disables it when its buffer drains. So add() and
 *     del() record the wanted interest, and dispatch() sends only the net
 *     change before epoll_wait(): one EPOLL_CTL_MOD, or nothing.
 *  2. The first ADD of a descriptor is sent at once, so that event_add()
 *     fails as in libevent (EPERM for a regular file, EBADF for a closed
 *     descriptor), not as a warning later with nobody to tell.
 *  3. The last DEL is sent at once too, because programs close() right
 *     after event_del(). The kernel drops a registration only when the
 *     file's last descriptor closes: if a dup() or a forked child keeps it
 *     open, a DEL sent after close() fails with EBADF and the registration
 *     stays, reported under a number that is closed or reused (why
 *     libevent's own change list is opt-in). The price: deleting the last
 *     event and re-adding it before the wait costs DEL and ADD, as in
 *     libevent's default epoll backend.
 *  4. Kernel quirks are retried as in libevent: MOD fails with ENOENT if
 *     the number was closed and reused (retry as ADD); ADD fails with
 *     EEXIST if dup2() put the same file back on a registered number
 *     (retry as MOD); DEL fails with EBADF, ENOENT or EPERM if the program
 *     closed the descriptor first: then nothing is left to delete.
 */
#define EPOLL_INITIAL_NEVENT 32
#define EPOLL_MAX_NEVENT     4096
#define EPOLL_IO_BITS        (EV_READ | EV_WRITE | EV_CLOSED)

/* The fdinfo_len bytes the core keeps per descriptor. The core zeroes them
 * when the descriptor's interest ends and before event_reinit() re-adds
 * it to a new epoll object; zero means "nothing in the kernel, no change". */
struct epoll_fdinfo {
	short kernel; /* EV_* bits (and EV_ET) the kernel was last given */
	short want;   /* EV_* bits (and EV_ET) the core wants now */
	int change;   /* 1 + its index in the change list; 0: not on it */
};

/* A descriptor on the change list always has interest (reason 3), so the
 * core keeps its fdinfo at this address until we take it off. */
struct epoll_change {
	int fd;
	struct epoll_fdinfo *info;
};

struct epollop {
	int epfd;
	struct epoll_event *events;
	int nevents;
	struct epoll_change *changes;
	int nchanges;
	int changes_cap;
};

static void *
epoll_init(struct event_base *base)
{
	struct epollop *op = mm_calloc_(1, sizeof(*op));

	(void)base;
	if (op == NULL)
		return NULL;
	/* CLOEXEC: a program that execs must not inherit our kernel object. */
	op->epfd = epoll_create1(EPOLL_CLOEXEC);
	op->nevents = EPOLL_INITIAL_NEVENT;
	if (op->epfd == -1 ||
	    !(op->events = mm_calloc_(op->nevents, sizeof(*op->events)))) {
		int saved = errno;

		if (op->epfd != -1)
			close(op->epfd);
		mm_free_(op);
		errno = saved;
		return NULL;
	}
	return op;
}

static void
epoll_dealloc(struct event_base *base)
{
	struct epollop *op = event_base_backend_(base);

	close(op->epfd);
	mm_free_(op->events);
	mm_free_(op->changes);
	mm_free_(op);
}

/* The epoll_event mask for a set of EV_* bits. */
static unsigned
epoll_mask(short what)
{
	return (what & EV_READ ? EPOLLIN : 0) |
	       (what & EV_WRITE ? EPOLLOUT : 0) |
	       (what & EV_CLOSED ? EPOLLRDHUP : 0) |
	       (what & EV_ET ? EPOLLET : 0);
}

/* Runs one epoll_ctl(), retrying the kernel quirks of reason 4. */
static int
epoll_ctl_retry(int epfd, int ctl, int fd, short what)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev)); /* the padding too, for valgrind */
	ev.events = epoll_mask(what);
	ev.data.fd = fd;
	if (epoll_ctl(epfd, ctl, fd, &ev) == 0)
		return 0;
	if (ctl == EPOLL_CTL_MOD && errno == ENOENT)
		return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
	if (ctl == EPOLL_CTL_ADD && errno == EEXIST)
		return epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
	if (ctl == EPOLL_CTL_DEL &&
	    (errno == EBADF || errno == ENOENT || errno == EPERM))
		return 0;
	return -1;
}

/* Brings the kernel to info->want for fd now. 0, or -1 with errno. */
static int
epoll_apply(struct epollop *op, int fd, struct epoll_fdinfo *info)
{
	int ctl;

	if (info->want == info->kernel)
		return 0;
	if (!(info->want & EPOLL_IO_BITS))
		ctl = EPOLL_CTL_DEL;
	else if (info->kernel & EPOLL_IO_BITS)
		ctl = EPOLL_CTL_MOD;
	else
		ctl = EPOLL_CTL_ADD;
	if (epoll_ctl_retry(op->epfd, ctl, fd, info->want) == -1) {
		if (ctl == EPOLL_CTL_ADD)
			info->want = 0; /* the core drops the failed interest */
		return -1;
	}
	info->kernel = ctl == EPOLL_CTL_DEL ? 0 : info->want;
	return 0;
}

/* Puts fd on the change list once; dispatch() applies it (reason 1). */
static int
epoll_queue(struct epollop *op, int fd, struct epoll_fdinfo *info)
{
	if (info->change)
		return 0;
	if (op->nchanges == op->changes_cap) {
		int cap = op->changes_cap ? 2 * op->changes_cap : 16;
		void *p = mm_realloc_(op->changes, cap * sizeof(*op->changes));

		if (p == NULL)
			return -1;
		op->changes = p;
		op->changes_cap = cap;
	}
	op->changes[op->nchanges].fd = fd;
	op->changes[op->nchanges].info = info;
	info->change = ++op->nchanges;
	return 0;
}

/* Takes fd off the change list in O(1): the last entry fills its slot. */
static void
epoll_unqueue(struct epollop *op, struct epoll_fdinfo *info)
{
	int i = info->change - 1;

	if (i < 0)
		return;
	op->changes[i] = op->changes[--op->nchanges];
	op->changes[i].info->change = i + 1;
	info->change = 0;
}

/* Records the interest the core wants; registers and unregisters at once
 * (reasons 2 and 3), defers every change in between (reason 1). */
static int
epoll_want(struct event_base *base, int fd, short want, void *fdinfo)
{
	struct epollop *op = event_base_backend_(base);
	struct epoll_fdinfo *info = fdinfo;

	if (!(info->kernel & EPOLL_IO_BITS) || !(want & EPOLL_IO_BITS)) {
		epoll_unqueue(op, info);
		info->want = want;
		return epoll_apply(op, fd, info);
	}
	if (epoll_queue(op, fd, info) == -1)
		return -1;
	info->want = want;
	return 0;
}

static int
epoll_add(struct event_base *base, evutil_socket_t fd, short old, short events,
          void *fdinfo)
{
	/* All events on one descriptor share EV_ET (the core checks). */
	short want = ((old | events) & EPOLL_IO_BITS) | (events & EV_ET);

	return epoll_want(base, fd, want, fdinfo);
}

static int
epoll_del(struct event_base *base, evutil_socket_t fd, short old, short events,
          void *fdinfo)
{
	struct epoll_fdinfo *info = fdinfo;
	short want = old & ~events & EPOLL_IO_BITS;

	if (want)
		want |= info->want & EV_ET; /* what remains keeps its mode */
	return epoll_want(base, fd, want, fdinfo);
}

/* Sends the net changes recorded since the last wait (reason 1). */
static void
epoll_apply_changes(struct epollop *op)
{
	int i;

	for (i = 0; i < op->nchanges; i++) {
		struct epoll_change *ch = &op->changes[i];

		ch->info->change = 0;
		if (epoll_apply(op, ch->fd, ch->info) == -1)
			event_warn_("epoll_ctl on fd %d", ch->fd);
	}
	op->nchanges = 0;
}

/* EV_* for what epoll reported, with libevent 2.1.12's rules: an error, or
 * a hang-up without EPOLLRDHUP, is EV_READ|EV_WRITE (the core keeps what
 * the events on fd asked for); EPOLLRDHUP is EV_CLOSED alone (EOF also sets
 * EPOLLIN, hence EV_READ, when EV_READ was asked for). */
static short
epoll_events_of(unsigned what)
{
	short events = 0;

	if ((what & EPOLLERR) || ((what & EPOLLHUP) && !(what & EPOLLRDHUP)))
		return EV_READ | EV_WRITE;
	if (what & EPOLLIN)
		events |= EV_READ;
	if (what & EPOLLOUT)
		events |= EV_WRITE;
	if (what & EPOLLRDHUP)
		events |= EV_CLOSED;
	return events;
}

/* A full array may mean more were ready: offer room for more next time.
 * If realloc fails, the old array still works. */
static void
epoll_grow_events(struct epollop *op)
{
	int n = op->nevents * 2;
	void *p;

	if (n > EPOLL_MAX_NEVENT)
		return;
	p = mm_realloc_(op->events, n * sizeof(*op->events));
	if (p == NULL)
		return;
	op->events = p;
	op->nevents = n;
}

static int
epoll_dispatch(struct event_base *base, struct timeval *tv)
{
	struct epollop *op = event_base_backend_(base);
	int i, n;

	epoll_apply_changes(op);
	n = epoll_wait(op->epfd, op->events, op->nevents,
	               evutil_tv_to_msec_(tv));
	if (n == -1) {
		if (errno == EINTR)
			return 0; /* a signal: the core looks at it next */
		event_warn_("epoll_wait");
		return -1;
	}
	for (i = 0; i < n; i++) {
		short events = epoll_events_of(op->events[i].events);

		/* EV_ET too, as libevent does: the core passes it on to the
		 * callbacks of edge-triggered events. */
		if (events)
			evmap_io_active_(base, op->events[i].data.fd,
			                 events | EV_ET);
	}
	if (n == op->nevents)
		epoll_grow_events(op);
	return 0;
}

const struct eventop epoll_ops_ = {
        .name = "epoll",
        .init = epoll_init,
        .add = epoll_add,
        .del = epoll_del,
        .dispatch = epoll_dispatch,
        .dealloc = epoll_dealloc,
        .need_reinit = 1,
        .features = EV_FEATURE_ET | EV_FEATURE_O1 | EV_FEATURE_EARLY_CLOSE,
        .fdinfo_len = sizeof(struct epoll_fdinfo),
};
