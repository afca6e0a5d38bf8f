/*
 * update_interest.c - exercise 08-epoll-lt: arm EPOLLOUT only while output
 * is pending.
 *
 * Make update_interest() keep its promise in interest.h. As shipped it asks
 * for everything, always, and calls epoll_ctl() on every wake-up. It
 * compiles and serves clients, but run `make check` to see what it costs.
 * `make hint` helps.
 */
#include <sys/epoll.h>

#include "interest.h"

int
update_interest(int epfd, struct conn *c, uint32_t *registered)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLOUT,
	                         .data.ptr = c};

	if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
		return -1;
	*registered = ev.events;
	return 0;
}
