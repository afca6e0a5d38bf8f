/*
 * event2/bufferevent.h - minievent's bufferevents: buffered, callback-driven
 * I/O on top of the event loop, following libevent 2.1's
 * event2/bufferevent.h.
 *
 * Introduced in chapter 14 (bufferevent). A program written for libevent's
 * event2/bufferevent.h compiles against this header unchanged: the names,
 * types, constants and their values, and the behaviour are libevent
 * 2.1.12's. Where minievent differs, the comment of the function says so
 * (see also notes/libevent-api-map.md).
 *
 * The model:
 *  - A bufferevent is two evbuffers (event2/buffer.h) and the machinery
 *    that fills and empties them: an input buffer the library fills from
 *    the connection, and an output buffer it drains into the connection.
 *    You never call read(2) or write(2): you take bytes from the input and
 *    add bytes to the output.
 *  - Three callbacks tell you what happened: the read callback after new
 *    input arrived (at least the read low watermark of it), the write
 *    callback after the output drained (down to the write low watermark),
 *    and the event callback for everything else: end of file, an error, a
 *    timeout, a finished connect (the BEV_EVENT_* flags).
 *  - Reading and writing are enabled or disabled separately. A new
 *    bufferevent writes (EV_WRITE enabled) but does not read until
 *    bufferevent_enable(bev, EV_READ). After an error, EOF or timeout in
 *    one direction, that direction is disabled (a failed connect
 *    excepted).
 *  - Two kinds exist: socket bufferevents (bufferevent_socket_new()) and
 *    pairs connected to each other in memory (bufferevent_pair_new()).
 *
 * Callbacks: a callback may call any function here on any bufferevent,
 * bufferevent_free() on its own included: a bufferevent holds a reference
 * on itself while it runs one of its callbacks, and its memory goes only
 * when the last reference is dropped. Callbacks run from the loop; a
 * function called from outside runs one itself only where its comment
 * says so (bufferevent_trigger(), bufferevent_trigger_event(), a failed
 * lookup in bufferevent_socket_connect_hostname()), and never with
 * BEV_OPT_DEFER_CALLBACKS.
 *
 * Not provided (libevent has them): filtering bufferevents
 * (bufferevent_filter_new), OpenSSL bufferevents, rate limiting
 * (ev_token_bucket_cfg, rate-limit groups), evdns (so
 * bufferevent_socket_connect_hostname() resolves by blocking), and
 * event2/bufferevent_struct.h (the structure is opaque here).
 *
 * Threads: minievent has no locks yet (chapter 18). BEV_OPT_THREADSAFE
 * makes creation fail, exactly as in libevent 2.1 when no
 * evthread_use_*() function was called first; a bufferevent must be used
 * from the thread that runs its base's loop.
 */
#ifndef EVENT2_BUFFEREVENT_H_INCLUDED_
#define EVENT2_BUFFEREVENT_H_INCLUDED_

#include <stddef.h>
#include <sys/time.h>
#include <sys/types.h>

#include <event2/util.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * What the event callback is told (values as in libevent). READING or
 * WRITING says which direction met the condition; then exactly one of EOF,
 * ERROR, TIMEOUT, or CONNECTED alone. Exactly these combinations come:
 *  - BEV_EVENT_READING|BEV_EVENT_EOF      the peer closed its side
 *  - BEV_EVENT_READING|BEV_EVENT_ERROR    read(2) failed (errno says why)
 *  - BEV_EVENT_WRITING|BEV_EVENT_ERROR    write(2) failed (EPIPE, ...)
 *  - BEV_EVENT_WRITING|BEV_EVENT_EOF      write(2) returned 0 (rare)
 *  - BEV_EVENT_READING|BEV_EVENT_TIMEOUT  nothing read for the read timeout
 *  - BEV_EVENT_WRITING|BEV_EVENT_TIMEOUT  nothing written for the write one
 *  - BEV_EVENT_CONNECTED                  a connect finished
 *  - BEV_EVENT_ERROR                      a connect, or the name lookup
 *                                         of connect_hostname, failed
 * With BEV_OPT_DEFER_CALLBACKS, conditions that happen before the callback
 * runs are or-ed together (CONNECTED is always delivered on its own).
 */
