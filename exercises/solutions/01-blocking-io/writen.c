/*
 * writen.c - exercise 01 (blocking-io), the reference solution.
 *
 * The loop the chapter's fetch.c and common/net.c's send_all() also use:
 * keep a pointer to what is left, advance it by what write() took, and
 * call again. EINTR means no byte was taken, so simply try again.
 */
#include <errno.h>
#include <unistd.h>

#include "writen.h"

ssize_t
writen(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	size_t left = n;

	while (left > 0) {
		ssize_t k = write(fd, p, left);
		if (k < 0) {
			if (errno == EINTR)
				continue; /* interrupted before any byte went */
			return -1;        /* errno says why */
		}
		p += k; /* a partial write: the rest goes next time */
		left -= (size_t)k;
	}
	return (ssize_t)n;
}
