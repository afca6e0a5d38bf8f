/*
 * et_serve.c - exercise 09-epoll-et, the reference solution.
 *
 * conn_read() already reads until EAGAIN (or until the output buffer has
 * no room); conn_write() sends until EAGAIN. What edge triggering adds is
 * the bookkeeping after them: who will call us next. A new edge comes only
 * for a change, so:
 *  - recv() said EAGAIN (c->drained): the next bytes are an edge. WAIT.
 *  - the output is full: conn_read() stopped early, but send() said EAGAIN
 *    too, and freed buffer space is an EPOLLOUT edge. WAIT.
 *  - otherwise bytes are waiting that no edge will announce: go round
 *    again, and once `rounds` are used up, ask to be called next turn
 *    (MORE) so that the other clients get their turn first.
 */
#include "et_serve.h"

enum et_result
et_serve(struct conn *c, int rounds)
{
	for (int i = 0; i < rounds; i++) {
		if (conn_wants_read(c) && conn_read(c) < 0)
			return ET_CLOSE;
		if (conn_wants_write(c) && conn_write(c) < 0)
			return ET_CLOSE;
		if (conn_done(c))
			return ET_CLOSE;
		if (!conn_wants_read(c) || c->drained)
			return ET_WAIT;
	}
	return ET_MORE;
}
