/*
 * bufferevent_sock.c - the socket bufferevent: two events on one socket
 * fill the input and drain the output.
 *
 * Introduced in chapter 14 (bufferevent). The structure is struct
 * bufferevent_socket: the common struct bufferevent, whose ev_read and
 * ev_write are persistent events on the socket (carrying the timeouts),
 * plus the state of a connect in progress.
 *
 *  - ev_read is pending while EV_READ is enabled and the input is below
 *    its high watermark; when the socket is readable, bev_sock_readcb()
 *    reads once (at most up to the high watermark) and runs the read
 *    callback.
 *  - ev_write is pending only while there is output to send (or a
 *    connect to finish): bev_sock_outbuf_cb() adds it when bytes are
 *    added to the output, bev_sock_writecb() deletes it once the output
 *    is empty. Watching writability of an idle socket would wake the
 *    loop for nothing, since a socket is almost always writable.
 *
 * Interface: bufferevent_socket_new(), bufferevent_socket_connect(),
 * bufferevent_socket_connect_hostname(), bufferevent_socket_get_dns_error(),
 * bufferevent_setfd(), bufferevent_getfd(), bufferevent_priority_set(),
 * bufferevent_base_set() (event2/bufferevent.h).
 */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "event2/buffer.h"
#include "event2/bufferevent.h"
#include "event2/event.h"
#include "event2/util.h"

#include "bufferevent-internal.h"
#include "mm-internal.h"

struct bufferevent_socket {
	struct bufferevent bev; /* first: see bufferevent-internal.h */
	int connecting;         /* the next writability ends a connect */
	int connection_refused; /* a read saw ECONNREFUSED meanwhile */
	int dns_error;          /* of the last connect_hostname lookup */
};

static struct bufferevent_socket *
bev_sock_upcast(struct bufferevent *bev)
{
	return bev->ops == &bufferevent_ops_socket_
	               ? (struct bufferevent_socket *)bev
	               : NULL;
}

