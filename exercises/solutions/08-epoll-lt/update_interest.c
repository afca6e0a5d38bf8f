/*
 * update_interest.c - exercise 08-epoll-lt, the reference solution.
 *
 * The events follow the connection's state (conn_wants_read(),
 * conn_wants_write()), and the kernel hears about them only when they
 * change: a client whose answers fit in the socket buffer stays at
 * EPOLLIN | EPOLLRDHUP and costs no epoll_ctl() after its ADD.
 */
#include <sys/epoll.h>

#include "interest.h"

int
update_interest(int epfd, struct conn *c, uint32_t *registered)
{
	struct epoll_event ev = {.events = 0, .data.ptr = c};

	if (conn_wants_read(c))
		ev.events |= EPOLLIN | EPOLLRDHUP;
	if (conn_wants_write(c))
		ev.events |= EPOLLOUT;
	if (ev.events == *registered)
		return 0; /* no change: no system call */
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
		return -1;
	*registered = ev.events;
	return 0;
}
