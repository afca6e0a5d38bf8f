/*
 * et_serve.c - exercise 09-epoll-et: convert a level-triggered handler to
 * edge triggering without stalling (read et_serve.h first).
 *
 * As shipped, this is the handler of a level-triggered server: one recv()
 * per event, one send pass, done. Under level triggering that is correct,
 * for epoll reports the client again while bytes remain. Under edge
 * triggering it stalls: a client that sends 64 KiB at once gets 4 KiB
 * read, and no further edge comes for the rest. Make it keep the promise
 * of et_serve.h; `make check` tells you what still fails.
 */
#include <errno.h>
#include <sys/socket.h>

#include "et_serve.h"

/* One recv(), its answers appended to c->out. Returns -1 on a failed
 * connection. (conn_read() in chapters/common/conn.c reads more.) */
static int
read_once(struct conn *c)
{
	char in[CONN_RECV_SIZE];
	ssize_t n = recv(c->fd, in, sizeof(in), 0);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (n == 0) {
		c->eof = 1;
		c->out_len += rot13_flush(&c->line, c->out + c->out_len);
		return 0;
	}
	c->out_len += rot13_feed(&c->line, in, (size_t)n, c->out + c->out_len);
	return 0;
}

enum et_result
et_serve(struct conn *c, int rounds)
{
	(void)rounds;
	if (conn_wants_read(c) && read_once(c) < 0)
		return ET_CLOSE;
	if (conn_wants_write(c) && conn_write(c) < 0)
		return ET_CLOSE;
	return conn_done(c) ? ET_CLOSE : ET_WAIT;
}
