/*
 * event2/listener.h - evconnlistener: accept connections on a listening
 * socket and hand each one to a callback, as in libevent 2.1.
 *
 * Introduced in chapter 15 (listener). A server's accept loop is the same
 * in every program: wait until the listening socket is readable, accept()
 * what is queued, make each new socket non-blocking, give it to the code
 * that serves it. An evconnlistener is that loop, written once:
 *  - evconnlistener_new_bind() makes, binds and listens on a socket;
 *    evconnlistener_new() wraps one the program made itself.
 *  - Its callback (evconnlistener_cb) receives each accepted descriptor,
 *    already non-blocking, and owns it from then on.
 *  - evconnlistener_disable() / _enable() stop and restart accepting;
 *    connections that arrive meanwhile wait in the kernel's queue.
 *  - evconnlistener_free() ends it; safe from its own callbacks.
 *
 * One wakeup of the loop accepts at most 32 connections (libevent accepts
 * until the queue is empty); the others are taken at the next iteration,
 * after the loop has run the callbacks of connections already open.
 *
 * Running out of descriptors (EMFILE, ENFILE): here minievent differs from
 * libevent on purpose. libevent calls the error callback and keeps waiting
 * for readability; the socket stays readable (the connection is still
 * queued), so the loop wakes at once, accept() fails again, and the server
 * spins at 100% CPU until a descriptor frees up. minievent calls the error
 * callback too (or logs one warning if there is none), then stops
 * accepting for LEV_RETRY_MS milliseconds and tries again, until accept()
 * works: the queued clients are served then, and the loop sleeps in
 * between. See evconnlistener_set_error_cb() and lib/listener.c.
 *
 * Threads: minievent has no locks; a listener is used from the thread
 * running its base (see LEV_OPT_THREADSAFE).
 */
#ifndef EVENT2_LISTENER_H_INCLUDED_
#define EVENT2_LISTENER_H_INCLUDED_

#include <event2/event.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sockaddr;

/** A listener. Opaque; create it with evconnlistener_new_bind() or
 * evconnlistener_new(). */
struct evconnlistener;

/**
 * Called once per accepted connection.
 *
 * @param listener the listener that accepted it.
 * @param fd the new connection. The callback owns it: it must close it
 *        (or give it to something that will, such as a bufferevent made
 *        with BEV_OPT_CLOSE_ON_FREE). Non-blocking unless the listener has
 *        LEV_OPT_LEAVE_SOCKETS_BLOCKING; close-on-exec if it has
 *        LEV_OPT_CLOSE_ON_EXEC.
 * @param addr the peer's address, valid only during the call.
 * @param socklen the length of addr.
 * @param arg the pointer given to evconnlistener_new*() or
 *        evconnlistener_set_cb().
 *
 * The callback may call any function of this header on its own listener,
 * evconnlistener_free() included.
 */
typedef void (*evconnlistener_cb)(struct evconnlistener *listener,
                                  evutil_socket_t fd, struct sockaddr *addr,
                                  int socklen, void *arg);

/**
 * Called when accept() fails with an error that retrying at once cannot
 * cure: anything but EAGAIN, EINTR and ECONNABORTED. Typically EMFILE
 * (this process is out of descriptors) or ENFILE (the whole system is).
 * The error is in errno, also readable as EVUTIL_SOCKET_ERROR(), during the
 * call.
 *
 * @param listener the listener; the callback may disable or free it.
 * @param arg the same pointer the connection callback receives.
 */
typedef void (*evconnlistener_errorcb)(struct evconnlistener *listener,
                                       void *arg);

/* Flags for evconnlistener_new*(), or-ed together (values as in
 * libevent). */

/** Leave accepted sockets blocking (by default they are made
 * non-blocking, with accept4()'s SOCK_NONBLOCK). */
#define LEV_OPT_LEAVE_SOCKETS_BLOCKING (1u << 0)
/** evconnlistener_free() closes the listening socket. Without it the
 * socket stays open and belongs to the caller. */
#define LEV_OPT_CLOSE_ON_FREE          (1u << 1)
/** Close-on-exec: the listening socket (evconnlistener_new_bind() only;
 * evconnlistener_new() leaves the caller's socket as it is) and every
 * accepted socket, so that a program started with exec() inherits none. */
#define LEV_OPT_CLOSE_ON_EXEC          (1u << 2)
/** SO_REUSEADDR on the listening socket (evconnlistener_new_bind()): a
 * restarted server can bind its port again while old connections linger
 * in TIME_WAIT. */
#define LEV_OPT_REUSEABLE              (1u << 3)
/** libevent then locks the listener, but only once evthread_use_*() has
 * installed a lock implementation; without that call the flag is
 * accepted and has no effect. minievent has no threads support yet (a
 * later chapter): accepted, no effect, exactly that libevent case. */
#define LEV_OPT_THREADSAFE             (1u << 4)
/** Create the listener disabled: nothing is accepted until
 * evconnlistener_enable(). */
#define LEV_OPT_DISABLED               (1u << 5)
/** TCP_DEFER_ACCEPT on the listening socket (evconnlistener_new_bind()):
 * the kernel hands a connection over only when its first data has
 * arrived, for protocols where the client speaks first. A client that
 * connects and stays silent is not seen until it sends, or until the
 * kernel stops waiting (about a second: libevent asks for 1 s). */
#define LEV_OPT_DEFERRED_ACCEPT        (1u << 6)
/** SO_REUSEPORT on the listening socket (evconnlistener_new_bind()):
 * several sockets, each with this option, may bind the same address and
 * port; the kernel spreads new connections among them. */
