/*
 * listener_flags - chapter 15: what each LEV_OPT_* flag of an
 * evconnlistener changes, shown by asking the kernel, with and without it.
 *
 * For every flag one probe builds a listener on 127.0.0.1 (a port the
 * kernel picks), connects a client in this same process, lets the loop
 * accept it, and reads what the flag should have changed: socket options
 * (getsockopt), descriptor flags (fcntl), whether the descriptor is still
 * open, when the accept callback ran. Nothing here depends on timing
 * except DEFERRED_ACCEPT, whose kernel timeout is about a second.
 *
 *   ./listener_flags
 *   make LIB=libevent && ./listener_flags     (the same lines, on libevent)
 *
 * Watch: each line says what the flag did ("with") and what happens by
 * default ("without"). The two builds must print the same thing.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#define WAIT_MS 300 /* how long "not accepted" is watched for */

/* What one probe saw; the accept callback fills it in. */
struct probe {
	struct event_base *base;
	evutil_socket_t fd; /* the accepted socket, or -1 */
	int waiting;        /* bytes readable on it when it was accepted */
};

struct flag_row {
	unsigned flag;
	const char *name;
	int (*show)(struct probe *p, unsigned flags, char *out, size_t len);
};

static int show_blocking(struct probe *p, unsigned f, char *o, size_t n);
static int show_close_on_free(struct probe *p, unsigned f, char *o, size_t n);
static int show_close_on_exec(struct probe *p, unsigned f, char *o, size_t n);
static int show_reuseable(struct probe *p, unsigned f, char *o, size_t n);
static int show_reuseport(struct probe *p, unsigned f, char *o, size_t n);
static int show_disabled(struct probe *p, unsigned f, char *o, size_t n);
static int show_deferred(struct probe *p, unsigned f, char *o, size_t n);

static const struct flag_row rows[] = {
        {LEV_OPT_LEAVE_SOCKETS_BLOCKING, "LEV_OPT_LEAVE_SOCKETS_BLOCKING",
         show_blocking},
        {LEV_OPT_CLOSE_ON_FREE, "LEV_OPT_CLOSE_ON_FREE", show_close_on_free},
        {LEV_OPT_CLOSE_ON_EXEC, "LEV_OPT_CLOSE_ON_EXEC", show_close_on_exec},
        {LEV_OPT_REUSEABLE, "LEV_OPT_REUSEABLE", show_reuseable},
        {LEV_OPT_REUSEABLE_PORT, "LEV_OPT_REUSEABLE_PORT", show_reuseport},
        {LEV_OPT_DISABLED, "LEV_OPT_DISABLED", show_disabled},
        {LEV_OPT_DEFERRED_ACCEPT, "LEV_OPT_DEFERRED_ACCEPT", show_deferred},
};

int
main(void)
{
	struct probe p = {.fd = -1};
	char with[128], without[128];
	int status = 0;

	p.base = event_base_new();
	if (p.base == NULL) {
		fprintf(stderr, "listener_flags: event_base_new failed\n");
		return 1;
	}
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct flag_row *r = &rows[i];
		if (r->show(&p, LEV_OPT_CLOSE_ON_FREE | r->flag, with,
		            sizeof(with)) < 0 ||
		    r->show(&p, LEV_OPT_CLOSE_ON_FREE & ~r->flag, without,
		            sizeof(without)) < 0) {
			fprintf(stderr, "listener_flags: %s: %s\n", r->name,
			        strerror(errno));
			status = 1;
			continue;
		}
		printf("%s\n    with:    %s\n    without: %s\n", r->name, with,
		       without);
	}
	event_base_free(p.base);
	return status;
}

static void
on_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
          int socklen, void *arg)
{
	struct probe *p = arg;

	(void)lev, (void)sa, (void)socklen;
	if (ioctl(fd, FIONREAD, &p->waiting) < 0)
		p->waiting = -1;
	p->fd = fd;
	event_base_loopbreak(p->base);
}

/* A listener on 127.0.0.1:port (0: any free port), or NULL. */
static struct evconnlistener *
listen_on(struct probe *p, unsigned flags, int port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((unsigned short)port);
	return evconnlistener_new_bind(p->base, on_accept, p, flags, -1,
	                               (struct sockaddr *)&sin, sizeof(sin));
}

static int
port_of(evutil_socket_t fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	if (getsockname(fd, (struct sockaddr *)&sin, &len) < 0)
		return -1;
	return ntohs(sin.sin_port);
}

/* A blocking client connected to the listener's port, or -1. On loopback
 * connect() returns once the handshake is done: the kernel, not the
 * server, completes it (notes/tcp-handshake-backlog.md). */
static evutil_socket_t
connect_to(struct evconnlistener *lev)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	evutil_socket_t fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port =
	        htons((unsigned short)port_of(evconnlistener_get_fd(lev)));
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		evutil_closesocket(fd);
		return -1;
	}
	return fd;
}

/* Runs the loop until a client is accepted or ms pass. The timeout ends
 * the loop with loopexit, after this round's callbacks, so an accept that
 * is due in the same round still runs. Returns the accepted fd or -1. */
static evutil_socket_t
accept_within(struct probe *p, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	p->fd = -1;
	p->waiting = 0;
	if (event_base_loopexit(p->base, &tv) < 0 ||
	    event_base_dispatch(p->base) < 0)
		return -1;
	return p->fd;
}

/* Connects one client and accepts it: fills *client and returns the
 * accepted socket, or -1 (errno set) with nothing left open. */
static evutil_socket_t
accept_client(struct probe *p, struct evconnlistener *lev,
              evutil_socket_t *client)
{
	evutil_socket_t fd;

	*client = connect_to(lev);
	if (*client < 0)
		return -1;
	fd = accept_within(p, 10000);
	if (fd < 0) {
		evutil_closesocket(*client);
		errno = ETIMEDOUT;
	}
	return fd;
}