#define BEV_EVENT_READING   0x01 /* met while reading */
#define BEV_EVENT_WRITING   0x02 /* met while writing */
#define BEV_EVENT_EOF       0x10 /* end of file */
#define BEV_EVENT_ERROR     0x20 /* unrecoverable error: see errno */
#define BEV_EVENT_TIMEOUT   0x40 /* a timeout of bufferevent_set_timeouts() */
#define BEV_EVENT_CONNECTED 0x80 /* a connect finished */

/** A bufferevent. Opaque. */
struct bufferevent;
struct event_base;
struct evbuffer;
struct sockaddr;

/**
 * A read or write callback.
 *
 * @param bev the bufferevent.
 * @param ctx the cbarg given to bufferevent_setcb().
 */
typedef void (*bufferevent_data_cb)(struct bufferevent *bev, void *ctx);

/**
 * An event callback.
 *
 * @param bev the bufferevent.
 * @param what BEV_EVENT_* flags: see their comment for the combinations.
 *        For BEV_EVENT_ERROR, errno (EVUTIL_SOCKET_ERROR()) holds the
 *        reason when the callback starts.
 * @param ctx the cbarg given to bufferevent_setcb().
 */
typedef void (*bufferevent_event_cb)(struct bufferevent *bev, short what,
                                     void *ctx);

/** Options for creating a bufferevent (values as in libevent). */
enum bufferevent_options {
	/** Close the socket when the bufferevent is freed. */
	BEV_OPT_CLOSE_ON_FREE = (1 << 0),
	/** Protect the bufferevent with a lock. minievent has no locks
	 * yet: creation fails (returns NULL or -1), as libevent's does
	 * when no evthread_use_*() function was called. */
	BEV_OPT_THREADSAFE = (1 << 1),
	/** Run the callbacks from the event loop, after the I/O that
	 * caused them, instead of from inside it (see
	 * bufferevent_socket_new()). */
	BEV_OPT_DEFER_CALLBACKS = (1 << 2),
	/** libevent: run deferred callbacks without holding the lock.
	 * Without locks it changes nothing, but it still requires
	 * BEV_OPT_DEFER_CALLBACKS: alone, creation fails. */
	BEV_OPT_UNLOCK_CALLBACKS = (1 << 3)
};

/* ------------------------------------------------------------------ */
/* Socket bufferevents                                                 */
/* ------------------------------------------------------------------ */

/**
 * Creates a bufferevent on a connected (or not yet connected) socket.
 *
 * The socket must be non-blocking (evutil_make_socket_nonblocking()); it
 * may be -1 if bufferevent_setfd() or bufferevent_socket_connect() gives
 * one later. libevent does not promise that a pipe works: use a socket.
 *
 * The new bufferevent has EV_WRITE enabled and EV_READ disabled, no
 * callbacks, no watermarks (0, 0), no timeouts.
 *
 * Callbacks normally run as soon as their cause is seen: the read callback
 * from inside the loop's handling of the readable socket, right after the
 * read. With BEV_OPT_DEFER_CALLBACKS they run later from the loop instead
 * (see bufferevent_setcb()); that is safer when callbacks of several
 * bufferevents call each other.
 *
 * @param base the loop that will run its events and callbacks.
 * @param fd the socket, or -1.
 * @param options an or-ed set of BEV_OPT_* flags.
 * @return the bufferevent, owned by the caller (bufferevent_free()); NULL
 *         if out of memory or if the options are refused
 *         (BEV_OPT_THREADSAFE; BEV_OPT_UNLOCK_CALLBACKS without
 *         BEV_OPT_DEFER_CALLBACKS). The socket is not closed on failure.
 */
struct bufferevent *bufferevent_socket_new(struct event_base *base,
                                           evutil_socket_t fd, int options);