#define LEV_OPT_REUSEABLE_PORT         (1u << 7)
/** IPV6_V6ONLY on an IPv6 listening socket (evconnlistener_new_bind()):
 * it accepts IPv6 clients only, not IPv4 ones as ::ffff:a.b.c.d. */
#define LEV_OPT_BIND_IPV6ONLY          (1u << 8)

/** minievent only: how long accepting pauses after an accept() error,
 * in milliseconds (see the top of this header). */
#define LEV_RETRY_MS 100

/**
 * Makes a listener for a socket the caller created and bound.
 *
 * @param base the loop that will run the callbacks.
 * @param cb the connection callback. NULL: nothing is accepted until
 *        evconnlistener_set_cb() gives one.
 * @param ptr passed to cb and to the error callback.
 * @param flags LEV_OPT_* flags. Of the socket options, only those that act
 *        on accepted sockets apply here (LEAVE_SOCKETS_BLOCKING,
 *        CLOSE_ON_EXEC); the others are for evconnlistener_new_bind().
 * @param backlog the length of the kernel's queue of connections not yet
 *        accepted, as listen() takes it. -1: a sensible default (128, as
 *        libevent). 0: the socket is already listening; listen() is not
 *        called.
 * @param fd the socket: bound, and non-blocking (the listener does not
 *        change it; with a blocking socket the accept loop would block
 *        when the queue is empty).
 * @return the listener, enabled unless flags has LEV_OPT_DISABLED, or NULL
 *         with errno set: listen() failed, the loop could not watch fd
 *         (libevent ignores that case), or out of memory. On failure fd is
 *         left open, whatever the flags.
 */
struct evconnlistener *evconnlistener_new(struct event_base *base,
                                          evconnlistener_cb cb, void *ptr,
                                          unsigned flags, int backlog,
                                          evutil_socket_t fd);

/**
 * Makes a TCP listening socket for an address, and a listener on it. The
 * socket is non-blocking, has SO_KEEPALIVE (inherited by accepted sockets
 * on Linux, as with libevent), and the socket options that flags ask for.
 *
 * @param sa the address to bind, e.g. 127.0.0.1 port 0 for a port the
 *        kernel chooses (read it back with getsockname() on
 *        evconnlistener_get_fd()).
 * @param socklen the length of *sa.
 * @param backlog as for evconnlistener_new(), except that 0 is refused
 *        (the new socket cannot already be listening).
 * @return the listener, or NULL with errno set: backlog 0 (EINVAL; libevent
 *         leaves errno as it was), sa NULL (EAFNOSUPPORT), the address in
 *         use (EADDRINUSE), a socket option the system refuses, or the
 *         reasons of evconnlistener_new(). On failure the socket is closed.
 */
struct evconnlistener *evconnlistener_new_bind(struct event_base *base,
                                               evconnlistener_cb cb, void *ptr,
                                               unsigned flags, int backlog,
                                               const struct sockaddr *sa,
                                               int socklen);

/**
 * Stops the listener and frees it; with LEV_OPT_CLOSE_ON_FREE it also
 * closes the listening socket. Connections already accepted belong to
 * their callbacks and stay open. Safe from the listener's own callbacks:
 * the rest of that round of accepts is then dropped (the connections stay
 * queued in the kernel until the socket is closed).
 */
void evconnlistener_free(struct evconnlistener *lev);

/**
 * Starts accepting again after evconnlistener_disable() or
 * LEV_OPT_DISABLED. With no connection callback set, it only records the
 * wish: accepting starts when evconnlistener_set_cb() gives one. During a
 * pause after an accept() error it does not cut the pause short.
 *
 * @return 0, or -1 if the loop could not watch the socket.
 */
int evconnlistener_enable(struct evconnlistener *lev);

/**
 * Stops accepting: new connections wait in the kernel's queue (up to the
 * backlog) until evconnlistener_enable(). Called from the connection
 * callback, it also ends the current round of accepts. Called during a
 * pause after an accept() error, it cancels the retry: the listener stays
 * disabled.
 *
 * @return 0, or -1 if the loop could not stop watching the socket.
 */
int evconnlistener_disable(struct evconnlistener *lev);

/** @return the base the listener runs on. */
struct event_base *evconnlistener_get_base(struct evconnlistener *lev);

/** @return the listening socket. */
evutil_socket_t evconnlistener_get_fd(struct evconnlistener *lev);

/**
 * Replaces the connection callback and its argument (the error callback
 * gets the new argument too). Setting one on a listener that had none
 * starts accepting, if the listener is enabled.
 *
 * Pitfall, as in libevent: setting NULL does not stop accepting. A
 * connection that arrives while the callback is NULL is accepted and
 * closed at once. To stop accepting, call evconnlistener_disable().
 */
void evconnlistener_set_cb(struct evconnlistener *lev, evconnlistener_cb cb,
                           void *arg);

/**
 * Sets the callback for accept() errors (NULL: none). It is called for
 * each accept() that fails with an error other than EAGAIN, EINTR and
 * ECONNABORTED, with errno set, as in libevent.
 *
 * Then, unless the callback disabled or freed the listener, minievent
 * pauses: it stops accepting for LEV_RETRY_MS ms and tries again, until an
 * accept() succeeds; so during a long shortage the callback runs about 10
 * times a second, where libevent calls it in a busy loop. Without an error
 * callback, minievent logs one warning (event_set_log_callback()) per
 * shortage, where libevent logs every failed accept(). The callback can
 * help the shortage end: close idle connections, or disable the listener
 * and enable it when the load has dropped.
 */
void evconnlistener_set_error_cb(struct evconnlistener *lev,
                                 evconnlistener_errorcb errorcb);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_LISTENER_H_INCLUDED_ */
