/*
 * test_listener.c - evconnlistener (event2/listener.h): binding and
 * listening, the callback's arguments, every LEV_OPT_* flag, the backlog
 * rule, enable/disable, replacing the callbacks, callbacks that disable or
 * free their listener, and running out of descriptors (EMFILE).
 *
 * The EMFILE cases lower RLIMIT_NOFILE in the case's own process (each
 * case is a forked child), fill the descriptor table, and connect clients
 * first. Most of them hold for libevent too (the error callback disables
 * or frees the listener; a disable during the shortage sticks). Those that
 * check that the loop does not spin, and recovers by itself, are skipped
 * against libevent, which spins (see the top of lib/include/event2/
 * listener.h).
 *
 * Run: make && ./run.sh epoll build-libevent/test_listener [CASE...]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "evtest.h"

#define MAX_CONNS 128

/* What the callbacks of one case record. Accepted descriptors are kept
 * open, so a case can inspect them, until rec_close(). */
struct rec {
	struct evconnlistener *lev; /* the listener given to the callback */
	void *arg;
	int n; /* connections accepted */
	evutil_socket_t fds[MAX_CONNS];
	struct sockaddr_storage addr; /* the last peer address */
	int socklen;
	int errors;   /* error callback calls */
	int err;      /* errno in the error callback */
	int sock_err; /* EVUTIL_SOCKET_ERROR() there */
};

static void
accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *addr,
          int socklen, void *arg)
{
	struct rec *r = arg;

	assert_int_lt(r->n, MAX_CONNS);
	r->lev = lev;
	r->arg = arg;
	r->fds[r->n++] = fd;
	r->socklen = socklen;
	assert_int_le(socklen, (int)sizeof(r->addr));
	memcpy(&r->addr, addr, (size_t)socklen);
}

static void
rec_close(struct rec *r)
{
	for (int i = 0; i < r->n; i++)
		assert_int_eq(close(r->fds[i]), 0);
}

/* ---- Sockets ---- */

static struct sockaddr_in
loopback(int port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	return sin;
}

static struct evconnlistener *
listen_loopback(struct event_base *base, evconnlistener_cb cb, void *arg,
                unsigned flags)
{
	struct sockaddr_in sin = loopback(0);
	struct evconnlistener *lev = evconnlistener_new_bind(
	        base, cb, arg, flags, -1, (struct sockaddr *)&sin, sizeof(sin));

	assert_not_null(lev);
	return lev;
}

static int
local_port(evutil_socket_t fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	assert_int_eq(sin.sin_family, AF_INET);
	return ntohs(sin.sin_port);
}

static int
listener_port(struct evconnlistener *lev)
{
	return local_port(evconnlistener_get_fd(lev));
}

/* A blocking client connected to 127.0.0.1:port. On loopback, connect()
 * returns once the connection waits in the listener's queue. */
static int
client_connect(int port)
{
	struct sockaddr_in sin = loopback(port);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_int_ge(fd, 0);
	assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return fd;
}

static void
clients_connect(int *fds, int n, int port)
{
	for (int i = 0; i < n; i++)
		fds[i] = client_connect(port);
}

static void
clients_close(const int *fds, int n)
{
	for (int i = 0; i < n; i++)
		assert_int_eq(close(fds[i]), 0);
}

/* Nonzero if the server side closed this client's connection: it reads
 * end of file or a reset. Does not wait. */
static int
client_was_closed(int fd)
{
	char c;
	ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);

	if (n < 0 && errno != EAGAIN)
		assert_int_eq(errno, ECONNRESET);
	return n == 0 || (n < 0 && errno == ECONNRESET);
}

/* Waits (bounded) until the server side closes the client's connection. */
static void
client_wait_closed(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	assert_int_eq(poll(&pfd, 1, 5000), 1);
	assert_true(client_was_closed(fd));
}

static int
fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

static int
fd_nonblocking(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	assert_int_ge(flags, 0);
	return (flags & O_NONBLOCK) != 0;
}

static int
fd_cloexec(int fd)
{
	int flags = fcntl(fd, F_GETFD);

	assert_int_ge(flags, 0);
	return (flags & FD_CLOEXEC) != 0;
}

static int
sockopt_int(int fd, int level, int name)
{
	int value = -1;
	socklen_t len = sizeof(value);

	assert_int_eq(getsockopt(fd, level, name, &value, &len), 0);
	return value;
}

/* A listening TCP socket's backlog, as Linux reports it in tcp_info. */
static int
listen_backlog(int fd)
{
	struct tcp_info info;
	socklen_t len = sizeof(info);

	assert_int_eq(getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len), 0);
	assert_int_eq(info.tcpi_state, 10); /* TCP_LISTEN */
	return (int)info.tcpi_sacked;
}

/* The number the next new descriptor gets: the lowest free one. */
static int
next_fd(void)
{
	int fd = open("/dev/null", O_RDONLY);
	assert_int_ge(fd, 0);
	assert_int_eq(close(fd), 0);
	return fd;
}

/* ---- The loop ---- */

static void
flag_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(int *)arg = 1;
}