static const char *
on_off(int v)
{
	return v ? "on" : "off";
}

static int
sockopt(evutil_socket_t fd, int level, int name)
{
	int v = 0;
	socklen_t len = sizeof(v);

	return getsockopt(fd, level, name, &v, &len) < 0 ? -1 : v;
}

static int
show_blocking(struct probe *p, unsigned flags, char *out, size_t len)
{
	struct evconnlistener *lev = listen_on(p, flags, 0);
	evutil_socket_t client, fd;

	if (lev == NULL)
		return -1;
	fd = accept_client(p, lev, &client);
	evconnlistener_free(lev);
	if (fd < 0)
		return -1;
	snprintf(out, len, "accepted socket O_NONBLOCK %s",
	         on_off(fcntl(fd, F_GETFL) & O_NONBLOCK));
	evutil_closesocket(fd);
	evutil_closesocket(client);
	return 0;
}

static int
show_close_on_free(struct probe *p, unsigned flags, char *out, size_t len)
{
	struct evconnlistener *lev = listen_on(p, flags, 0);
	evutil_socket_t fd;

	if (lev == NULL)
		return -1;
	fd = evconnlistener_get_fd(lev);
	evconnlistener_free(lev);
	if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
		snprintf(out, len, "after evconnlistener_free: fd closed");
	} else {
		snprintf(out, len, "after evconnlistener_free: fd still open");
		evutil_closesocket(fd); /* ours to close now */
	}
	return 0;
}

static int
show_close_on_exec(struct probe *p, unsigned flags, char *out, size_t len)
{
	struct evconnlistener *lev = listen_on(p, flags, 0);
	evutil_socket_t client, fd;
	int lflag;

	if (lev == NULL)
		return -1;
	lflag = fcntl(evconnlistener_get_fd(lev), F_GETFD) & FD_CLOEXEC;
	fd = accept_client(p, lev, &client);
	evconnlistener_free(lev);
	if (fd < 0)
		return -1;
	snprintf(out, len, "FD_CLOEXEC: listener %s, accepted socket %s",
	         on_off(lflag), on_off(fcntl(fd, F_GETFD) & FD_CLOEXEC));
	evutil_closesocket(fd);
	evutil_closesocket(client);
	return 0;
}

static int
show_reuseable(struct probe *p, unsigned flags, char *out, size_t len)
{
	struct evconnlistener *lev = listen_on(p, flags, 0);

	if (lev == NULL)
		return -1;
	snprintf(out, len, "SO_REUSEADDR %s",
	         on_off(sockopt(evconnlistener_get_fd(lev), SOL_SOCKET,
	                        SO_REUSEADDR) > 0));
	evconnlistener_free(lev);
	return 0;
}

/* Two listeners on one port: the second bind works only if both asked. */
static int
show_reuseport(struct probe *p, unsigned flags, char *out, size_t len)
{
	struct evconnlistener *first = listen_on(p, flags, 0), *second;
	int on;

	if (first == NULL)
		return -1;
	on = sockopt(evconnlistener_get_fd(first), SOL_SOCKET, SO_REUSEPORT);
	second = listen_on(p, flags, port_of(evconnlistener_get_fd(first)));
	snprintf(out, len, "SO_REUSEPORT %s; a 2nd listener on the port: %s",
	         on_off(on > 0), second ? "listening" : strerror(errno));
	if (second)
		evconnlistener_free(second);
	evconnlistener_free(first);
	return 0;
}

/* A disabled listener leaves connections in the accept queue. */
static int
show_disabled(struct probe *p, unsigned flags, char *out, size_t len)
{
	struct evconnlistener *lev = listen_on(p, flags, 0);
	evutil_socket_t client, fd;
	const char *when = "at once";

	if (lev == NULL)
		return -1;
	client = connect_to(lev);
	if (client < 0)
		goto err;
	fd = accept_within(p, WAIT_MS);
	if (fd < 0) {
		when = "only after evconnlistener_enable()";
		if (evconnlistener_enable(lev) < 0)
			goto err;
		fd = accept_within(p, 10000);
	}
	evconnlistener_free(lev);
	evutil_closesocket(client);
	if (fd < 0)
		return -1;
	evutil_closesocket(fd);
	snprintf(out, len, "a waiting client is accepted %s", when);
	return 0;
err:
	if (client >= 0)
		evutil_closesocket(client);
	evconnlistener_free(lev);
	return -1;
}

/* With TCP_DEFER_ACCEPT the kernel keeps a connection out of the accept
 * queue until its first bytes arrive (or about a second has passed). */
static int
show_deferred(struct probe *p, unsigned flags, char *out, size_t len)
{
	struct evconnlistener *lev = listen_on(p, flags, 0);
	evutil_socket_t client, fd;
	int on;

	if (lev == NULL)
		return -1;
	on = sockopt(evconnlistener_get_fd(lev), IPPROTO_TCP, TCP_DEFER_ACCEPT);
	client = connect_to(lev);
	if (client < 0) {
		evconnlistener_free(lev);
		return -1;
	}
	fd = accept_within(p, WAIT_MS);
	if (fd < 0 && send(client, "hello", 5, MSG_NOSIGNAL) == 5)
		fd = accept_within(p, 10000);
	evconnlistener_free(lev);
	evutil_closesocket(client);
	if (fd < 0)
		return -1;
	snprintf(out, len,
	         "TCP_DEFER_ACCEPT %s; accepted with %d bytes received",
	         on_off(on > 0), p->waiting);
	evutil_closesocket(fd);
	return 0;
}
