/*
 * fdsets.c - exercise 06-select, the reference solution: build_fd_sets()
 * (see tests/exercises/06-select/fdsets.h).
 */
#include "fdsets.h"

int
build_fd_sets(struct conn *const *conns, int nconns, int listener, int stopfd,
              fd_set *rd, fd_set *wr)
{
	int maxfd = stopfd;

	/* select() left only its answer in the sets: start from nothing. */
	FD_ZERO(rd);
	FD_ZERO(wr);
	FD_SET(stopfd, rd);
	if (listener >= 0) {
		FD_SET(listener, rd);
		if (listener > maxfd)
			maxfd = listener;
	}
	for (int i = 0; i < nconns; i++) {
		const struct conn *c = conns[i];
		if (!c)
			continue;
		/* Only what the connection can use now: a socket is almost
		 * always writable, and readable for ever after EOF. */
		if (conn_wants_read(c))
			FD_SET(c->fd, rd);
		if (conn_wants_write(c))
			FD_SET(c->fd, wr);
		if (c->fd > maxfd)
			maxfd = c->fd;
	}
	return maxfd;
}