/* Runs the loop until done(arg) holds, for at most 5 seconds. */
static void
run_until(struct event_base *base, int (*done)(void *), void *arg)
{
	int expired = 0;
	struct timeval limit = tv_ms(5000);
	struct event *deadline = evtimer_new(base, flag_cb, &expired);

	assert_not_null(deadline);
	assert_int_eq(evtimer_add(deadline, &limit), 0);
	while (!done(arg) && !expired)
		assert_int_ne(event_base_loop(base, EVLOOP_ONCE), -1);
	event_free(deadline);
	if (!done(arg))
		unit_fail_(__FILE__, __LINE__, "run_until: not done in 5 s");
}

struct want {
	struct rec *rec;
	int n;
};

static int
accepted_enough(void *arg)
{
	struct want *w = arg;

	return w->rec->n >= w->n;
}

static void
run_until_accepted(struct event_base *base, struct rec *r, int n)
{
	struct want w = {r, n};

	run_until(base, accepted_enough, &w);
	assert_int_eq(r->n, n);
}

/* Runs the loop for ms milliseconds of wall time, whatever happens. */
static void
run_for(struct event_base *base, long ms)
{
	struct timeval tv = tv_ms(ms);

	assert_int_eq(event_base_loopexit(base, &tv), 0);
	assert_int_eq(event_base_dispatch(base), 0);
}

/* ---- Creating, binding, the callback's arguments ---- */

static void
test_flag_values(void)
{
	assert_int_eq(LEV_OPT_LEAVE_SOCKETS_BLOCKING, 0x01);
	assert_int_eq(LEV_OPT_CLOSE_ON_FREE, 0x02);
	assert_int_eq(LEV_OPT_CLOSE_ON_EXEC, 0x04);
	assert_int_eq(LEV_OPT_REUSEABLE, 0x08);
	assert_int_eq(LEV_OPT_THREADSAFE, 0x10);
	assert_int_eq(LEV_OPT_DISABLED, 0x20);
	assert_int_eq(LEV_OPT_DEFERRED_ACCEPT, 0x40);
	assert_int_eq(LEV_OPT_REUSEABLE_PORT, 0x80);
	assert_int_eq(LEV_OPT_BIND_IPV6ONLY, 0x100);
}

/* new_bind on 127.0.0.1 port 0: the kernel picks a port, getsockname()
 * tells it; the socket is non-blocking, listening, with SO_KEEPALIVE. */
