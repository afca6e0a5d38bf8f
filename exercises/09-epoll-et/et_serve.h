/*
 * et_serve.h - exercise 09-epoll-et: the per-connection handler of an
 * edge-triggered server.
 *
 * An edge-triggered server (chapter 09's rot13_epoll_et, whose own
 * serve_client() keeps this contract) registers each client once with
 * EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET and calls et_serve() whenever
 * epoll reports the client, and again on its next turn for every client
 * that et_serve() said had more to do (its ready list):
 *
 *	switch (et_serve(c, ET_ROUNDS)) {
 *	case ET_WAIT:  break;                  next edge will call us again
 *	case ET_MORE:  ready_list_append(c);   call again next turn, edge
 *	               break;                  or no edge
 *	case ET_CLOSE: conn_free(c);           finished or failed
 *	               break;
 *	}
 *
 * Edge-triggered means epoll reports a client only when something changes:
 * new bytes arrive, or send-buffer space frees up after a send() that said
 * EAGAIN. Bytes that were already waiting when et_serve() returned are not
 * reported again. So et_serve() must not return ET_WAIT while input it
 * could read now is waiting in the kernel, and it must not run for ever
 * either: a client that keeps sending would starve all the others.
 */
#ifndef EXERCISE_ET_SERVE_H_INCLUDED_
#define EXERCISE_ET_SERVE_H_INCLUDED_

#include "conn.h" /* chapters/common: struct conn, conn_read, conn_write */

#define ET_ROUNDS 4 /* what the server passes as rounds */

enum et_result {
	ET_WAIT,  /* nothing to do until the next edge */
	ET_MORE,  /* rounds used up, and input is known to be waiting */
	ET_CLOSE, /* the client is done (EOF, all answered) or failed */
};

/*
 * Serves c: reads what has arrived and sends the answers, as many times as
 * it takes, but at most `rounds` times (one round = read, then write).
 * Returns:
 *  - ET_CLOSE if the client failed, or half-closed and has every answer;
 *  - ET_WAIT if only a new edge can bring more work: recv() said EAGAIN
 *    (c->drained), or the output buffer is full and send() said EAGAIN;
 *  - ET_MORE if `rounds` rounds are used up and input may still wait.
 */
enum et_result et_serve(struct conn *c, int rounds);

#endif /* EXERCISE_ET_SERVE_H_INCLUDED_ */
