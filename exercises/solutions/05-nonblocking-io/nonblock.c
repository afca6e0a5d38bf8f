/*
 * nonblock.c - exercise 05, reference solution: set and clear O_NONBLOCK
 * without touching the other file status flags.
 *
 * F_SETFL replaces the whole set of changeable flags (O_APPEND, O_ASYNC,
 * O_DIRECT, O_NOATIME, O_NONBLOCK) with its argument, so read them with
 * F_GETFL first and change only the one bit. fcntl fails with EBADF on a
 * descriptor that is not open; errno is left as fcntl set it.
 */
#include <fcntl.h>

#include "nonblock.h"

/* Sets O_NONBLOCK in fd's flags if on is nonzero, clears it otherwise. */
static int
change_nonblock(int fd, int on)
{
	int flags = fcntl(fd, F_GETFL);
	int wanted;

	if (flags < 0)
		return -1;
	wanted = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
	if (wanted == flags)
		return 0; /* already as asked: no second system call */
	return fcntl(fd, F_SETFL, wanted);
}

int
set_nonblocking(int fd)
{
	return change_nonblock(fd, 1);
}

int
set_blocking(int fd)
{
	return change_nonblock(fd, 0);
}