/* errno, as libevent's EVUTIL_ERR_RW_RETRIABLE: try again later. */
static int
bev_sock_retriable(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

/* ------------------------------------------------------------------ */
/* Reading                                                             */
/* ------------------------------------------------------------------ */

/* How much one read may bring: the single-read limit, and no more than
 * fills the input to the high watermark. 0 if it is there already. */
static int
bev_sock_read_limit(struct bufferevent *bev)
{
	size_t limit = bev->max_single_read;
	size_t len = evbuffer_get_length(bev->input);

	if (bev->wm_read.high != 0) {
		if (len >= bev->wm_read.high)
			return 0;
		if (bev->wm_read.high - len < limit)
			limit = bev->wm_read.high - len;
	}
	return limit > INT_MAX ? INT_MAX : (int)limit;
}

/* One read into the input, whose back only the bufferevent may touch.
 * The input's callbacks (the high watermark) run inside. */
static int
bev_sock_read(struct bufferevent *bev, evutil_socket_t fd, int limit)
{
	int n;

	evbuffer_unfreeze(bev->input, 0);
	n = evbuffer_read(bev->input, fd, limit);
	evbuffer_freeze(bev->input, 0);
	return n;
}

/* ev_read fired: the socket is readable, or the read timeout expired. */
static void
bev_sock_readcb(evutil_socket_t fd, short what, void *arg)
{
	struct bufferevent *bev = arg;
	int limit, n;

	bufferevent_incref_(bev);
	if (what == EV_TIMEOUT) {
		bufferevent_fail_(bev, EV_READ,
		                  BEV_EVENT_READING | BEV_EVENT_TIMEOUT);
		goto done;
	}
	limit = bev_sock_read_limit(bev);
	if (limit == 0) {
		/* The high watermark was lowered below the input. */
		bufferevent_suspend_read_(bev);
		goto done;
	}
	if (bev->read_suspended)
		goto done;
	n = bev_sock_read(bev, fd, limit);
	if (n > 0)
		bufferevent_trigger_(bev, EV_READ, 0);
	else if (n == 0)
		bufferevent_fail_(bev, EV_READ,
		                  BEV_EVENT_READING | BEV_EVENT_EOF);
	else if (errno == ECONNREFUSED)
		/* A refused connect shows here first on some systems: the
		 * write side reports it when the connect completes. */
		bev_sock_upcast(bev)->connection_refused = 1;
	else if (!bev_sock_retriable(errno))
		bufferevent_fail_(bev, EV_READ,
		                  BEV_EVENT_READING | BEV_EVENT_ERROR);
done:
	bufferevent_decref_(bev);
}

/* ------------------------------------------------------------------ */
/* Writing and connecting                                              */
/* ------------------------------------------------------------------ */

/* How a non-blocking connect ended, from SO_ERROR: 1 connected, 0 still
 * in progress, -1 failed (errno says why). */
static int
bev_sock_connect_result(evutil_socket_t fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		return -1;
	if (err == 0)
		return 1;
	if (err == EINPROGRESS || err == EINTR)
		return 0;
	errno = err;
	return -1;
}

/* ev_write fired during a connect. Returns 1 if the caller should go on
 * writing (connected, EV_WRITE enabled), else 0. CONNECTED or ERROR has
 * been reported. */
static int
bev_sock_finish_connect(struct bufferevent *bev, evutil_socket_t fd)
{
	struct bufferevent_socket *sock = bev_sock_upcast(bev);
	int res = bev_sock_connect_result(fd), saved;

	if (sock->connection_refused) {
		sock->connection_refused = 0;
		res = -1;
		errno = ECONNREFUSED;
	}
	if (res == 0)
		return 0;
	sock->connecting = 0;
	if (res < 0) {
		/* Stop watching, but leave the enabled flags as they are. */
		saved = errno;
		event_del(&bev->ev_write);
		event_del(&bev->ev_read);
		errno = saved;
		bufferevent_run_eventcb_(bev, BEV_EVENT_ERROR, 0);
		return 0;
	}
	bufferevent_run_eventcb_(bev, BEV_EVENT_CONNECTED, 0);
	if (!(bev->enabled & EV_WRITE)) {
		event_del(&bev->ev_write);
		return 0;
	}
	return 1;
}

/* One write from the output, whose front only the bufferevent may touch.
 * Returns the bytes written, 0 if the socket is full, or -1 if the
 * failure was reported. */
static int
bev_sock_write(struct bufferevent *bev, evutil_socket_t fd)
{
	int n;

	evbuffer_unfreeze(bev->output, 1);
	n = evbuffer_write_atmost(bev->output, fd,
	                          (ev_ssize_t)bev->max_single_write);
	evbuffer_freeze(bev->output, 1);
	if (n > 0)
		return n;
	if (n == -1 && bev_sock_retriable(errno))
		return 0;
	bufferevent_fail_(bev, EV_WRITE,
	                  BEV_EVENT_WRITING |
	                          (n == 0 ? BEV_EVENT_EOF : BEV_EVENT_ERROR));
	return -1;
}

/* ev_write fired: the socket is writable (a connect may have ended), or
 * the write timeout expired. */
static void
bev_sock_writecb(evutil_socket_t fd, short what, void *arg)
{
	struct bufferevent *bev = arg;
	int connected = 0, n = 0;

	bufferevent_incref_(bev);
	if (what == EV_TIMEOUT) {
		bufferevent_fail_(bev, EV_WRITE,
		                  BEV_EVENT_WRITING | BEV_EVENT_TIMEOUT);
		goto done;
	}
	if (bev_sock_upcast(bev)->connecting) {
		if (!bev_sock_finish_connect(bev, fd))
			goto done;
		connected = 1;
	}
	if (evbuffer_get_length(bev->output) > 0 &&
	    (n = bev_sock_write(bev, fd)) <= 0)
		goto done;
	if (evbuffer_get_length(bev->output) == 0)
		event_del(&bev->ev_write);
	/* As libevent: a connect that sent nothing does not call writecb. */
	if (n > 0 || !connected)
		bufferevent_trigger_(bev, EV_WRITE, 0);
done:
	bufferevent_decref_(bev);
}

/* Bytes were added to the output: start writing if we may. */
static void
bev_sock_outbuf_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info,
                   void *arg)
{
	struct bufferevent *bev = arg;
	(void)buf;

	if (info->n_added == 0 || !(bev->enabled & EV_WRITE))
		return;
	if (event_get_fd(&bev->ev_write) < 0 ||
	    event_pending(&bev->ev_write, EV_WRITE, NULL))
		return;
	bufferevent_add_event_(&bev->ev_write, &bev->timeout_write);
}

/* ------------------------------------------------------------------ */
/* The kind's operations                                               */
/* ------------------------------------------------------------------ */

/* Without a socket there is nothing to watch: setfd() and connect()
 * enable what is enabled once there is one. */
static int
bev_sock_enable(struct bufferevent *bev, short events)
{
	if (event_get_fd(&bev->ev_read) < 0)
		return 0;
	if ((events & EV_READ) &&
	    bufferevent_add_event_(&bev->ev_read, &bev->timeout_read) < 0)
		return -1;
	if ((events & EV_WRITE) &&
	    bufferevent_add_event_(&bev->ev_write, &bev->timeout_write) < 0)
		return -1;
	return 0;
}

