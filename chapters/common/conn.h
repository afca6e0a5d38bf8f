/*
 * conn.h - one non-blocking ROT13 client: what the servers of chapters 05-09
 * keep per connection.
 *
 * Introduced in chapter 05 (nonblocking-io). A non-blocking server cannot
 * park in recv() or send() for one client, so each client's progress lives
 * in a struct conn instead of on a stack: the line being assembled, the
 * answers not yet sent, and whether the client has half-closed. The servers
 * differ only in how they learn that a descriptor is ready (busy polling,
 * select, poll, epoll); they all call these functions when it is.
 *
 * Memory stays bounded: conn_read() reads only while the output buffer has
 * room for the worst-case answers to what it reads. A client that never
 * reads its answers fills the buffer, and then the server stops reading
 * from it: the kernel's buffers fill and the client's sends block.
 *
 * Interface:
 *  - conn_new(), conn_free()
 *  - conn_read():  recv until EAGAIN or no room; answers go to the buffer
 *  - conn_write(): send pending answers until done or EAGAIN
 *  - conn_wants_read(), conn_wants_write(), conn_done(): what to wait for
 */
#ifndef COMMON_CONN_H_INCLUDED_
#define COMMON_CONN_H_INCLUDED_

#include <stddef.h>

#include "rot13.h"

#define CONN_RECV_SIZE 4096
#define CONN_OUT_CAP   (32 * 1024)

struct conn {
	int fd;
	int eof;        /* the client has half-closed (recv returned 0) */
	int drained;    /* the last recv() said EAGAIN: nothing left */
	size_t out_off; /* out[out_off .. out_len) is still to send */
	size_t out_len;
	struct rot13_line line;
	char out[CONN_OUT_CAP];
};

/* Allocates a conn for fd, which must already be non-blocking. NULL if out
 * of memory. The conn owns fd from now on. */
struct conn *conn_new(int fd);

/* Closes the descriptor and frees the conn. */
void conn_free(struct conn *c);

/*
 * Reads what has arrived, as long as the output buffer has room for the
 * answers, and turns it into answers. Stops at EAGAIN (sets c->drained), at
 * EOF (sets c->eof and answers an unterminated last line) or when out of
 * room (more may be waiting in the kernel: c->drained stays 0). Returns 0,
 * or -1 if the connection failed and should be closed at once.
 */
int conn_read(struct conn *c);

/* Sends pending answers until all are sent or send() says EAGAIN. Returns
 * 0, or -1 if the connection failed (e.g. the client reset it). */
int conn_write(struct conn *c);

/* Nonzero if reading makes sense: no EOF yet and room for more answers. */
int conn_wants_read(const struct conn *c);

/* Nonzero while answers wait to be sent. */
int conn_wants_write(const struct conn *c);

/* Nonzero when the client has half-closed and has every answer: close. */
int conn_done(const struct conn *c);

#endif /* COMMON_CONN_H_INCLUDED_ */
