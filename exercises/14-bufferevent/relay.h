/*
 * relay.h - exercise 14: a two-way relay, the heart of a TCP proxy, with
 * flow control (chapter 14, "Backpressure").
 *
 * relay_new(base, a, b, done, arg) joins two connected sockets: every byte
 * read from one is written to the other, in order, both ways, by a
 * bufferevent on each. The relay owns both sockets from then on.
 *
 * Flow control, the promise the exercise is about: when one side does not
 * read, the relay stops reading from the other side once RELAY_MAX bytes
 * wait for the slow one, and reads again once they have drained to
 * RELAY_MAX / 2. So at most about RELAY_MAX bytes (plus what one read
 * brings) are ever held for either direction, however fast the sender:
 * the sender's kernel buffers fill and the sender itself has to wait.
 *
 * Closing: when either side ends (EOF) or fails, the relay stops reading,
 * still writes to each side every byte it owes that side (a failed side is
 * owed nothing), then frees both bufferevents, closing both sockets, and
 * calls done(r, arg) once. relay_free() frees the rest; it may be called at
 * any time (after done, or to abandon the relay), but not from inside done.
 */
#ifndef EXERCISE_RELAY_H_INCLUDED_
#define EXERCISE_RELAY_H_INCLUDED_

#include <event2/event.h>

#define RELAY_MAX (64 * 1024)

struct relay;

typedef void (*relay_done_cb)(struct relay *r, void *arg);

/* a and b: connected, non-blocking sockets. Returns the relay, or NULL if
 * it could not be made (both sockets are closed then). */
struct relay *relay_new(struct event_base *base, evutil_socket_t a,
                        evutil_socket_t b, relay_done_cb done, void *arg);

void relay_free(struct relay *r);

#endif /* EXERCISE_RELAY_H_INCLUDED_ */
