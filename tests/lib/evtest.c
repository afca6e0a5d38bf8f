/*
 * evtest.c - the shared helpers of the event tests (see evtest.h).
 */
#include "evtest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct event_base *
test_base_new(void)
{
	struct event_base *base = event_base_new();

	assert_not_null(base);
	return base;
}

void
test_socketpair(int fds[2])
{
	int rc = socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds);

	assert_int_eq(rc, 0);
}

void
test_send(int fd, const char *text)
{
	ssize_t len = (ssize_t)strlen(text);

	assert_int_eq(write(fd, text, (size_t)len), len);
}

/* Returns the number of bytes read; stops at EAGAIN or end of file. */
int
test_drain(int fd)
{
	char buf[256];
	ssize_t n;
	int total = 0;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += (int)n;
	if (n < 0)
		assert_int_eq(errno, EAGAIN);
	return total;
}

const char *
test_env_method(void)
{
	if (!getenv("EVENT_NOEPOLL"))
		return "epoll";
	if (!getenv("EVENT_NOPOLL"))
		return "poll";
	return "select";
}

int
test_method_is(const struct event_base *base, const char *name)
{
	return strcmp(event_base_get_method(base), name) == 0;
}

struct timeval
tv_ms(long ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	return tv;
}
