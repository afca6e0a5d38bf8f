/*
 * listener.c - evconnlistener: the accept loop of a server, written once
 * (event2/listener.h).
 *
 * Introduced in chapter 15. A struct evconnlistener is two events and the
 * user's callbacks: accept_ev, a persistent EV_READ event on the listening
 * socket, whose callback accepts up to LISTENER_MAX_ACCEPTS connections
 * per wakeup (the event is level-triggered, so connections left over wake
 * the loop again); and retry_ev, a timer that is pending only while
 * accepting is paused after an accept() error.
 *
 * Interface: every function of event2/listener.h.
 *
 * Callbacks may free the listener. It carries a reference count: 1 for the
 * user, plus 1 while one of its callbacks runs; evconnlistener_free() drops
 * the user's reference, and whoever drops the last one frees the memory.
 *
 * Out of descriptors, why pause rather than keep a reserved descriptor
 * (the other known cure: hold one spare open descriptor, and on EMFILE
 * close it, accept, close the connection, reopen the spare):
 *  1. Pausing loses no client. The reserve trick can only accept a
 *     connection in order to close it; a paused listener leaves clients in
 *     the kernel's queue and serves them when descriptors come back.
 *  2. It works for ENFILE too, where the whole system is out of
 *     descriptors and the spare we close may go to another process.
 *  3. It costs no descriptor per listener, and no race with other threads
 *     that could take the spare the moment it is closed.
 *  4. The price: up to LEV_RETRY_MS of extra delay after the shortage
 *     ends; and if the queue fills meanwhile, Linux drops new clients'
 *     SYNs, which their TCP sends again a second or more later.
 * Every error that retrying at once cannot cure pauses, not only EMFILE
 * and ENFILE: we cannot tell a lasting error (EINVAL, the socket is not
 * listening) from a passing one, and a pause costs little either way,
 * where libevent would spin on a lasting one.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "event2/event.h"
#include "event2/event_struct.h"
#include "event2/listener.h"
#include "event2/util.h"
#include "log-internal.h"
#include "mm-internal.h"

/* libevent's backlog for -1. Linux silently caps any backlog at
 * net.core.somaxconn (4096 on kernels since 5.4). */
#define LISTENER_DEFAULT_BACKLOG 128

/* Connections accepted per wakeup at most: enough to amortise the wakeup
 * over a burst, few enough that a flood of clients cannot keep the loop
 * from the connections it already serves. libevent has no limit. */
#define LISTENER_MAX_ACCEPTS 32

struct evconnlistener {
	struct event accept_ev; /* EV_READ | EV_PERSIST on the socket */
	struct event retry_ev;  /* ends a pause; pending only during one */
	evconnlistener_cb cb;
	evconnlistener_errorcb errorcb;
	void *arg;            /* for both callbacks */
	unsigned flags;       /* LEV_OPT_* */
	int accept4_flags;    /* SOCK_NONBLOCK, SOCK_CLOEXEC */
	int refcnt;           /* 1 for the user + 1 per running callback */
	unsigned enabled : 1; /* the user's wish: enable or disable */
	unsigned paused : 1;  /* an accept error: waiting for retry_ev */
	unsigned failing : 1; /* no accept has worked since one failed */
};

static void listener_accept_cb(evutil_socket_t fd, short what, void *arg);
static void listener_retry_cb(evutil_socket_t fd, short what, void *arg);

/* ---- Creating and freeing ---- */

/* listen() as evconnlistener_new() promises: 0 means "already done". */
static int
listener_listen(evutil_socket_t fd, int backlog)
{
	if (backlog == 0)
		return 0;
	if (backlog < 0)
		backlog = LISTENER_DEFAULT_BACKLOG;
	return listen(fd, backlog);
}

/* What accept4() should do to each accepted socket. */
static int
listener_accept4_flags(unsigned flags)
{
	int accept4_flags = 0;

	if (!(flags & LEV_OPT_LEAVE_SOCKETS_BLOCKING))
		accept4_flags |= SOCK_NONBLOCK;
	if (flags & LEV_OPT_CLOSE_ON_EXEC)
		accept4_flags |= SOCK_CLOEXEC;
	return accept4_flags;
}

