/*
 * interest.h - exercise 08-epoll-lt: the one function you write,
 * update_interest(), and the loop that calls it.
 *
 * A level-triggered epoll server registers each client once, with
 * EPOLL_CTL_ADD and data.ptr = its struct conn, and then, after serving it
 * on every wake-up, brings the registered events up to date (it is the
 * step at the end of rot13_epoll_lt's client_ready()):
 *
 *     n = epoll_wait(epfd, events, MAX_EVENTS, -1);
 *     for each event:
 *             struct conn *c = event.data.ptr;
 *             conn_read(c) if readable and conn_wants_read(c);
 *             conn_write(c) if conn_wants_write(c);
 *             if (conn_done(c))
 *                     close it;
 *             else
 *                     update_interest(epfd, c, &registered_of_c);
 *
 * Level-triggered epoll reports a descriptor on every epoll_wait() for as
 * long as it is ready for what it is registered for. A socket is writable
 * nearly always, and a socket at EOF, or holding bytes we will not read
 * yet, is readable for ever: registered for those, it wakes the loop at
 * once, every time. Not registered for EPOLLOUT while answers wait, the
 * client never gets them.
 */
#ifndef EXERCISE_INTEREST_H_INCLUDED_
#define EXERCISE_INTEREST_H_INCLUDED_

#include <stdint.h>

#include "conn.h"

/*
 * Makes the events registered for c->fd on epfd what c can use now:
 *  - EPOLLIN | EPOLLRDHUP while conn_wants_read(c),
 *  - EPOLLOUT while conn_wants_write(c),
 *  - nothing else (EPOLLERR and EPOLLHUP are always reported anyway).
 * *registered holds the events registered now (the caller set it at
 * EPOLL_CTL_ADD). Calls epoll_ctl(EPOLL_CTL_MOD) only if they must change,
 * with data.ptr = c (MOD replaces the data too), and then stores the new
 * events in *registered. Returns 0, or -1 with errno from epoll_ctl()
 * (*registered unchanged).
 */
int update_interest(int epfd, struct conn *c, uint32_t *registered);

#endif /* EXERCISE_INTEREST_H_INCLUDED_ */