static void
test_new_bind_port0(void)
{
	struct event_base *base = test_base_new();
	struct rec r = {0};
	struct evconnlistener *lev =
	        listen_loopback(base, accept_cb, &r, LEV_OPT_CLOSE_ON_FREE);
	evutil_socket_t fd = evconnlistener_get_fd(lev);
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	assert_ptr_eq(evconnlistener_get_base(lev), base);
	assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	assert_int_eq(sin.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	assert_int_ne(ntohs(sin.sin_port), 0);
	assert_true(fd_nonblocking(fd));
	assert_false(fd_cloexec(fd));
	assert_int_eq(sockopt_int(fd, SOL_SOCKET, SO_ACCEPTCONN), 1);
	assert_int_eq(sockopt_int(fd, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
	assert_int_eq(sockopt_int(fd, SOL_SOCKET, SO_KEEPALIVE), 1);
	evconnlistener_free(lev);
	event_base_free(base);
}

/* The callback gets its listener, a new descriptor, the peer's address
 * (the client's own local address) and the user's pointer. */
static void
test_callback_arguments(void)
{
	struct event_base *base = test_base_new();
	struct rec r = {0};
	struct evconnlistener *lev =
	        listen_loopback(base, accept_cb, &r, LEV_OPT_CLOSE_ON_FREE);
	int client = client_connect(listener_port(lev));
	struct sockaddr_in *peer = (struct sockaddr_in *)&r.addr;
	char buf[2];

	run_until_accepted(base, &r, 1);
	assert_ptr_eq(r.lev, lev);
	assert_ptr_eq(r.arg, &r);
	assert_int_ne(r.fds[0], evconnlistener_get_fd(lev));
	assert_true(fd_is_open(r.fds[0]));
	assert_int_eq(r.socklen, (int)sizeof(struct sockaddr_in));
	assert_int_eq(peer->sin_family, AF_INET);
	assert_int_eq(peer->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	assert_int_eq(ntohs(peer->sin_port), local_port(client));
	/* The descriptor is the server side of this client's connection. */
	test_send(client, "hi");
	assert_int_eq(read(r.fds[0], buf, sizeof(buf)), 2);
	rec_close(&r);
	close(client);
	evconnlistener_free(lev);
	event_base_free(base);
}

/* A socket the program made: listened on by the listener, returned by
 * get_fd, left open by free without LEV_OPT_CLOSE_ON_FREE. */
static void
test_new_own_socket(void)
{
	struct event_base *base = test_base_new();
	struct rec r = {0};
	struct sockaddr_in sin = loopback(0);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct evconnlistener *lev;
	int client;

	assert_int_ge(fd, 0);
	assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	lev = evconnlistener_new(base, accept_cb, &r, 0, 16, fd);
	assert_not_null(lev);
	assert_int_eq(evconnlistener_get_fd(lev), fd);
	assert_ptr_eq(evconnlistener_get_base(lev), base);
	assert_int_eq(listen_backlog(fd), 16);
	client = client_connect(local_port(fd));
	run_until_accepted(base, &r, 1);
	evconnlistener_free(lev);
	assert_true(fd_is_open(fd));
	rec_close(&r);
	close(client);
	close(fd);
	event_base_free(base);
}

/* backlog -1 is 128; 0 means the socket already listens, and listen() is
 * not called. */
static void
test_backlog(void)
{
	struct event_base *base = test_base_new();
	struct rec r = {0};
	struct evconnlistener *lev =
	        listen_loopback(base, accept_cb, &r, LEV_OPT_CLOSE_ON_FREE);
	struct sockaddr_in sin = loopback(0);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	assert_int_eq(listen_backlog(evconnlistener_get_fd(lev)), 128);
	evconnlistener_free(lev);

	/* Already listening: the listener keeps the program's backlog. */
	assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_eq(listen(fd, 7), 0);
	lev = evconnlistener_new(base, accept_cb, &r, LEV_OPT_CLOSE_ON_FREE, 0,
	                         fd);
	assert_not_null(lev);
	assert_int_eq(listen_backlog(fd), 7);
	evconnlistener_free(lev);

	/* Not listening: 0 does not make it listen. */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	lev = evconnlistener_new(base, accept_cb, &r, LEV_OPT_DISABLED, 0, fd);
	assert_not_null(lev);
	assert_int_eq(sockopt_int(fd, SOL_SOCKET, SO_ACCEPTCONN), 0);
	evconnlistener_free(lev);
	close(fd);
	event_base_free(base);
}

/* new_bind refuses backlog 0 (its socket cannot already listen), a NULL
 * address and a port in use, and closes the socket it made. */
static void
test_new_bind_failures(void)
{
	struct event_base *base = test_base_new();
	struct rec r = {0};
	struct evconnlistener *lev =
	        listen_loopback(base, accept_cb, &r, LEV_OPT_CLOSE_ON_FREE);
	struct sockaddr_in sin = loopback(listener_port(lev));
	int before = next_fd();

	assert_null(evconnlistener_new_bind(base, accept_cb, &r, 0, 0,
	                                    (struct sockaddr *)&sin,
	                                    sizeof(sin)));
	assert_null(
	        evconnlistener_new_bind(base, accept_cb, &r, 0, -1, NULL, 0));
	assert_int_eq(errno, EAFNOSUPPORT);
	assert_null(evconnlistener_new_bind(
	        base, accept_cb, &r, LEV_OPT_CLOSE_ON_FREE, -1,
	        (struct sockaddr *)&sin, sizeof(sin)));
	assert_int_eq(errno, EADDRINUSE);
	assert_int_eq(next_fd(), before);
	evconnlistener_free(lev);
	event_base_free(base);
}

/* If listen() fails, evconnlistener_new returns NULL and leaves the
 * socket open, even with LEV_OPT_CLOSE_ON_FREE. */
static void
test_new_listen_failure(void)
{
	struct event_base *base = test_base_new();
	struct rec r = {0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	assert_int_ge(fd, 0);
	assert_null(evconnlistener_new(base, accept_cb, &r,
	                               LEV_OPT_CLOSE_ON_FREE, 8, fd));
	assert_int_eq(errno, EOPNOTSUPP);
	assert_true(fd_is_open(fd));
	close(fd);
	event_base_free(base);
}

/* ---- The flags ---- */

/* By default accepted sockets are non-blocking and inherited by exec. */
static void
test_accepted_nonblocking(void)
{
	struct event_base *base = test_base_new();
	struct rec r = {0};
	struct evconnlistener *lev =
	        listen_loopback(base, accept_cb, &r, LEV_OPT_CLOSE_ON_FREE);
	int client = client_connect(listener_port(lev));

	run_until_accepted(base, &r, 1);
	assert_true(fd_nonblocking(r.fds[0]));
	assert_false(fd_cloexec(r.fds[0]));
	rec_close(&r);
	close(client);
	evconnlistener_free(lev);
	event_base_free(base);
}

static void
test_leave_sockets_blocking(void)
{
	struct event_base *base = test_base_new();
	struct rec r = {0};
	struct evconnlistener *lev = listen_loopback(
	        base, accept_cb, &r,
	        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_LEAVE_SOCKETS_BLOCKING);
	int client = client_connect(listener_port(lev));

	/* The listening socket itself stays non-blocking. */
	assert_true(fd_nonblocking(evconnlistener_get_fd(lev)));
	run_until_accepted(base, &r, 1);
	assert_false(fd_nonblocking(r.fds[0]));
	rec_close(&r);
	close(client);
	evconnlistener_free(lev);
	event_base_free(base);
}

static void
test_close_on_exec(void)
{
	struct event_base *base = test_base_new();
	struct rec r = {0};
	struct evconnlistener *lev =
	        listen_loopback(base, accept_cb, &r,
	                        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC);
	int client = client_connect(listener_port(lev));

	assert_true(fd_cloexec(evconnlistener_get_fd(lev)));
	run_until_accepted(base, &r, 1);
	assert_true(fd_cloexec(r.fds[0]));
	assert_true(fd_nonblocking(r.fds[0]));
	rec_close(&r);
	close(client);
	evconnlistener_free(lev);
	event_base_free(base);
}

static void
test_close_on_free(void)
{
	struct event_base *base = test_base_new();
	struct rec r = {0};
	struct evconnlistener *lev =
	        listen_loopback(base, accept_cb, &r, LEV_OPT_CLOSE_ON_FREE);
	evutil_socket_t fd = evconnlistener_get_fd(lev);

	evconnlistener_free(lev);
	assert_false(fd_is_open(fd));

	lev = listen_loopback(base, accept_cb, &r, 0);
	fd = evconnlistener_get_fd(lev);
	evconnlistener_free(lev);
	assert_true(fd_is_open(fd));
	assert_int_eq(close(fd), 0);
	event_base_free(base);
}

static void
test_reuseable(void)
{
	struct event_base *base = test_base_new();
	struct rec r = {0};
	struct evconnlistener *with = listen_loopback(
	        base, accept_cb, &r, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE);
	struct evconnlistener *without =
	        listen_loopback(base, accept_cb, &r, LEV_OPT_CLOSE_ON_FREE);

	assert_int_ne(sockopt_int(evconnlistener_get_fd(with), SOL_SOCKET,
	                          SO_REUSEADDR),
	              0);
	assert_int_eq(sockopt_int(evconnlistener_get_fd(without), SOL_SOCKET,
	                          SO_REUSEADDR),
	              0);
	evconnlistener_free(with);
	evconnlistener_free(without);
	event_base_free(base);
}

/* With SO_REUSEPORT two listeners share a port; without, the second bind
 * fails. */
static void
test_reuseable_port(void)
{
	unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE_PORT;
	struct event_base *base = test_base_new();
	struct rec r = {0};
	struct evconnlistener *a = listen_loopback(base, accept_cb, &r, flags);
	struct sockaddr_in sin = loopback(listener_port(a));
	struct evconnlistener *b =
	        evconnlistener_new_bind(base, accept_cb, &r, flags, -1,
	                                (struct sockaddr *)&sin, sizeof(sin));

	assert_not_null(b);
	assert_int_ne(
	        sockopt_int(evconnlistener_get_fd(b), SOL_SOCKET, SO_REUSEPORT),
	        0);
	assert_int_eq(listener_port(b), listener_port(a));
	evconnlistener_free(b);
	evconnlistener_free(a);

	a = listen_loopback(base, accept_cb, &r, LEV_OPT_CLOSE_ON_FREE);
	sin = loopback(listener_port(a));
	assert_null(evconnlistener_new_bind(base, accept_cb, &r, flags, -1,
	                                    (struct sockaddr *)&sin,
	                                    sizeof(sin)));
	evconnlistener_free(a);
	event_base_free(base);
}

static long
now_ms(void)
{
	struct timespec ts;

	assert_int_eq(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* TCP_DEFER_ACCEPT: a client that has sent nothing is not handed over;
 * once it sends, it is, with its data already there. */
static void
test_deferred_accept(void)
{
	struct event_base *base = test_base_new();
	struct rec r = {0};
	struct evconnlistener *lev = listen_loopback(
	        base, accept_cb, &r,
	        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_DEFERRED_ACCEPT);
	long start = now_ms();
	int client = client_connect(listener_port(lev));
	char buf[4];

	assert_int_gt(sockopt_int(evconnlistener_get_fd(lev), IPPROTO_TCP,
	                          TCP_DEFER_ACCEPT),
	              0);
	assert_int_ne(event_base_loop(base, EVLOOP_NONBLOCK), -1);
	/* The kernel waits about a second for data; past that (a machine so
	 * loaded that this took that long) it hands the client over anyway. */
	if (now_ms() - start < 900)
		assert_int_eq(r.n, 0);
	test_send(client, "abc");
	run_until_accepted(base, &r, 1);
	assert_int_eq(recv(r.fds[0], buf, sizeof(buf), MSG_DONTWAIT), 3);
	rec_close(&r);
	close(client);
	evconnlistener_free(lev);
	event_base_free(base);
}

static void
test_bind_ipv6only(void)
{
	struct event_base *base = test_base_new();
	struct rec r = {0};
	struct sockaddr_in6 sin6;
	struct evconnlistener *lev;
	int probe = socket(AF_INET6, SOCK_STREAM, 0);

	if (probe < 0)
		unit_skip("no IPv6 here");
	close(probe);
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	lev = evconnlistener_new_bind(
	        base, accept_cb, &r,
	        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_BIND_IPV6ONLY, -1,
	        (struct sockaddr *)&sin6, sizeof(sin6));
	if (!lev && errno == EADDRNOTAVAIL)
		unit_skip("no ::1 here");
	assert_not_null(lev);
	assert_int_eq(sockopt_int(evconnlistener_get_fd(lev), IPPROTO_IPV6,
	                          IPV6_V6ONLY),
	              1);
	evconnlistener_free(lev);
	event_base_free(base);
}

/* Without evthread_use_*(), libevent accepts the flag and takes no lock;
 * minievent, which has no threads support yet, does the same. */
static void
test_threadsafe(void)
{
	struct event_base *base = test_base_new();
	struct rec r = {0};
	struct evconnlistener *lev =
	        listen_loopback(base, accept_cb, &r,
	                        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_THREADSAFE);
	int client = client_connect(listener_port(lev));

	run_until_accepted(base, &r, 1);
	rec_close(&r);
	close(client);
	evconnlistener_free(lev);
	event_base_free(base);
}

/* LEV_OPT_DISABLED: nothing waits, so the loop has nothing to do; the
 * client stays queued until evconnlistener_enable(). */
static void
test_disabled_flag(void)
{
	struct event_base *base = test_base_new();
	struct rec r = {0};
	struct evconnlistener *lev = listen_loopback(
	        base, accept_cb, &r, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_DISABLED);
	int client = client_connect(listener_port(lev));

	assert_int_eq(event_base_dispatch(base), 1);
	assert_int_eq(r.n, 0);
	assert_int_eq(evconnlistener_enable(lev), 0);
	run_until_accepted(base, &r, 1);
	rec_close(&r);
	close(client);
	evconnlistener_free(lev);
	event_base_free(base);
}

/* ---- The accept loop, enable and disable ---- */

/* Connections queued before the loop runs are all accepted in one
 * wakeup. */
static void
test_several_per_wakeup(void)
{
	struct event_base *base = test_base_new();
	struct rec r = {0};
	struct evconnlistener *lev =
	        listen_loopback(base, accept_cb, &r, LEV_OPT_CLOSE_ON_FREE);
	int clients[5];

	clients_connect(clients, 5, listener_port(lev));
	assert_int_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	assert_int_eq(r.n, 5);
	rec_close(&r);
	clients_close(clients, 5);
	evconnlistener_free(lev);
	event_base_free(base);
}

/* 100 clients queued at once (backlog 128): every one is accepted. */
static void
test_many_clients(void)
{
	struct event_base *base = test_base_new();
	struct rec r = {0};
	struct evconnlistener *lev =
	        listen_loopback(base, accept_cb, &r, LEV_OPT_CLOSE_ON_FREE);
	int clients[100];

	clients_connect(clients, 100, listener_port(lev));
	run_until_accepted(base, &r, 100);
	for (int i = 0; i < 100; i++)
		assert_false(client_was_closed(clients[i]));
	rec_close(&r);
	clients_close(clients, 100);
	evconnlistener_free(lev);
	event_base_free(base);
}

static void
test_disable_enable(void)
{
	struct event_base *base = test_base_new();
	struct rec r = {0};
	struct evconnlistener *lev =
	        listen_loopback(base, accept_cb, &r, LEV_OPT_CLOSE_ON_FREE);
	int clients[2];

	clients[0] = client_connect(listener_port(lev));
	run_until_accepted(base, &r, 1);
	assert_int_eq(evconnlistener_disable(lev), 0);
	assert_int_eq(evconnlistener_disable(lev), 0);
	clients[1] = client_connect(listener_port(lev));
	assert_int_eq(event_base_dispatch(base), 1);
	assert_int_eq(r.n, 1);
	assert_int_eq(evconnlistener_enable(lev), 0);
	assert_int_eq(evconnlistener_enable(lev), 0);
	run_until_accepted(base, &r, 2);
	rec_close(&r);
	clients_close(clients, 2);
	evconnlistener_free(lev);
	event_base_free(base);
}

/* ---- Replacing the callbacks ---- */

static void
test_set_cb_replaces(void)
{
	struct event_base *base = test_base_new();
	struct rec first = {0}, second = {0};
	struct evconnlistener *lev =
	        listen_loopback(base, accept_cb, &first, LEV_OPT_CLOSE_ON_FREE);
	int clients[2];

	clients[0] = client_connect(listener_port(lev));
	run_until_accepted(base, &first, 1);
	evconnlistener_set_cb(lev, accept_cb, &second);
	clients[1] = client_connect(listener_port(lev));
	run_until_accepted(base, &second, 1);
	assert_int_eq(first.n, 1);
	assert_ptr_eq(second.arg, &second);
	rec_close(&first);
	rec_close(&second);
	clients_close(clients, 2);
	evconnlistener_free(lev);
	event_base_free(base);
}

/* Created with no callback: it waits (enable() alone does not start it);
 * set_cb starts accepting. */
static void
test_null_cb_waits(void)
{
	struct event_base *base = test_base_new();
	struct rec r = {0};
	struct evconnlistener *lev =
	        listen_loopback(base, NULL, &r, LEV_OPT_CLOSE_ON_FREE);
	int client = client_connect(listener_port(lev));

	assert_int_eq(event_base_dispatch(base), 1);
	assert_int_eq(evconnlistener_enable(lev), 0);
	assert_int_eq(event_base_dispatch(base), 1);
	assert_false(client_was_closed(client));
	evconnlistener_set_cb(lev, accept_cb, &r);
	run_until_accepted(base, &r, 1);
	rec_close(&r);
	close(client);
	evconnlistener_free(lev);
	event_base_free(base);
}

/* The pitfall of listener.h: setting the callback to NULL does not stop
 * an enabled listener; a connection that arrives is closed at once. */
static void
test_set_cb_null_closes(void)
{
	struct event_base *base = test_base_new();
	struct rec r = {0};
	struct evconnlistener *lev =
	        listen_loopback(base, accept_cb, &r, LEV_OPT_CLOSE_ON_FREE);
	int client;

	evconnlistener_set_cb(lev, NULL, NULL);
	client = client_connect(listener_port(lev));
	assert_int_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	client_wait_closed(client);
	assert_int_eq(r.n, 0);
	close(client);
	evconnlistener_free(lev);
	event_base_free(base);
}

/* ---- Callbacks that free or disable their listener ---- */

static void
free_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *addr,
        int socklen, void *arg)
{
	accept_cb(lev, fd, addr, socklen, arg);
	evconnlistener_free(lev);
}

/* The callback frees the listener with clients still queued: the round
 * stops, the accepted descriptor stays the callback's, the listening
 * socket is closed, and nothing is left in the loop. */
static void
test_free_in_callback(void)
{
	struct event_base *base = test_base_new();
	struct rec r = {0};
	struct evconnlistener *lev =
	        listen_loopback(base, free_cb, &r, LEV_OPT_CLOSE_ON_FREE);
	evutil_socket_t fd = evconnlistener_get_fd(lev);
	int clients[3];

	clients_connect(clients, 3, listener_port(lev));
	assert_int_eq(event_base_dispatch(base), 1);
	assert_int_eq(r.n, 1);
	assert_true(fd_is_open(r.fds[0]));
	assert_false(fd_is_open(fd));
	rec_close(&r);
	clients_close(clients, 3);
	event_base_free(base);
}

static void
disable_cb(struct evconnlistener *lev, evutil_socket_t fd,
           struct sockaddr *addr, int socklen, void *arg)
{
	accept_cb(lev, fd, addr, socklen, arg);
	assert_int_eq(evconnlistener_disable(lev), 0);
}

/* Disabling from the callback ends the round: the other clients wait. */
static void
test_disable_in_callback(void)
{
	struct event_base *base = test_base_new();
	struct rec r = {0};
	struct evconnlistener *lev =
	        listen_loopback(base, disable_cb, &r, LEV_OPT_CLOSE_ON_FREE);
	int clients[3];

	clients_connect(clients, 3, listener_port(lev));
	assert_int_eq(event_base_dispatch(base), 1);
	assert_int_eq(r.n, 1);
	evconnlistener_set_cb(lev, accept_cb, &r);
	assert_int_eq(evconnlistener_enable(lev), 0);
	run_until_accepted(base, &r, 3);
	rec_close(&r);
	clients_close(clients, 3);
	evconnlistener_free(lev);
	event_base_free(base);
}

/* ---- Out of descriptors ---- */

#define FD_LIMIT  64
#define N_CLIENTS 4

/* One EMFILE scene: a listener with clients queued, and every descriptor
 * below FD_LIMIT taken. */
struct scene {
	struct event_base *base;
	struct evconnlistener *lev;
	struct rec rec;
	int clients[N_CLIENTS]; /* queued before the shortage */
	int late;               /* connects after it, or -1 */
	int fillers[FD_LIMIT];
	int n_fillers;
};

/* Lowers this process's soft limit (the hard one stays: valgrind allows
 * only that) and takes every descriptor left below it. */
static void
fill_descriptor_table(struct scene *s)
{
	struct rlimit rl;
	int fd;

	assert_int_lt(next_fd(), FD_LIMIT - 8);
	assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	assert_int_ge(rl.rlim_max, FD_LIMIT);
	rl.rlim_cur = FD_LIMIT;
	assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	s->n_fillers = 0;
	while ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
		s->fillers[s->n_fillers++] = fd;
	assert_int_eq(errno, EMFILE);
	assert_int_gt(s->n_fillers, 0);
}

static void
free_descriptor_table(struct scene *s)
{
	for (int i = 0; i < s->n_fillers; i++)
		assert_int_eq(close(s->fillers[i]), 0);
	s->n_fillers = 0;
}

static void
scene_start(struct scene *s, evconnlistener_errorcb errorcb)
{
	memset(s, 0, sizeof(*s));
	s->late = -1;
	s->base = test_base_new();
	s->lev = listen_loopback(s->base, accept_cb, &s->rec,
	                         LEV_OPT_CLOSE_ON_FREE);
	evconnlistener_set_error_cb(s->lev, errorcb);
	clients_connect(s->clients, N_CLIENTS, listener_port(s->lev));
	fill_descriptor_table(s);
}

static void
scene_end(struct scene *s)
{
	free_descriptor_table(s);
	rec_close(&s->rec);
	clients_close(s->clients, N_CLIENTS);
	if (s->late >= 0)
		assert_int_eq(close(s->late), 0);
	if (s->lev)
		evconnlistener_free(s->lev);
	event_base_free(s->base);
}

/* Valgrind checks the descriptor limit itself: when accept() returns a
 * descriptor above it, valgrind closes that connection and reports
 * EMFILE. So under valgrind a failed accept() may cost a queued client,
 * which a real shortage never does. */
static int
under_valgrind(void)
{
	const char *preload = getenv("LD_PRELOAD");

	return preload && strstr(preload, "vgpreload");
}

static int
clients_closed(const struct scene *s)
{
	int closed = 0;

	for (int i = 0; i < N_CLIENTS; i++)
		closed += client_was_closed(s->clients[i]);
	return closed;
}

/* Every client, the late one included, is accepted or was closed. */
static int
clients_settled(void *arg)
{
	struct scene *s = arg;

	return s->rec.n + clients_closed(s) == N_CLIENTS + 1;
}

/* After the shortage, with no more help from the test: the queued clients
 * are served, and so is one that connects now. */
static void
check_recovered(struct scene *s)
{
	int lost;

	s->late = client_connect(listener_port(s->lev));
	run_until(s->base, clients_settled, s);
	assert_false(client_was_closed(s->late));
	lost = clients_closed(s);
	if (!under_valgrind())
		assert_int_eq(lost, 0);
	else if (s->rec.errors > 0)
		assert_int_le(lost, s->rec.errors);
}

static void
error_cb(struct evconnlistener *lev, void *arg)
{
	struct rec *r = arg;

	r->err = errno;
	r->sock_err = EVUTIL_SOCKET_ERROR();
	r->errors++;
	r->lev = lev;
}

static void
error_disable_cb(struct evconnlistener *lev, void *arg)
{
	error_cb(lev, arg);
	assert_int_eq(evconnlistener_disable(lev), 0);
}

/* The error callback sees EMFILE and disables the listener: nothing is
 * left in the loop. Enabled again once descriptors are free, the
 * listener accepts the queued clients. */
static void
test_emfile_error_cb_disables(void)
{
	struct scene s;

	scene_start(&s, error_disable_cb);
	assert_int_eq(event_base_dispatch(s.base), 1);
	assert_int_eq(s.rec.errors, 1);
	assert_int_eq(s.rec.err, EMFILE);
	assert_int_eq(s.rec.sock_err, EMFILE);
	assert_ptr_eq(s.rec.lev, s.lev);
	assert_int_eq(s.rec.n, 0);
	free_descriptor_table(&s);
	assert_int_eq(evconnlistener_enable(s.lev), 0);
	check_recovered(&s);
	scene_end(&s);
}

static void
error_free_cb(struct evconnlistener *lev, void *arg)
{
	error_cb(lev, arg);
	evconnlistener_free(lev);
}

/* The error callback frees the listener: nothing is left in the loop, and
 * the queued clients are refused when the listening socket closes. */
static void
test_emfile_error_cb_frees(void)
{
	struct scene s;

	scene_start(&s, error_free_cb);
	assert_int_eq(event_base_dispatch(s.base), 1);
	assert_int_eq(s.rec.errors, 1);
	s.lev = NULL;
	for (int i = 0; i < N_CLIENTS; i++)
		client_wait_closed(s.clients[i]);
	scene_end(&s);
}

struct shortage_end {
	struct scene *scene;
	int free_listener; /* else disable it */
};

/* 150 ms into the shortage: disable (or free) the listener, then free the
 * descriptors. */
static void
shortage_end_cb(evutil_socket_t fd, short what, void *arg)
{
	struct shortage_end *end = arg;
	struct scene *s = end->scene;

	(void)fd;
	(void)what;
	assert_int_ge(s->rec.errors, 1);
	if (end->free_listener) {
		evconnlistener_free(s->lev);
		s->lev = NULL;
	} else {
		assert_int_eq(evconnlistener_disable(s->lev), 0);
	}
	free_descriptor_table(s);
}

/* Runs a scene where a timer ends the shortage after disabling or freeing
 * the listener; the loop then runs to 600 ms. */
static void
run_shortage_end(struct scene *s, int free_listener)
{
	struct shortage_end end = {s, free_listener};
	struct timeval at = tv_ms(150);

	scene_start(s, error_cb);
	assert_int_eq(event_base_once(s->base, -1, EV_TIMEOUT, shortage_end_cb,
	                              &end, &at),
	              0);
	run_for(s->base, 600);
}

/* A disable during the shortage sticks: descriptors come back, yet nothing
 * is accepted until evconnlistener_enable(). */
static void
test_emfile_disable_sticks(void)
{
	struct scene s;

	run_shortage_end(&s, 0);
	assert_int_eq(s.rec.n, 0);
	assert_int_eq(evconnlistener_enable(s.lev), 0);
	check_recovered(&s);
	scene_end(&s);
}

/* Freeing the listener during the shortage leaves nothing behind (the
 * valgrind run checks the memory). */
static void
test_emfile_free_during_shortage(void)
{
	struct scene s;

	run_shortage_end(&s, 1);
	assert_int_eq(s.rec.n, 0);
	for (int i = 0; i < N_CLIENTS; i++)
		client_wait_closed(s.clients[i]);
	scene_end(&s);
}

static void
need_pausing_listener(void)
{
	if (!strstr(event_get_version(), "minievent"))
		unit_skip("libevent spins on EMFILE; see listener.h");
}

/* The loop in steps of one iteration for 500 ms; returns the count. */
static int
count_iterations(struct event_base *base)
{
	int expired = 0, iterations = 0;
	struct timeval limit = tv_ms(500);
	struct event *deadline = evtimer_new(base, flag_cb, &expired);

	assert_not_null(deadline);
	assert_int_eq(evtimer_add(deadline, &limit), 0);
	while (!expired) {
		assert_int_eq(event_base_loop(base, EVLOOP_ONCE), 0);
		iterations++;
	}
	event_free(deadline);
	return iterations;
}

/* minievent: out of descriptors, the listener reports the error, pauses
 * and retries instead of spinning (a spinning loop runs hundreds of
 * thousands of iterations in 500 ms; a pausing one about ten), then
 * serves the queued clients once descriptors are free. */
static void
test_emfile_no_spin_recovers(void)
{
	struct scene s;
	int iterations;

	need_pausing_listener();
	scene_start(&s, error_cb);
	iterations = count_iterations(s.base);
	assert_int_ge(s.rec.errors, 1);
	assert_int_le(s.rec.errors, 50);
	assert_int_le(iterations, 100);
	assert_int_eq(s.rec.err, EMFILE);
	assert_int_eq(s.rec.n, 0);
	free_descriptor_table(&s);
	check_recovered(&s);
	scene_end(&s);
}

static void
error_enable_cb(struct evconnlistener *lev, void *arg)
{
	error_cb(lev, arg);
	assert_int_eq(evconnlistener_enable(lev), 0);
}

static void
enable_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	assert_int_eq(evconnlistener_enable(arg), 0);
}

/* minievent: evconnlistener_enable() on a paused listener, from the error
 * callback (to "keep accepting") or from a timer every 10 ms, does not cut
 * the pause short: the retries stay about 100 ms apart. */
static void
test_emfile_enable_during_pause(void)
{
	struct scene s;
	struct timeval every = tv_ms(10);
	struct event *tick;

	need_pausing_listener();
	scene_start(&s, error_enable_cb);
	tick = event_new(s.base, -1, EV_PERSIST, enable_tick_cb, s.lev);
	assert_not_null(tick);
	assert_int_eq(event_add(tick, &every), 0);
	run_for(s.base, 500);
	assert_int_ge(s.rec.errors, 1);
	assert_int_le(s.rec.errors, 20);
	event_free(tick);
	free_descriptor_table(&s);
	check_recovered(&s);
	scene_end(&s);
}

static int warnings;

static void
log_cb(int severity, const char *msg)
{
	if (severity == EVENT_LOG_WARN && strstr(msg, "accept"))
		warnings++;
}

/* minievent: with no error callback, one warning per shortage, however
 * long it lasts; a second shortage after a recovery warns again. */
static void
test_emfile_warns_once(void)
{
	struct scene s;
	int more[2];

	need_pausing_listener();
	event_set_log_callback(log_cb);
	scene_start(&s, error_cb);
	evconnlistener_set_error_cb(s.lev, NULL);
	run_for(s.base, 350);
	assert_int_eq(warnings, 1);
	free_descriptor_table(&s);
	check_recovered(&s);

	clients_connect(more, 2, listener_port(s.lev));
	fill_descriptor_table(&s);
	run_for(s.base, 350);
	assert_int_eq(warnings, 2);
	free_descriptor_table(&s);
	clients_close(more, 2);
	scene_end(&s);
	event_set_log_callback(NULL);
}

int
main(int argc, char **argv)
{
	static const struct unit_test tests[] = {
	        UNIT_TEST(flag_values),
	        UNIT_TEST(new_bind_port0),
	        UNIT_TEST(callback_arguments),
	        UNIT_TEST(new_own_socket),
	        UNIT_TEST(backlog),
	        UNIT_TEST(new_bind_failures),
	        UNIT_TEST(new_listen_failure),
	        UNIT_TEST(accepted_nonblocking),
	        UNIT_TEST(leave_sockets_blocking),
	        UNIT_TEST(close_on_exec),
	        UNIT_TEST(close_on_free),
	        UNIT_TEST(reuseable),
	        UNIT_TEST(reuseable_port),
	        UNIT_TEST(deferred_accept),
	        UNIT_TEST(bind_ipv6only),
	        UNIT_TEST(threadsafe),
	        UNIT_TEST(disabled_flag),
	        UNIT_TEST(several_per_wakeup),
	        UNIT_TEST(many_clients),
	        UNIT_TEST(disable_enable),
	        UNIT_TEST(set_cb_replaces),
	        UNIT_TEST(null_cb_waits),
	        UNIT_TEST(set_cb_null_closes),
	        UNIT_TEST(free_in_callback),
	        UNIT_TEST(disable_in_callback),
	        UNIT_TEST(emfile_error_cb_disables),
	        UNIT_TEST(emfile_error_cb_frees),
	        UNIT_TEST(emfile_disable_sticks),
	        UNIT_TEST(emfile_free_during_shortage),
	        UNIT_TEST(emfile_no_spin_recovers),
	        UNIT_TEST(emfile_enable_during_pause),
	        UNIT_TEST(emfile_warns_once),
	        UNIT_END,
	};

	return unit_main(argc, argv, tests);
}
