/*
 * select.c - the select backend: the oldest and most portable readiness
 * call, limited to descriptors below FD_SETSIZE (1024 on Linux).
 *
 * Introduced in chapter 10 (reactor). The state is two fd_sets of interest
 * (read, write) and the highest descriptor in them; select() gets copies,
 * because it overwrites the sets it is given with the ready descriptors.
 *
 * Interface: select_ops_ (event-internal.h): EV_FEATURE_FDS; no EV_ET and
 * no EV_CLOSED (an EV_CLOSED-only event is accepted but never fires, as in
 * libevent).
 */
#include <errno.h>
#include <sys/select.h>

#include "event-internal.h"
#include "log-internal.h"
#include "mm-internal.h"

/*
 * Design, in numbered reasons:
 *  1. add() refuses a descriptor >= FD_SETSIZE with errno EINVAL (and a
 *     warning), so event_add() fails. FD_SET() on such a number writes
 *     past the fd_set: glibc's fortified build aborts the program, and an
 *     unfortified one corrupts memory. (libevent 2.1.12's select backend
 *     aborts there.) poll and epoll have no such limit.
 *  2. Each wait costs O(maxfd), in the kernel and in our scan, however
 *     few descriptors are ready: the cost epoll (chapter 08) avoids.
 *  3. No except set: select() reports an error or a hang-up by marking the
 *     descriptor readable (and writable, for an error), so the core sees
 *     EV_READ or EV_WRITE and the callback meets the problem in read() or
 *     write(). The except set means TCP urgent data, which libevent does
 *     not watch either.
 */

struct selectop {
	int maxfd;                /* highest descriptor of interest, or -1 */
	fd_set readset, writeset; /* the interest */
};

static void *
select_init(struct event_base *base)
{
	struct selectop *op = mm_malloc_(sizeof(*op));

	(void)base;
	if (op == NULL)
		return NULL;
	op->maxfd = -1;
	FD_ZERO(&op->readset);
	FD_ZERO(&op->writeset);
	return op;
}

static void
select_dealloc(struct event_base *base)
{
	mm_free_(event_base_backend_(base));
}

static int
select_add(struct event_base *base, evutil_socket_t fd, short old, short events,
           void *fdinfo)
{
	struct selectop *op = event_base_backend_(base);

	(void)old;
	(void)fdinfo;
	if (fd < 0 || fd >= FD_SETSIZE) {
		event_warnx_("select: descriptor %d is not below FD_SETSIZE %d",
		             fd, FD_SETSIZE);
		errno = EINVAL;
		return -1; /* reason 1 */
	}
	if (events & EV_READ)
		FD_SET(fd, &op->readset);
	if (events & EV_WRITE)
		FD_SET(fd, &op->writeset);
	if ((events & (EV_READ | EV_WRITE)) && fd > op->maxfd)
		op->maxfd = fd;
	return 0;
}

static int
select_del(struct event_base *base, evutil_socket_t fd, short old, short events,
           void *fdinfo)
{
	struct selectop *op = event_base_backend_(base);

	(void)old;
	(void)fdinfo;
	if (fd < 0 || fd >= FD_SETSIZE)
		return 0; /* add() refused it: nothing to remove */
	if (events & EV_READ)
		FD_CLR(fd, &op->readset);
	if (events & EV_WRITE)
		FD_CLR(fd, &op->writeset);
	/* The highest descriptor went quiet: find the next highest. */
	while (op->maxfd >= 0 && !FD_ISSET(op->maxfd, &op->readset) &&
	       !FD_ISSET(op->maxfd, &op->writeset))
		op->maxfd--;
	return 0;
}

static int
select_dispatch(struct event_base *base, struct timeval *tv)
{
	struct selectop *op = event_base_backend_(base);
	/* Copies: select() overwrites the sets, and Linux the timeout too. */
	fd_set ready_read = op->readset, ready_write = op->writeset;
	struct timeval timeout, *tp = NULL;
	int fd, n;

	if (tv != NULL) {
		timeout = *tv;
		if (timeout.tv_sec < 0 || timeout.tv_usec < 0)
			timeout.tv_sec = timeout.tv_usec = 0;
		tp = &timeout;
	}
	n = select(op->maxfd + 1, &ready_read, &ready_write, NULL, tp);
	if (n == -1) {
		if (errno == EINTR)
			return 0;      /* a signal: the core looks at it next */
		event_warn_("select"); /* EBADF: a descriptor was closed */
		return -1;
	}
	/* n counts set bits, a descriptor in both sets twice. */
	for (fd = 0; fd <= op->maxfd && n > 0; fd++) {
		short events = 0;

		if (FD_ISSET(fd, &ready_read)) {
			events |= EV_READ;
			n--;
		}
		if (FD_ISSET(fd, &ready_write)) {
			events |= EV_WRITE;
			n--;
		}
		if (events)
			evmap_io_active_(base, fd, events);
	}
	return 0;
}

const struct eventop select_ops_ = {
        .name = "select",
        .init = select_init,
        .add = select_add,
        .del = select_del,
        .dispatch = select_dispatch,
        .dealloc = select_dealloc,
        .need_reinit = 0,
        .features = EV_FEATURE_FDS,
        .fdinfo_len = 0,
};