struct evconnlistener *
evconnlistener_new(struct event_base *base, evconnlistener_cb cb, void *ptr,
                   unsigned flags, int backlog, evutil_socket_t fd)
{
	struct evconnlistener *lev;

	if (listener_listen(fd, backlog) < 0)
		return NULL;
	lev = mm_calloc_(1, sizeof(*lev));
	if (!lev)
		return NULL;
	lev->cb = cb;
	lev->arg = ptr;
	lev->flags = flags;
	lev->accept4_flags = listener_accept4_flags(flags);
	lev->refcnt = 1;
	if (event_assign(&lev->accept_ev, base, fd, EV_READ | EV_PERSIST,
	                 listener_accept_cb, lev) < 0 ||
	    evtimer_assign(&lev->retry_ev, base, listener_retry_cb, lev) < 0)
		goto err;
	if (!(flags & LEV_OPT_DISABLED) && evconnlistener_enable(lev) < 0)
		goto err;
	return lev;
err:
	mm_free_(lev);
	return NULL;
}

/* The socket options of evconnlistener_new_bind(). 0 or -1 with errno. */
static int
listener_set_options(evutil_socket_t fd, unsigned flags)
{
	int on = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) < 0)
		return -1;
	if ((flags & LEV_OPT_REUSEABLE) &&
	    evutil_make_listen_socket_reuseable(fd) < 0)
		return -1;
	if ((flags & LEV_OPT_REUSEABLE_PORT) &&
	    evutil_make_listen_socket_reuseable_port(fd) < 0)
		return -1;
	if ((flags & LEV_OPT_DEFERRED_ACCEPT) &&
	    evutil_make_tcp_listen_socket_deferred(fd) < 0)
		return -1;
	if ((flags & LEV_OPT_BIND_IPV6ONLY) &&
	    evutil_make_listen_socket_ipv6only(fd) < 0)
		return -1;
	return 0;
}

struct evconnlistener *
evconnlistener_new_bind(struct event_base *base, evconnlistener_cb cb,
                        void *ptr, unsigned flags, int backlog,
                        const struct sockaddr *sa, int socklen)
{
	int type = SOCK_STREAM | SOCK_NONBLOCK;
	struct evconnlistener *lev;
	evutil_socket_t fd;
	int saved_errno;

	if (backlog == 0) {
		errno = EINVAL;
		return NULL;
	}
	if (flags & LEV_OPT_CLOSE_ON_EXEC)
		type |= SOCK_CLOEXEC;
	fd = socket(sa ? sa->sa_family : AF_UNSPEC, type, 0);
	if (fd < 0)
		return NULL;
	if (listener_set_options(fd, flags) < 0 ||
	    (sa && bind(fd, sa, (ev_socklen_t)socklen) < 0))
		goto err;
	lev = evconnlistener_new(base, cb, ptr, flags, backlog, fd);
	if (lev)
		return lev;
err:
	saved_errno = errno;
	evutil_closesocket(fd);
	errno = saved_errno;
	return NULL;
}

/* Drops one reference; the last one frees the listener. Returns 1 if it
 * did: the caller must not touch lev again. */
static int
listener_decref(struct evconnlistener *lev)
{
	if (--lev->refcnt > 0)
		return 0;
	if (lev->flags & LEV_OPT_CLOSE_ON_FREE)
		evutil_closesocket(event_get_fd(&lev->accept_ev));
	/* Both events are deleted (evconnlistener_free); debug mode must
	 * forget them before their memory goes. */
	event_debug_unassign(&lev->accept_ev);
	event_debug_unassign(&lev->retry_ev);
	mm_free_(lev);
	return 1;
}

void
evconnlistener_free(struct evconnlistener *lev)
{
	/* Stop everything now: a callback that frees its listener must see
	 * nothing more happen, though the memory lives until it returns. */
	lev->cb = NULL;
	lev->errorcb = NULL;
	evconnlistener_disable(lev);
	listener_decref(lev);
}

/* ---- Enabling, disabling, accessors ---- */

int
evconnlistener_enable(struct evconnlistener *lev)
{
	lev->enabled = 1;
	/* No callback yet, or paused: evconnlistener_set_cb() or the retry
	 * timer will add the event. */
	if (!lev->cb || lev->paused)
		return 0;
	return event_add(&lev->accept_ev, NULL);
}

