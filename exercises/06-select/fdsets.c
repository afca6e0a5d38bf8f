/*
 * fdsets.c - exercise 06-select: rebuild the fd sets correctly.
 *
 * Write build_fd_sets() as tests/exercises/06-select/fdsets.h describes it.
 * This first draft compiles, and even looks like the loops in many
 * tutorials, but it has the classic select() bugs: a server built on it
 * burns the CPU, never serves its clients, or dies when one leaves.
 * `make check` shows which; README.md says what the function must do.
 */
#include "fdsets.h"

int
build_fd_sets(struct conn *const *conns, int nconns, int listener, int stopfd,
              fd_set *rd, fd_set *wr)
{
	int maxfd = listener > stopfd ? listener : stopfd;

	FD_SET(stopfd, rd);
	if (listener >= 0)
		FD_SET(listener, rd);
	for (int i = 0; i < nconns; i++) {
		const struct conn *c = conns[i];
		if (!c)
			continue;
		FD_SET(c->fd, rd);
		FD_SET(c->fd, wr);
	}
	return maxfd;
}