static int
bev_sock_disable(struct bufferevent *bev, short events)
{
	if ((events & EV_READ) && event_del(&bev->ev_read) < 0)
		return -1;
	/* A connect is watched through ev_write whatever the user enables. */
	if ((events & EV_WRITE) && !bev_sock_upcast(bev)->connecting &&
	    event_del(&bev->ev_write) < 0)
		return -1;
	return 0;
}

static void
bev_sock_destruct(struct bufferevent *bev)
{
	evutil_socket_t fd = event_get_fd(&bev->ev_read);

	if ((bev->options & BEV_OPT_CLOSE_ON_FREE) && fd >= 0)
		evutil_closesocket(fd);
}

/* New timeouts apply to the events already waiting, and restart them. */
static int
bev_sock_adj_timeouts(struct bufferevent *bev)
{
	struct event *evs[2] = {&bev->ev_read, &bev->ev_write};
	const struct timeval *tvs[2] = {&bev->timeout_read,
	                                &bev->timeout_write};
	short what[2] = {EV_READ, EV_WRITE};
	int res = 0;

	for (int i = 0; i < 2; i++) {
		if (!event_pending(evs[i], what[i], NULL))
			continue;
		if (tvs[i]->tv_sec == 0 && tvs[i]->tv_usec == 0)
			event_remove_timer(evs[i]);
		else if (event_add(evs[i], tvs[i]) < 0)
			res = -1;
	}
	return res;
}

/* The kernel sends what is written as soon as it can: nothing to push. */
static int
bev_sock_flush(struct bufferevent *bev, short iotype,
               enum bufferevent_flush_mode mode)
{
	(void)bev;
	(void)iotype;
	(void)mode;
	return 0;
}

const struct bufferevent_ops bufferevent_ops_socket_ = {
        "socket",          bev_sock_enable,       bev_sock_disable,
        bev_sock_destruct, bev_sock_adj_timeouts, bev_sock_flush,
};

/* ------------------------------------------------------------------ */
/* Creating, and the socket                                            */
/* ------------------------------------------------------------------ */

static void
bev_sock_assign(struct bufferevent *bev, evutil_socket_t fd)
{
	event_assign(&bev->ev_read, bev->ev_base, fd, EV_READ | EV_PERSIST,
	             bev_sock_readcb, bev);
	event_assign(&bev->ev_write, bev->ev_base, fd, EV_WRITE | EV_PERSIST,
	             bev_sock_writecb, bev);
}

struct bufferevent *
bufferevent_socket_new(struct event_base *base, evutil_socket_t fd, int options)
{
	struct bufferevent_socket *sock = mm_calloc_(1, sizeof(*sock));
	struct bufferevent *bev;

	if (sock == NULL)
		return NULL;
	bev = &sock->bev;
	if (bufferevent_init_common_(bev, base, &bufferevent_ops_socket_,
	                             options) < 0) {
		mm_free_(sock);
		return NULL;
	}
	bev_sock_assign(bev, fd);
	evbuffer_set_flags(bev->output, EVBUFFER_FLAG_DRAINS_TO_FD);
	if (evbuffer_add_cb(bev->output, bev_sock_outbuf_cb, bev) == NULL) {
		/* Failing must not close the caller's socket. */
		bev->options &= ~BEV_OPT_CLOSE_ON_FREE;
		bufferevent_free(bev);
		return NULL;
	}
	evbuffer_freeze(bev->input, 0);
	evbuffer_freeze(bev->output, 1);
	return bev;
}

int
bufferevent_setfd(struct bufferevent *bev, evutil_socket_t fd)
{
	if (bev_sock_upcast(bev) == NULL)
		return -1;
	event_del(&bev->ev_read);
	event_del(&bev->ev_write);
	bev_sock_assign(bev, fd);
	if (fd >= 0)
		bufferevent_enable(bev, bev->enabled);
	return 0;
}

evutil_socket_t
bufferevent_getfd(struct bufferevent *bev)
{
	if (bev_sock_upcast(bev) == NULL)
		return -1;
	return event_get_fd(&bev->ev_read);
}

int
bufferevent_priority_set(struct bufferevent *bev, int priority)
{
	if (bev_sock_upcast(bev) == NULL)
		return -1;
	if (event_priority_set(&bev->ev_read, priority) == -1 ||
	    event_priority_set(&bev->ev_write, priority) == -1)
		return -1;
	/* Deferred callbacks already due keep their place. */
	event_priority_set(&bev->deferred, priority);
	return 0;
}