/**
 * Starts a non-blocking connect on a socket bufferevent. The event
 * callback receives BEV_EVENT_CONNECTED when it succeeds, or
 * BEV_EVENT_ERROR (errno: ECONNREFUSED, ETIMEDOUT...) when it fails; a
 * failed connect leaves the enabled flags as they were but stops watching
 * the socket. Data written before the connection is made waits in the
 * output buffer and is sent once it is.
 *
 * If the bufferevent has no socket yet, a non-blocking TCP socket of
 * addr's family is created (and closed with the bufferevent if
 * BEV_OPT_CLOSE_ON_FREE). If addr is NULL, the socket the bufferevent
 * already has is taken to be connecting already: CONNECTED is reported
 * when it becomes writable.
 *
 * The connect is watched whether or not EV_WRITE is enabled; a refusal
 * seen at once (a Unix socket) is still reported from the loop.
 *
 * @param addr, socklen the address to connect to, or NULL and 0.
 * @return 0 if the connect is under way (or already failed, to be
 *         reported), -1 if it could not be started: no socket and no
 *         address, socket() or connect() failed at once, or bev is not a
 *         socket bufferevent.
 */
int bufferevent_socket_connect(struct bufferevent *bev,
                               const struct sockaddr *addr, int socklen);

struct evdns_base;

/**
 * Resolves hostname and connects to it, as bufferevent_socket_connect().
 *
 * minievent has no evdns: the name is resolved with getaddrinfo(3), which
 * blocks the whole loop while DNS answers, as libevent does when
 * evdns_base is NULL. A numeric address ("127.0.0.1", "::1") is tried
 * first with AI_NUMERICHOST and never blocks. Brackets ("[::1]") are not
 * accepted, as in libevent 2.1 with a NULL evdns_base. The first address
 * found is used.
 *
 * If the lookup fails, the event callback receives BEV_EVENT_ERROR, from
 * inside this call (or deferred with BEV_OPT_DEFER_CALLBACKS), and
 * bufferevent_socket_get_dns_error() tells why; the function still
 * returns 0, as libevent's does.
 *
 * @param evdns_base must be NULL (minievent has no struct evdns_base).
 * @param family AF_INET, AF_INET6 or AF_UNSPEC (either).
 * @param port 1 to 65535.
 * @return 0 if the lookup was made (whatever its result), -1 if the
 *         arguments are invalid.
 */
int bufferevent_socket_connect_hostname(struct bufferevent *bev,
                                        struct evdns_base *evdns_base,
                                        int family, const char *hostname,
                                        int port);

/**
 * @return the result of the last lookup of
 *         bufferevent_socket_connect_hostname(): 0 if it succeeded (or
 *         none was made), else an EVUTIL_EAI_* code (evutil_gai_strerror()
 *         gives its text).
 */
int bufferevent_socket_get_dns_error(struct bufferevent *bev);

/**
 * Moves a socket bufferevent to another base. Only while nothing of it is
 * pending: disable reading and writing first.
 *
 * @return 0, or -1 if bev is not a socket bufferevent or is pending.
 */
int bufferevent_base_set(struct event_base *base, struct bufferevent *bev);

/* ------------------------------------------------------------------ */
/* Every bufferevent                                                   */
/* ------------------------------------------------------------------ */

/** @return the base the bufferevent runs on. */
struct event_base *bufferevent_get_base(struct bufferevent *bev);

/**
 * Sets the priority of a socket bufferevent's events (0 runs first; see
 * event_priority_set()), and of its deferred callbacks.
 *
 * @return 0, or -1 if bev is a pair, priority is out of range, or one of
 *         its events is active (its callback is due) at the moment.
 */
int bufferevent_priority_set(struct bufferevent *bev, int priority);

/** @return the priority of the bufferevent's events. */
int bufferevent_get_priority(const struct bufferevent *bev);

/**
 * Releases the bufferevent. Its callbacks are cleared at once: none will
 * run after this call returns (one that is running finishes).
 *
 * Pending output is NOT sent: what the output buffer still holds is
 * dropped, as in libevent. To close a connection after the last reply,
 * wait for the write callback (output drained), then free.
 *
 * With BEV_OPT_CLOSE_ON_FREE the socket is closed. The memory and the
 * socket go as soon as no callback of the bufferevent is running (and no
 * reference taken with bufferevent_incref() remains): from outside its
 * callbacks, before this call returns (libevent waits until its loop runs
 * once more); from inside one, when that callback returns.
 * Safe from any callback, the bufferevent's own included. A pair's partner
 * is not told (no EOF; see bufferevent_pair_new()).
 */
