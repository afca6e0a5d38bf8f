/*
 * nonblock.c - exercise 05: set and clear O_NONBLOCK the right way.
 *
 * What is here now is the seeds' version: it replaces every file status
 * flag with the one it wants, and it never checks fcntl's result. Make both
 * functions keep the other flags and report failure, as nonblock.h says.
 * `make check` tests them; `make hint` helps.
 */
#include <fcntl.h>

#include "nonblock.h"

int
set_nonblocking(int fd)
{
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return 0;
}

int
set_blocking(int fd)
{
	fcntl(fd, F_SETFL, 0);
	return 0;
}
