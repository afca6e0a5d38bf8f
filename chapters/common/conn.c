/*
 * conn.c - one non-blocking ROT13 client (see conn.h). Chapter 05.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"

/* Room for the answers to one full recv(): see ROT13_OUT_MAX. */
#define ROOM_NEEDED ROT13_OUT_MAX(CONN_RECV_SIZE)

struct conn *
conn_new(int fd)
{
	struct conn *c = malloc(sizeof(*c));

	if (!c)
		return NULL;
	c->fd = fd;
	c->eof = 0;
	c->drained = 0;
	c->out_off = c->out_len = 0;
	c->line.len = 0;
	return c;
}

void
conn_free(struct conn *c)
{
	close(c->fd);
	free(c);
}

/* Moves unsent answers to the front of out, so the free room is in one
 * piece at the end. */
static void
conn_compact(struct conn *c)
{
	if (c->out_off == 0)
		return;
	memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
	c->out_len -= c->out_off;
	c->out_off = 0;
}

int
conn_wants_read(const struct conn *c)
{
	return !c->eof &&
	       CONN_OUT_CAP - (c->out_len - c->out_off) >= ROOM_NEEDED;
}

int
conn_wants_write(const struct conn *c)
{
	return c->out_off < c->out_len;
}

int
conn_done(const struct conn *c)
{
	return c->eof && !conn_wants_write(c);
}

int
conn_read(struct conn *c)
{
	char in[CONN_RECV_SIZE];

	conn_compact(c);
	while (conn_wants_read(c)) {
		ssize_t n = recv(c->fd, in, sizeof(in), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				c->drained = 1;
				return 0;
			}
			return -1; /* ECONNRESET and friends */
		}
		if (n == 0) {
			c->eof = 1;
			c->out_len +=
			        rot13_flush(&c->line, c->out + c->out_len);
			return 0;
		}
		c->drained = 0;
		c->out_len += rot13_feed(&c->line, in, (size_t)n,
		                         c->out + c->out_len);
	}
	return 0; /* out of room: the kernel may hold more for us */
}

int
conn_write(struct conn *c)
{
	while (conn_wants_write(c)) {
		ssize_t n = send(c->fd, c->out + c->out_off,
		                 c->out_len - c->out_off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1; /* EPIPE, ECONNRESET: the client is gone */
		}
		c->out_off += (size_t)n;
	}
	c->out_off = c->out_len = 0;
	return 0;
}