void bufferevent_free(struct bufferevent *bev);

/**
 * Sets the callbacks; NULL for none. They replace the previous ones, and
 * a callback made due but not yet run (deferred) runs as the new one.
 *
 * When they run:
 *  - readcb: after bytes were added to the input buffer by the
 *    bufferevent, if the input then holds at least the read low
 *    watermark. Only new input triggers it: bytes left in the buffer do
 *    not call it again (except at the high watermark, see
 *    bufferevent_setwatermark()).
 *  - writecb: after the bufferevent wrote some output, if the output then
 *    holds at most the write low watermark (0 by default: "everything was
 *    sent"); also once when EV_WRITE is enabled, or a connect completes,
 *    with the output already that small.
 *  - eventcb: see BEV_EVENT_*.
 *
 * @param cbarg passed to each callback; the bufferevent does not own it.
 */
void bufferevent_setcb(struct bufferevent *bev, bufferevent_data_cb readcb,
                       bufferevent_data_cb writecb,
                       bufferevent_event_cb eventcb, void *cbarg);

/**
 * Reads the callbacks and their argument. Any pointer may be NULL to skip
 * that value.
 */
void bufferevent_getcb(struct bufferevent *bev, bufferevent_data_cb *readcb_ptr,
                       bufferevent_data_cb *writecb_ptr,
                       bufferevent_event_cb *eventcb_ptr, void **cbarg_ptr);

/**
 * Gives a socket bufferevent another socket (or -1 for none), and watches
 * it as the enabled flags say. The old socket is not closed. The events'
 * priority returns to the default, as in libevent.
 *
 * @return 0, or -1 if bev is a pair.
 */
int bufferevent_setfd(struct bufferevent *bev, evutil_socket_t fd);

/** @return the socket of a socket bufferevent, or -1 (none, or a pair). */
evutil_socket_t bufferevent_getfd(struct bufferevent *bev);

/** @return NULL: only filtering bufferevents, which minievent does not
 *          have, wrap another. */
struct bufferevent *bufferevent_get_underlying(struct bufferevent *bev);

/**
 * Appends size bytes of data to the output buffer; the bufferevent sends
 * them when it can (if EV_WRITE is enabled). The data is copied.
 *
 * @return 0, or -1 if out of memory.
 */
int bufferevent_write(struct bufferevent *bev, const void *data, size_t size);

/**
 * Moves all of buf to the end of the output buffer (without copying the
 * bytes); buf is left empty and still belongs to the caller.
 *
 * @return 0, or -1 on failure.
 */
int bufferevent_write_buffer(struct bufferevent *bev, struct evbuffer *buf);

/**
 * Removes up to size bytes from the front of the input buffer into data.
 *
 * @return the number of bytes copied (0 if the input is empty).
 */
size_t bufferevent_read(struct bufferevent *bev, void *data, size_t size);

/**
 * Moves all of the input buffer to the end of buf, without copying.
 *
 * @return 0, or -1 on failure.
 */
int bufferevent_read_buffer(struct bufferevent *bev, struct evbuffer *buf);

/**
 * @return the input buffer, owned by the bufferevent. Take bytes from its
 *         front with any evbuffer function; adding to it fails (its back
 *         is frozen: only the bufferevent fills it). You may add your own
 *         callbacks (evbuffer_add_cb()); do not free it.
 */
struct evbuffer *bufferevent_get_input(struct bufferevent *bev);

/**
 * @return the output buffer, owned by the bufferevent. Add bytes to its
 *         back with any evbuffer function; removing from it fails (its
 *         front is frozen: only the bufferevent drains it). Do not free
 *         it.
 */
struct evbuffer *bufferevent_get_output(struct bufferevent *bev);

/**
 * Starts reading (EV_READ) and/or writing (EV_WRITE). Enabling writing
 * with an empty output buffer calls the write callback once the socket is
 * writable (libevent's behaviour). Enabling restarts the direction's
 * timeout. Reading stays paused while the input is at its high watermark.
 *
 * @param event EV_READ, EV_WRITE or both.
 * @return 0, or -1 if the events could not be added to the loop.
 */