int
evconnlistener_disable(struct evconnlistener *lev)
{
	lev->enabled = 0;
	lev->paused = 0;
	event_del(&lev->retry_ev);
	return event_del(&lev->accept_ev);
}

struct event_base *
evconnlistener_get_base(struct evconnlistener *lev)
{
	return event_get_base(&lev->accept_ev);
}

evutil_socket_t
evconnlistener_get_fd(struct evconnlistener *lev)
{
	return event_get_fd(&lev->accept_ev);
}

void
evconnlistener_set_cb(struct evconnlistener *lev, evconnlistener_cb cb,
                      void *arg)
{
	/* Only a first callback starts accepting; setting NULL leaves the
	 * event alone, as in libevent (see listener.h). */
	int start = lev->enabled && !lev->cb;

	lev->cb = cb;
	lev->arg = arg;
	if (start)
		evconnlistener_enable(lev);
}

void
evconnlistener_set_error_cb(struct evconnlistener *lev,
                            evconnlistener_errorcb errorcb)
{
	lev->errorcb = errorcb;
}

/* ---- Accepting ---- */

/* Gives one accepted connection to the user. Returns nonzero if the
 * accept loop may go on: the listener is still alive and enabled. */
static int
listener_deliver(struct evconnlistener *lev, evutil_socket_t conn,
                 struct sockaddr *addr, ev_socklen_t addrlen)
{
	if (!lev->cb) {
		/* Enabled with no callback: nobody to own conn. */
		evutil_closesocket(conn);
		return 0;
	}
	lev->refcnt++;
	lev->cb(lev, conn, addr, (int)addrlen, lev->arg);
	if (listener_decref(lev))
		return 0;
	return lev->enabled;
}

/* Calls the error callback with errno set to err, or warns once per
 * shortage. Returns 0 if the callback freed the listener. */
static int
listener_report(struct evconnlistener *lev, int err)
{
	int first = !lev->failing;

	lev->failing = 1;
	errno = err;
	if (lev->errorcb) {
		lev->refcnt++;
		lev->errorcb(lev, lev->arg);
		return !listener_decref(lev);
	}
	if (first)
		event_warnx_("evconnlistener: accept() on fd %d: %s; "
		             "retrying every %d ms",
		             (int)evconnlistener_get_fd(lev), strerror(err),
		             LEV_RETRY_MS);
	return 1;
}

/* Stops accepting until retry_ev fires. If the timer cannot be added, the
 * listener keeps accepting (libevent's behaviour) rather than stop for
 * good. */
static void
listener_pause(struct evconnlistener *lev)
{
	struct timeval delay = {0, LEV_RETRY_MS * 1000};

	if (event_add(&lev->retry_ev, &delay) < 0)
		return;
	lev->paused = 1;
	event_del(&lev->accept_ev);
}

static void
listener_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct evconnlistener *lev = arg;

	(void)fd;
	(void)what;
	/* Still enabled: evconnlistener_disable() deletes this timer. If
	 * descriptors are still short, the next accept() pauses again. */
	lev->paused = 0;
	event_add(&lev->accept_ev, NULL);
}

/* Errors after which accept() may work at once: nothing was queued
 * (EAGAIN), a signal came (EINTR), a client gave up before we took its
 * connection (ECONNABORTED). The same list as libevent's. */
static int
listener_error_is_transient(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK || err == EINTR ||
	       err == ECONNABORTED;
}

static void
listener_accept_failed(struct evconnlistener *lev, int err)
{
	if (listener_error_is_transient(err))
		return;
	if (listener_report(lev, err) && lev->enabled)
		listener_pause(lev);
}

static void
listener_accept_cb(evutil_socket_t fd, short what, void *arg)
{
	struct evconnlistener *lev = arg;
	int i;

	(void)what;
	for (i = 0; i < LISTENER_MAX_ACCEPTS; i++) {
		struct sockaddr_storage ss;
		ev_socklen_t len = sizeof(ss);
		evutil_socket_t conn = accept4(fd, (struct sockaddr *)&ss, &len,
		                               lev->accept4_flags);

		if (conn < 0) {
			listener_accept_failed(lev, errno);
			return;
		}
		lev->failing = 0;
		if (!listener_deliver(lev, conn, (struct sockaddr *)&ss, len))
			return;
	}
}
