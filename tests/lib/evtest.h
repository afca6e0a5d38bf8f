/*
 * evtest.h - what the event tests in tests/lib share, on top of unit.h:
 * making bases and socket pairs that fail the case when they cannot be
 * made, and knowing which backend the environment asked for.
 *
 * The same test sources build against libevent and minievent; nothing
 * here looks inside either library.
 *
 * Interface:
 *  - test_base_new(): event_base_new(), or the case fails
 *  - test_socketpair(fds): a non-blocking AF_UNIX stream pair
 *  - test_send(fd, text), test_drain(fd): write a string, read all there is
 *  - test_env_method(): "epoll", "poll" or "select": what EVENT_NOEPOLL and
 *    EVENT_NOPOLL select on Linux
 *  - test_method_is(base, name)
 *  - tv_ms(ms): a struct timeval of ms milliseconds
 */
#ifndef EVTEST_H_INCLUDED_
#define EVTEST_H_INCLUDED_

#include <sys/time.h>

#include <event2/event.h>

#include "unit.h"

struct event_base *test_base_new(void);
void test_socketpair(int fds[2]);
void test_send(int fd, const char *text);
int test_drain(int fd);
const char *test_env_method(void);
int test_method_is(const struct event_base *base, const char *name);
struct timeval tv_ms(long ms);

#endif /* EVTEST_H_INCLUDED_ */