int bufferevent_enable(struct bufferevent *bev, short event);

/**
 * Stops reading and/or writing; data stays in the buffers. Disabling
 * EV_WRITE during a connect does not stop the connect from being watched.
 *
 * @return 0, or -1 on failure.
 */
int bufferevent_disable(struct bufferevent *bev, short event);

/** @return the enabled directions: EV_READ, EV_WRITE, both or 0. */
short bufferevent_get_enabled(struct bufferevent *bev);

/**
 * Sets a timeout for each direction (NULL: none). A direction's timeout
 * counts only while the bufferevent is trying to move data that way: for
 * reading while EV_READ is enabled (and not paused by the high watermark);
 * for writing while EV_WRITE is enabled and output waits. Each successful
 * read or write restarts it (so does bufferevent_enable()).
 *
 * When it expires, that direction is disabled and the event callback
 * receives BEV_EVENT_TIMEOUT|BEV_EVENT_READING (or WRITING). Enable it
 * again to keep waiting.
 *
 * @return 0, or -1 if a timer could not be added.
 */
int bufferevent_set_timeouts(struct bufferevent *bev,
                             const struct timeval *timeout_read,
                             const struct timeval *timeout_write);

/**
 * Sets the watermarks of one or both directions.
 *
 * Read (EV_READ): the read callback waits until the input holds at least
 * lowmark bytes. With highmark nonzero, the bufferevent stops reading when
 * the input holds highmark bytes (it never reads past it) and resumes by
 * itself as soon as the input drops below it, however it was drained: a
 * peer that sends faster than you consume is held back by TCP flow
 * control instead of growing your memory.
 *
 * Caution (libevent 2.1.11 and later, and minievent): while reading is
 * enabled and the input stays at or above highmark after the read
 * callback returns, the read callback is called again on every iteration
 * of the loop, so that a program that consumes only part of the input
 * is not left waiting forever. A read callback that does not drain must
 * therefore disable EV_READ, or the loop spins.
 *
 * Write (EV_WRITE): the write callback runs when the output drains to
 * lowmark bytes or fewer; highmark is stored but unused (libevent uses it
 * for filters only).
 *
 * @param events EV_READ, EV_WRITE or both.
 * @param lowmark, highmark bytes; highmark 0 means no high watermark.
 */
void bufferevent_setwatermark(struct bufferevent *bev, short events,
                              size_t lowmark, size_t highmark);

/**
 * Reads the watermarks of one direction. Either pointer may be NULL.
 *
 * @param events exactly EV_READ or EV_WRITE.
 * @return 0, or -1 if events is anything else.
 */
int bufferevent_getwatermark(struct bufferevent *bev, short events,
                             size_t *lowmark, size_t *highmark);

/**
 * libevent locks the bufferevent if it has a lock. A minievent
 * bufferevent never has one (BEV_OPT_THREADSAFE is refused): these do
 * nothing, as libevent's do on a bufferevent without a lock.
 */
void bufferevent_lock(struct bufferevent *bev);
/** See bufferevent_lock(). */
void bufferevent_unlock(struct bufferevent *bev);

/**
 * Takes one more reference on the bufferevent, for code that keeps a
 * pointer to it somewhere the library does not know. Each must be matched
 * by bufferevent_decref(); bufferevent_free() drops the creator's.
 */
void bufferevent_incref(struct bufferevent *bev);

/**
 * Drops a reference taken with bufferevent_incref(). When the last one
 * goes (bufferevent_free() already called), the bufferevent is freed.
 *
 * @return 1 if that was the last reference, else 0.
 */
int bufferevent_decref(struct bufferevent *bev);

/** How bufferevent_flush() should push data (values as in libevent). */
enum bufferevent_flush_mode {
	/** Move data as usual. */
	BEV_NORMAL = 0,
	/** Move all data, ignoring the watermarks. */
	BEV_FLUSH = 1,
	/** As BEV_FLUSH, then signal the end of the stream. */
	BEV_FINISHED = 2
};