int
bufferevent_base_set(struct event_base *base, struct bufferevent *bev)
{
	if (bev_sock_upcast(bev) == NULL || bev->deferred_scheduled)
		return -1;
	if (event_base_set(base, &bev->ev_read) == -1 ||
	    event_base_set(base, &bev->ev_write) == -1)
		return -1;
	event_base_set(base, &bev->deferred);
	bev->ev_base = base;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Connecting                                                          */
/* ------------------------------------------------------------------ */

/* connect(2) on a non-blocking socket: 0 under way, 1 connected at once,
 * 2 refused at once, -1 failed. */
static int
bev_sock_start_connect(evutil_socket_t fd, const struct sockaddr *addr,
                       int socklen)
{
	if (connect(fd, addr, (socklen_t)socklen) == 0)
		return 1;
	if (errno == EINPROGRESS || errno == EINTR)
		return 0;
	if (errno == ECONNREFUSED)
		return 2;
	return -1;
}

/* The socket is set: watch the connect as start said it went. */
static int
bev_sock_watch_connect(struct bufferevent *bev, int start)
{
	struct bufferevent_socket *sock = bev_sock_upcast(bev);

	switch (start) {
	case 0:
		if (bev_sock_enable(bev, EV_WRITE) < 0)
			return -1;
		sock->connecting = 1;
		return 0;
	case 1:
		/* Connected already (a Unix socket): ev_write, if enabled,
		 * will report CONNECTED; the write callback comes first. */
		sock->connecting = 1;
		bufferevent_trigger_(bev, EV_WRITE, BEV_OPT_DEFER_CALLBACKS);
		return 0;
	default:
		/* Refused already: reported from the loop, not from here. */
		bufferevent_run_eventcb_(bev, BEV_EVENT_ERROR,
		                         BEV_OPT_DEFER_CALLBACKS);
		bufferevent_disable(bev, EV_READ | EV_WRITE);
		return 0;
	}
}

int
bufferevent_socket_connect(struct bufferevent *bev, const struct sockaddr *addr,
                           int socklen)
{
	evutil_socket_t fd = bufferevent_getfd(bev);
	int own_fd = 0, start = 0, res = -1;

	if (bev_sock_upcast(bev) == NULL)
		return -1;
	bufferevent_incref_(bev);
	if (fd < 0) {
		if (addr == NULL)
			goto done;
		fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (fd < 0)
			goto done;
		own_fd = 1;
	}
	if (addr != NULL) {
		start = bev_sock_start_connect(fd, addr, socklen);
		if (start < 0) {
			if (own_fd)
				evutil_closesocket(fd);
			goto done;
		}
	}
	bufferevent_setfd(bev, fd);
	res = bev_sock_watch_connect(bev, start);
done:
	bufferevent_decref_(bev);
	return res;
}

/* getaddrinfo(3) for a TCP connection. A numeric address goes first
 * through AI_NUMERICHOST, which never asks DNS: only a name can block. */
static int
bev_sock_resolve(const char *hostname, int family, int port,
                 struct evutil_addrinfo **ai)
{
	struct evutil_addrinfo hints;
	char service[8];
	int err;

	snprintf(service, sizeof(service), "%d", port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = EVUTIL_AI_NUMERICHOST;
	err = evutil_getaddrinfo(hostname, service, &hints, ai);
	if (err != EVUTIL_EAI_NONAME)
		return err;
	hints.ai_flags = 0;
	return evutil_getaddrinfo(hostname, service, &hints, ai);
}

int
bufferevent_socket_connect_hostname(struct bufferevent *bev,
                                    struct evdns_base *evdns_base, int family,
                                    const char *hostname, int port)
{
	struct bufferevent_socket *sock = bev_sock_upcast(bev);
	struct evutil_addrinfo *ai = NULL;
	int err;

	(void)evdns_base; /* none exists in minievent */
	if (sock == NULL || port < 1 || port > 65535)
		return -1;
	if (family != AF_INET && family != AF_INET6 && family != AF_UNSPEC)
		return -1;
	bufferevent_incref_(bev);
	err = bev_sock_resolve(hostname, family, port, &ai);
	sock->dns_error = err;
	if (err != 0) {
		bufferevent_run_eventcb_(bev, BEV_EVENT_ERROR, 0);
	} else {
		if (bufferevent_socket_connect(bev, ai->ai_addr,
		                               (int)ai->ai_addrlen) < 0)
			bufferevent_run_eventcb_(bev, BEV_EVENT_ERROR, 0);
		evutil_freeaddrinfo(ai);
	}
	bufferevent_decref_(bev);
	return 0;
}

int
bufferevent_socket_get_dns_error(struct bufferevent *bev)
{
	struct bufferevent_socket *sock = bev_sock_upcast(bev);
	return sock ? sock->dns_error : 0;
}
