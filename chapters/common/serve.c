/*
 * serve.c - one client, blocking calls (see serve.h). Chapter 01.
 */
#include <errno.h>
#include <sys/socket.h>

#include "net.h"
#include "rot13.h"
#include "serve.h"

#define RECV_SIZE 4096

void
rot13_serve(int fd)
{
	struct rot13_line line = {.len = 0};
	char in[RECV_SIZE], out[ROT13_OUT_MAX(RECV_SIZE)];
	ssize_t n = -1;

	/* wait_readable() returns 0 when a stop is requested, so Ctrl-C
	 * ends a connection even while its client is silent. */
	while (wait_readable(fd) > 0) {
		n = recv(fd, in, sizeof(in), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* 0: the client closed its side; <0: error */
		/* recv() returns whatever has arrived: part of a line, or
		 * many lines. rot13_feed() keeps the unfinished part. */
		size_t k = rot13_feed(&line, in, (size_t)n, out);
		if (send_all(fd, out, k) < 0)
			return;
	}
	if (n == 0) /* EOF: the last line may lack its '\n'; answer it */
		send_all(fd, out, rot13_flush(&line, out));
}