/**
 * Pushes buffered data onward now.
 *
 * Socket bufferevents: does nothing and returns 0, as in libevent (the
 * socket is written whenever it is writable anyway).
 *
 * Pairs: with BEV_FLUSH or BEV_FINISHED, moves all pending data between
 * the two sides in the directions asked (EV_WRITE: this side's output to
 * the partner; EV_READ: the partner's output to this side), ignoring the
 * high watermark and whether each side reads. BEV_FINISHED then gives the
 * partner's event callback BEV_EVENT_EOF, with BEV_EVENT_READING for
 * EV_WRITE and BEV_EVENT_WRITING for EV_READ. BEV_NORMAL does nothing.
 *
 * @param iotype EV_READ, EV_WRITE or both.
 * @return 0, or -1 for a pair whose partner was freed.
 */
int bufferevent_flush(struct bufferevent *bev, short iotype,
                      enum bufferevent_flush_mode mode);

/** Options for bufferevent_trigger() and bufferevent_trigger_event(). */
enum bufferevent_trigger_options {
	/** Run the callback whatever the watermarks say. */
	BEV_TRIG_IGNORE_WATERMARKS = (1 << 16),
	/** Run it deferred, even without BEV_OPT_DEFER_CALLBACKS. */
	BEV_TRIG_DEFER_CALLBACKS = BEV_OPT_DEFER_CALLBACKS
};

/**
 * Runs the read and/or write callback as if data had just moved: the read
 * callback if the input holds at least the read low watermark, the write
 * callback if the output holds at most the write low watermark (or both
 * regardless, with BEV_TRIG_IGNORE_WATERMARKS).
 *
 * @param iotype EV_READ, EV_WRITE or both.
 * @param options BEV_TRIG_* flags.
 */
void bufferevent_trigger(struct bufferevent *bev, short iotype, int options);

/**
 * Runs the event callback with what (BEV_EVENT_* flags), now or, with
 * BEV_TRIG_DEFER_CALLBACKS (or BEV_OPT_DEFER_CALLBACKS), from the loop.
 */
void bufferevent_trigger_event(struct bufferevent *bev, short what,
                               int options);

/**
 * Creates two bufferevents joined in memory, like the two ends of a
 * socketpair(2) with no socket: what one side writes appears in the
 * other's input, within the reader's high watermark, and only while the
 * reader has EV_READ enabled (the rest waits in the writer's output).
 *
 * Callbacks of pairs are always deferred (BEV_OPT_DEFER_CALLBACKS is
 * added), as in libevent. Timeouts work as for sockets, counting from
 * enable and from each transfer.
 *
 * Freeing one side does not tell the other: no EOF arrives, its
 * bufferevent_pair_get_partner() returns NULL, bytes it writes stay in
 * its output. Send the end explicitly with bufferevent_flush(bev,
 * EV_WRITE, BEV_FINISHED) before freeing (libevent behaves the same).
 *
 * @param options BEV_OPT_* flags for both sides.
 * @param pair receives the two bufferevents, each owned by the caller
 *        (bufferevent_free() each).
 * @return 0, or -1 if out of memory or the options are refused (see
 *         bufferevent_socket_new()).
 */
int bufferevent_pair_new(struct event_base *base, int options,
                         struct bufferevent *pair[2]);

/**
 * @return the other side of a pair, or NULL if it was freed or bev is not
 *         part of a pair.
 */
struct bufferevent *bufferevent_pair_get_partner(struct bufferevent *bev);

/**
 * Bounds how many bytes one read (one readiness of the socket) may bring
 * into the input. 0 restores the default, 16384 bytes. Each read is
 * also bounded by the high watermark and by evbuffer_read()'s own limit.
 *
 * @return 0.
 */
int bufferevent_set_max_single_read(struct bufferevent *bev, size_t size);

/**
 * Bounds how many bytes one write may take from the output. 0 restores
 * the default, 16384 bytes.
 *
 * @return 0.
 */
int bufferevent_set_max_single_write(struct bufferevent *bev, size_t size);

/** @return the limit of bufferevent_set_max_single_read(). */
ev_ssize_t bufferevent_get_max_single_read(struct bufferevent *bev);

/** @return the limit of bufferevent_set_max_single_write(). */
ev_ssize_t bufferevent_get_max_single_write(struct bufferevent *bev);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_BUFFEREVENT_H_INCLUDED_ */
