/*
 * test_bufferevent.c - bufferevents (event2/bufferevent.h): socket
 * bufferevents over socket pairs and TCP connections, and bufferevent
 * pairs. The options (CLOSE_ON_FREE, DEFER_CALLBACKS, THREADSAFE),
 * connect and connect_hostname, the accessors, enable and disable,
 * reading and writing, watermarks, timeouts, flush, priority, locking,
 * freeing from inside each callback, the exact flags the event callback
 * gets, and a 10 MB round trip checked byte by byte.
 *
 * A case waits for something with DRIVE_UNTIL: it runs the loop until the
 * condition holds, and fails with the condition's text after a deadline
 * (most of the case's time limit). Only the cases that check that nothing
 * happens run the loop for a fixed time, or until it has nothing left to
 * do at once (settle()).
 *
 * Run: make && ./run.sh epoll build-libevent/test_bufferevent [CASE...]
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include "evtest.h"

/* What a read callback does with the input it is given. */
enum read_mode {
	KEEP,  /* leave it in the input buffer */
	DRAIN, /* count it and throw it away */
	ECHO,  /* move it to the output buffer (bufferevent_write_buffer) */
	CHECK, /* remove it and compare it with pattern() */
};

struct world;

/* One bufferevent under test and what its callbacks saw. */
struct side {
	struct world *w;
	const char *name;        /* "a" or "b" in the trace */
	struct bufferevent *bev; /* NULL once a callback freed it */
	enum read_mode mode;
	char free_in;     /* 'r', 'w' or 'e': that callback frees bev */
	int stop_reading; /* the read callback disables EV_READ */
	int quiet;        /* no trace (many callbacks) */
	int reads, writes, events;
	int called_inside; /* a callback ran while w->inside was set */
	short what;        /* flags of the last event callback */
	int err;           /* errno when the last event callback began */
	size_t in_len;     /* input length when the last read callback began */
	size_t out_len;    /* output length in the last write callback */
	size_t max_in;     /* the largest in_len seen */
	size_t total;      /* bytes consumed by DRAIN, ECHO or CHECK */
	size_t bad_at;     /* CHECK: offset + 1 of the first wrong byte */
};

struct world {
	struct event_base *base;
	struct unit_trace trace;
	int inside; /* the case is inside a bufferevent call */
	struct side s[2];
};

/* A plain descriptor at the other end, read by a plain event. */
struct peer {
	int fd;
	struct event *ev;
	size_t got;
	int eof;
	int err;
	char data[64]; /* the first bytes received, NUL-terminated */
};

/* The state of one DRIVE_UNTIL. */
struct drive {
	struct event_base *base;
	struct event *tick;
	struct timespec end;
};

static void drive_start(struct drive *d, struct event_base *base);
static int drive_step(struct drive *d);
static void drive_stop(struct drive *d);

/* Runs base's loop until cond holds; fails the case after the deadline. */
#define DRIVE_UNTIL(base, cond)                                                \
	do {                                                                   \
		struct drive d_;                                               \
		drive_start(&d_, (base));                                      \
		while (!(cond) && drive_step(&d_))                             \
			;                                                      \
		drive_stop(&d_);                                               \
		if (!(cond))                                                   \
			unit_fail_(__FILE__, __LINE__,                         \
			           "the loop ran until the deadline, and "     \
			           "still not: %s",                            \
			           #cond);                                     \
	} while (0)

#define TEN_MB  (10 * 1024 * 1024)
#define WRITTEN (1024 * 1024)

/* ---- driving the loop ---- */

/* Ends the turn of the loop, even one that would go on: libevent 2.1
 * calls a read callback again and again, without waiting, while the input
 * stays at or above the high watermark. */
static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

/* The deadline: the case's time limit (UNIT_TIMEOUT, as unit.c reads it)
 * less 2 seconds, so that the failure is ours and not a timeout; at most
 * 15 seconds, which is plenty even under valgrind, so that a failing case
 * does not hold the run up for a minute. */
static long
drive_limit_ms(void)
{
	const char *env = getenv("UNIT_TIMEOUT");
	long s = env ? atol(env) : 10;

	if (s <= 0)
		s = 10;
	if (s > 17)
		s = 17;
	return s > 4 ? (s - 2) * 1000 : 2000;
}

static void
drive_start(struct drive *d, struct event_base *base)
{
	struct timeval tv = tv_ms(10);
	long ms = drive_limit_ms();

	d->base = base;
	/* A persistent tick makes each EVLOOP_ONCE return in time to look
	 * at the clock, even when nothing else happens. */
	d->tick = event_new(base, -1, EV_PERSIST, tick_cb, base);
	assert_not_null(d->tick);
	assert_int_eq(event_add(d->tick, &tv), 0);
	clock_gettime(CLOCK_MONOTONIC, &d->end);
	d->end.tv_sec += ms / 1000;
	d->end.tv_nsec += (ms % 1000) * 1000000L;
	if (d->end.tv_nsec >= 1000000000L) {
		d->end.tv_sec++;
		d->end.tv_nsec -= 1000000000L;
	}
}

/* One turn of the loop; returns 0 once the deadline has passed. */
static int
drive_step(struct drive *d)
{
	struct timespec now;

	assert_int_ge(event_base_loop(d->base, EVLOOP_ONCE), 0);
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec < d->end.tv_sec ||
	       (now.tv_sec == d->end.tv_sec && now.tv_nsec < d->end.tv_nsec);
}

static void
drive_stop(struct drive *d)
{
	event_free(d->tick);
}

/* Runs the loop for ms milliseconds (to see that nothing happens). */
static void
drive_for(struct event_base *base, long ms)
{
	struct timeval tv = tv_ms(ms);

	assert_int_eq(event_base_loopexit(base, &tv), 0);
	assert_int_ge(event_base_dispatch(base), 0);
}

/* Runs the loop until it has nothing to do at once. Data written to a
 * local socket is readable when write() returns, so this is enough to
 * see that a callback does not run. */
static void
settle(struct event_base *base)
{
	struct drive d;

	/* The tick also ends a turn that libevent's repeated read callback
	 * would make endless (EVLOOP_NONBLOCK waits for no active event). */
	drive_start(&d, base);
	for (int i = 0; i < 8; i++)
		assert_int_ge(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	drive_stop(&d);
}

/* ---- sockets ---- */

static unsigned char
pattern(size_t i)
{
	return (unsigned char)(i * 131 + (i >> 13));
}

static int
fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

/* A TCP socket bound to 127.0.0.1 on an ephemeral port; listening if
 * listening is set (else connecting to it is refused). */
static int
tcp_bound(struct sockaddr_in *sin, int listening)
{
	socklen_t len = sizeof(*sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	assert_int_ge(fd, 0);
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_eq(bind(fd, (struct sockaddr *)sin, sizeof(*sin)), 0);
	assert_int_eq(getsockname(fd, (struct sockaddr *)sin, &len), 0);
	if (listening)
		assert_int_eq(listen(fd, 16), 0);
	return fd;
}

/* A connected TCP pair over 127.0.0.1: fds[0] the client, fds[1] the
 * accepted one, both non-blocking. */
static void
tcp_pair(int fds[2])
{
	struct sockaddr_in sin;
	int lfd = tcp_bound(&sin, 1);

	fds[0] = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_ge(fds[0], 0);
	assert_int_eq(connect(fds[0], (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_eq(evutil_make_socket_nonblocking(fds[0]), 0);
	fds[1] = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
	assert_int_ge(fds[1], 0);
	close(lfd);
}

static void
peer_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct peer *p = arg;
	char buf[4096];
	ssize_t n;

	(void)what;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		size_t room = sizeof(p->data) - 1 - strlen(p->data);
		strncat(p->data, buf, (size_t)n < room ? (size_t)n : room);
		p->got += (size_t)n;
	}
	if (n == 0)
		p->eof = 1;
	else if (errno != EAGAIN)
		p->err = errno;
	if (p->eof || p->err)
		event_del(p->ev);
}

/* Reads everything that arrives on fd, from the loop. */
static void
peer_watch(struct peer *p, struct event_base *base, int fd)
{
	memset(p, 0, sizeof(*p));
	p->fd = fd;
	p->ev = event_new(base, fd, EV_READ | EV_PERSIST, peer_read_cb, p);
	assert_not_null(p->ev);
	assert_int_eq(event_add(p->ev, NULL), 0);
}

/* ---- the callbacks ---- */

static void
side_free(struct side *s)
{
	bufferevent_free(s->bev);
	s->bev = NULL;
}

static void
check_input(struct side *s, struct evbuffer *in)
{
	unsigned char buf[16384];
	int n;

	while ((n = evbuffer_remove(in, buf, sizeof(buf))) > 0) {
		for (int i = 0; i < n && !s->bad_at; i++)
			if (buf[i] != pattern(s->total + (size_t)i))
				s->bad_at = s->total + (size_t)i + 1;
		s->total += (size_t)n;
	}
}

static void
consume(struct side *s, struct bufferevent *bev)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len = evbuffer_get_length(in);

	switch (s->mode) {
	case KEEP:
		break;
	case DRAIN:
		assert_int_eq(evbuffer_drain(in, len), 0);
		s->total += len;
		break;
	case ECHO:
		assert_int_eq(bufferevent_write_buffer(bev, in), 0);
		s->total += len;
		break;
	case CHECK:
		check_input(s, in);
		break;
	}
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct side *s = arg;

	s->reads++;
	s->in_len = evbuffer_get_length(bufferevent_get_input(bev));
	if (s->in_len > s->max_in)
		s->max_in = s->in_len;
	s->called_inside |= s->w->inside;
	if (!s->quiet)
		unit_trace(&s->w->trace, "%s:r%zu", s->name, s->in_len);
	consume(s, bev);
	if (s->stop_reading)
		assert_int_eq(bufferevent_disable(bev, EV_READ), 0);
	if (s->free_in == 'r')
		side_free(s);
}

static void
write_cb(struct bufferevent *bev, void *arg)
{
	struct side *s = arg;

	s->writes++;
	s->out_len = evbuffer_get_length(bufferevent_get_output(bev));
	s->called_inside |= s->w->inside;
	if (!s->quiet)
		unit_trace(&s->w->trace, "%s:w%zu", s->name, s->out_len);
	if (s->free_in == 'w')
		side_free(s);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct side *s = arg;

	s->err = errno;
	(void)bev;
	s->events++;
	s->what = what;
	s->called_inside |= s->w->inside;
	unit_trace(&s->w->trace, "%s:e%x", s->name, (unsigned)what);
	if (s->free_in == 'e')
		side_free(s);
}

/* ---- setting up a case ---- */

static void
world_init(struct world *w)
{
	memset(w, 0, sizeof(*w));
	w->base = test_base_new();
	for (int i = 0; i < 2; i++) {
		w->s[i].w = w;
		w->s[i].name = i == 0 ? "a" : "b";
	}
}

/* Side i gets a socket bufferevent on fd, with the case's callbacks. */
static struct bufferevent *
side_socket(struct world *w, int i, int fd, int options)
{
	struct side *s = &w->s[i];

	s->bev = bufferevent_socket_new(w->base, fd, options);
	assert_not_null(s->bev);
	bufferevent_setcb(s->bev, read_cb, write_cb, event_cb, s);
	return s->bev;
}

/* Both sides get a bufferevent pair. */
static void
side_pair(struct world *w, int options)
{
	struct bufferevent *pair[2] = {NULL, NULL};

	assert_int_eq(bufferevent_pair_new(w->base, options, pair), 0);
	for (int i = 0; i < 2; i++) {
		assert_not_null(pair[i]);
		w->s[i].bev = pair[i];
		bufferevent_setcb(pair[i], read_cb, write_cb, event_cb,
		                  &w->s[i]);
	}
}

/* Frees what is left: the sides' bufferevents, then the base. */
static void
world_free(struct world *w)
{
	for (int i = 0; i < 2; i++)
		if (w->s[i].bev)
			bufferevent_free(w->s[i].bev);
	event_base_free(w->base);
}

static size_t
in_len(struct side *s)
{
	return evbuffer_get_length(bufferevent_get_input(s->bev));
}

static size_t
out_len(struct side *s)
{
	return evbuffer_get_length(bufferevent_get_output(s->bev));
}

/* ---- socket bufferevents: creation, options, accessors ---- */

static void
test_socket_new_defaults(void)
{
	struct world w;
	int fds[2];
	struct bufferevent *bev;
	size_t lo = 1, hi = 1;

	world_init(&w);
	test_socketpair(fds);
	bev = bufferevent_socket_new(w.base, fds[0], 0);
	assert_not_null(bev);
	assert_int_eq(bufferevent_getfd(bev), fds[0]);
	assert_ptr_eq(bufferevent_get_base(bev), w.base);
	/* A new bufferevent writes, but does not read until enabled. */
	assert_int_eq(bufferevent_get_enabled(bev), EV_WRITE);
	assert_not_null(bufferevent_get_input(bev));
	assert_not_null(bufferevent_get_output(bev));
	assert_ptr_ne(bufferevent_get_input(bev), bufferevent_get_output(bev));
	assert_int_eq(evbuffer_get_length(bufferevent_get_input(bev)), 0);
	assert_int_eq(evbuffer_get_length(bufferevent_get_output(bev)), 0);
	assert_int_eq(bufferevent_getwatermark(bev, EV_READ, &lo, &hi), 0);
	assert_int_eq(lo, 0);
	assert_int_eq(hi, 0);
	assert_int_eq(bufferevent_socket_get_dns_error(bev), 0);
	bufferevent_free(bev);
	world_free(&w);
	close(fds[0]);
	close(fds[1]);
}

static void
test_close_on_free(void)
{
	struct world w;
	struct peer p;
	int fds[2];

	world_init(&w);
	test_socketpair(fds);
	peer_watch(&p, w.base, fds[1]);
	bufferevent_free(
	        bufferevent_socket_new(w.base, fds[0], BEV_OPT_CLOSE_ON_FREE));
	/* libevent finishes a free from the loop: look after running it. */
	DRIVE_UNTIL(w.base, p.eof);
	assert_false(fd_is_open(fds[0]));
	event_free(p.ev);
	world_free(&w);
	close(fds[1]);
}

static void
test_no_close_without_option(void)
{
	struct world w;
	int fds[2];
	char c = 0;

	world_init(&w);
	test_socketpair(fds);
	bufferevent_free(bufferevent_socket_new(w.base, fds[0], 0));
	settle(w.base);
	assert_true(fd_is_open(fds[0]));
	/* Still connected: the descriptor is the caller's again. */
	test_send(fds[0], "k");
	assert_int_eq(read(fds[1], &c, 1), 1);
	assert_int_eq(c, 'k');
	world_free(&w);
	close(fds[0]);
	close(fds[1]);
}

/* Without evthread_use_pthreads() there are no locks to make, and
 * libevent 2.1 refuses BEV_OPT_THREADSAFE: the constructors fail, and the
 * descriptor stays the caller's (CLOSE_ON_FREE did not take it). */
static void
test_threadsafe_without_threads(void)
{
	struct world w;
	struct bufferevent *pair[2] = {NULL, NULL};
	int fds[2];

	world_init(&w);
	test_socketpair(fds);
	assert_null(bufferevent_socket_new(
	        w.base, fds[0], BEV_OPT_THREADSAFE | BEV_OPT_CLOSE_ON_FREE));
	assert_true(fd_is_open(fds[0]));
	assert_int_eq(bufferevent_pair_new(w.base, BEV_OPT_THREADSAFE, pair),
	              -1);
	world_free(&w);
	close(fds[0]);
	close(fds[1]);
}

static void
other_read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	(void)arg;
}

static void
test_setcb_getcb(void)
{
	struct world w;
	int fds[2];
	bufferevent_data_cb r = NULL, wr = NULL;
	bufferevent_event_cb e = NULL;
	void *arg = NULL;

	world_init(&w);
	test_socketpair(fds);
	side_socket(&w, 0, fds[0], BEV_OPT_CLOSE_ON_FREE);
	bufferevent_getcb(w.s[0].bev, &r, &wr, &e, &arg);
	assert_true(r == read_cb);
	assert_true(wr == write_cb);
	assert_true(e == event_cb);
	assert_ptr_eq(arg, &w.s[0]);
	/* NULL pointers: that part is not wanted. */
	bufferevent_setcb(w.s[0].bev, other_read_cb, NULL, NULL, &w);
	bufferevent_getcb(w.s[0].bev, &r, NULL, NULL, NULL);
	assert_true(r == other_read_cb);
	bufferevent_getcb(w.s[0].bev, NULL, &wr, &e, &arg);
	assert_true(wr == NULL);
	assert_true(e == NULL);
	assert_ptr_eq(arg, &w);
	world_free(&w);
	close(fds[1]);
}

static void
test_setfd_getfd(void)
{
	struct world w;
	int fds[2];
	struct bufferevent *bev;

	world_init(&w);
	test_socketpair(fds);
	bev = side_socket(&w, 0, -1, BEV_OPT_CLOSE_ON_FREE);
	assert_int_eq(bufferevent_getfd(bev), -1);
	assert_int_eq(bufferevent_setfd(bev, fds[0]), 0);
	assert_int_eq(bufferevent_getfd(bev), fds[0]);
	assert_int_eq(bufferevent_enable(bev, EV_READ), 0);
	test_send(fds[1], "on the new fd");
	DRIVE_UNTIL(w.base, w.s[0].reads == 1);
	assert_int_eq(w.s[0].in_len, 13);
	world_free(&w);
	assert_false(fd_is_open(fds[0]));
	close(fds[1]);
}

static void
test_enable_disable(void)
{
	struct world w;
	struct peer p;
	int fds[2];
	struct bufferevent *bev;

	world_init(&w);
	test_socketpair(fds);
	bev = side_socket(&w, 0, fds[0], BEV_OPT_CLOSE_ON_FREE);
	assert_int_eq(bufferevent_enable(bev, EV_READ), 0);
	assert_int_eq(bufferevent_get_enabled(bev), EV_READ | EV_WRITE);
	assert_int_eq(bufferevent_disable(bev, EV_READ | EV_WRITE), 0);
	assert_int_eq(bufferevent_get_enabled(bev), 0);
	/* Disabled: nothing is read, nothing is written. */
	test_send(fds[1], "abc");
	assert_int_eq(bufferevent_write(bev, "xy", 2), 0);
	peer_watch(&p, w.base, fds[1]);
	settle(w.base);
	assert_int_eq(w.s[0].reads, 0);
	assert_int_eq(in_len(&w.s[0]), 0);
	assert_int_eq(p.got, 0);
	assert_int_eq(bufferevent_enable(bev, EV_WRITE), 0);
	assert_int_eq(bufferevent_get_enabled(bev), EV_WRITE);
	DRIVE_UNTIL(w.base, p.got == 2);
	assert_int_eq(w.s[0].reads, 0);
	assert_int_eq(bufferevent_enable(bev, EV_READ), 0);
	DRIVE_UNTIL(w.base, w.s[0].reads == 1);
	assert_int_eq(w.s[0].in_len, 3);
	event_free(p.ev);
	world_free(&w);
	close(fds[1]);
}

/* Disabling reading from the read callback: what comes next stays in
 * the kernel. */
static void
test_disable_in_read_cb(void)
{
	struct world w;
	int fds[2];

	world_init(&w);
	test_socketpair(fds);
	side_socket(&w, 0, fds[0], BEV_OPT_CLOSE_ON_FREE);
	w.s[0].stop_reading = 1;
	assert_int_eq(bufferevent_enable(w.s[0].bev, EV_READ), 0);
	test_send(fds[1], "a");
	DRIVE_UNTIL(w.base, w.s[0].reads == 1);
	assert_int_eq(bufferevent_get_enabled(w.s[0].bev), EV_WRITE);
	test_send(fds[1], "b");
	settle(w.base);
	assert_int_eq(w.s[0].reads, 1);
	assert_int_eq(in_len(&w.s[0]), 1);
	world_free(&w);
	close(fds[1]);
}

/* Reading again after the end of file finds it again. */
static void
test_eof_again_after_enable(void)
{
	struct world w;
	int fds[2];

	world_init(&w);
	test_socketpair(fds);
	side_socket(&w, 0, fds[0], BEV_OPT_CLOSE_ON_FREE);
	assert_int_eq(bufferevent_enable(w.s[0].bev, EV_READ), 0);
	assert_int_eq(shutdown(fds[1], SHUT_WR), 0);
	DRIVE_UNTIL(w.base, w.s[0].events == 1);
	assert_int_eq(bufferevent_enable(w.s[0].bev, EV_READ), 0);
	DRIVE_UNTIL(w.base, w.s[0].events == 2);
	assert_str_eq(w.trace.buf, "a:e11 a:e11");
	world_free(&w);
	close(fds[1]);
}

/* The end of file is found by reading: not reported while reading is
 * disabled, reported once it is enabled. */
static void
test_eof_waits_for_reading(void)
{
	struct world w;
	int fds[2];

	world_init(&w);
	test_socketpair(fds);
	side_socket(&w, 0, fds[0], BEV_OPT_CLOSE_ON_FREE);
	close(fds[1]);
	settle(w.base);
	assert_int_eq(w.s[0].events, 0);
	assert_int_eq(bufferevent_enable(w.s[0].bev, EV_READ), 0);
	DRIVE_UNTIL(w.base, w.s[0].events == 1);
	assert_str_eq(w.trace.buf, "a:e11");
	world_free(&w);
}

static void
test_write_read_calls(void)
{
	struct world w;
	struct peer p;
	int fds[2];
	struct bufferevent *bev;
	struct evbuffer *buf = evbuffer_new();
	char got[16] = "";

	world_init(&w);
	test_socketpair(fds);
	bev = side_socket(&w, 0, fds[0], BEV_OPT_CLOSE_ON_FREE);
	assert_not_null(buf);
	assert_int_eq(bufferevent_write(bev, "hello ", 6), 0);
	assert_int_eq(evbuffer_add(buf, "world", 5), 0);
	assert_int_eq(bufferevent_write_buffer(bev, buf), 0);
	assert_int_eq(evbuffer_get_length(buf), 0);
	assert_int_eq(out_len(&w.s[0]), 11);
	peer_watch(&p, w.base, fds[1]);
	DRIVE_UNTIL(w.base, p.got == 11);
	assert_str_eq(p.data, "hello world");
	/* The other way: read into memory, then into an evbuffer. */
	assert_int_eq(bufferevent_enable(bev, EV_READ), 0);
	test_send(fds[1], "0123456789");
	DRIVE_UNTIL(w.base, in_len(&w.s[0]) == 10);
	assert_int_eq(bufferevent_read(bev, got, 4), 4);
	assert_str_eq(got, "0123");
	assert_int_eq(bufferevent_read_buffer(bev, buf), 0);
	assert_int_eq(evbuffer_get_length(buf), 6);
	assert_int_eq(in_len(&w.s[0]), 0);
	assert_int_eq(bufferevent_read(bev, got, sizeof(got)), 0);
	evbuffer_free(buf);
	event_free(p.ev);
	world_free(&w);
	close(fds[1]);
}

/* ---- callbacks: order, flags, freeing ---- */

/* The whole life of a connection as the callbacks see it. */
static void
test_callback_trace(void)
{
	struct world w;
	int fds[2];
	struct bufferevent *bev;
	char buf[8];

	world_init(&w);
	test_socketpair(fds);
	bev = side_socket(&w, 0, fds[0], BEV_OPT_CLOSE_ON_FREE);
	assert_int_eq(bufferevent_enable(bev, EV_READ), 0);
	assert_int_eq(bufferevent_write(bev, "ping", 4), 0);
	DRIVE_UNTIL(w.base, w.s[0].writes == 1);
	assert_int_eq(read(fds[1], buf, sizeof(buf)), 4);
	test_send(fds[1], "pong!");
	assert_int_eq(shutdown(fds[1], SHUT_WR), 0);
	DRIVE_UNTIL(w.base, w.s[0].events == 1);
	assert_str_eq(w.trace.buf, "a:w0 a:r5 a:e11");
	assert_int_eq(w.s[0].what, BEV_EVENT_EOF | BEV_EVENT_READING);
	/* The end of file stops reading, not writing. */
	assert_int_eq(bufferevent_get_enabled(bev), EV_WRITE);
	world_free(&w);
	close(fds[1]);
}

static void
test_event_flag_values(void)
{
	assert_int_eq(BEV_EVENT_READING, 0x01);
	assert_int_eq(BEV_EVENT_WRITING, 0x02);
	assert_int_eq(BEV_EVENT_EOF, 0x10);
	assert_int_eq(BEV_EVENT_ERROR, 0x20);
	assert_int_eq(BEV_EVENT_TIMEOUT, 0x40);
	assert_int_eq(BEV_EVENT_CONNECTED, 0x80);
	assert_int_eq(BEV_OPT_CLOSE_ON_FREE, 1);
	assert_int_eq(BEV_OPT_THREADSAFE, 2);
	assert_int_eq(BEV_OPT_DEFER_CALLBACKS, 4);
	assert_int_eq(BEV_OPT_UNLOCK_CALLBACKS, 8);
	assert_int_eq(BEV_NORMAL, 0);
	assert_int_eq(BEV_FLUSH, 1);
	assert_int_eq(BEV_FINISHED, 2);
}

/* A TCP peer that closes with SO_LINGER 0 sends a reset: reading fails
 * with ECONNRESET. A deferred event callback still finds that errno. */
static void
reset_is_read_error(int options)
{
	struct world w;
	int fds[2];
	struct linger lg = {1, 0};

	world_init(&w);
	tcp_pair(fds);
	side_socket(&w, 0, fds[0], BEV_OPT_CLOSE_ON_FREE | options);
	assert_int_eq(bufferevent_enable(w.s[0].bev, EV_READ), 0);
	assert_int_eq(
	        setsockopt(fds[1], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	close(fds[1]);
	DRIVE_UNTIL(w.base, w.s[0].events == 1);
	assert_int_eq(w.s[0].what, BEV_EVENT_ERROR | BEV_EVENT_READING);
	assert_int_eq(w.s[0].err, ECONNRESET);
	assert_int_eq(w.s[0].reads, 0);
	assert_str_eq(w.trace.buf, "a:e21");
	assert_int_eq(bufferevent_get_enabled(w.s[0].bev), EV_WRITE);
	world_free(&w);
}

static void
test_reset_is_read_error(void)
{
	reset_is_read_error(0);
}

static void
test_reset_is_read_error_deferred(void)
{
	reset_is_read_error(BEV_OPT_DEFER_CALLBACKS);
}

/* A reset while output is still queued fails the write: ERROR|WRITING
 * (errno ECONNRESET, or EPIPE if the kernel already reported the reset),
 * and writing is disabled. */
static void
test_reset_while_writing(void)
{
	struct world w;
	int fds[2], small = 4096;
	struct linger lg = {1, 0};
	char *data = calloc(1, WRITTEN);

	signal(SIGPIPE, SIG_IGN);
	world_init(&w);
	tcp_pair(fds);
	assert_not_null(data);
	assert_int_eq(setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &small,
	                         sizeof(small)),
	              0);
	assert_int_eq(setsockopt(fds[1], SOL_SOCKET, SO_RCVBUF, &small,
	                         sizeof(small)),
	              0);
	side_socket(&w, 0, fds[0], BEV_OPT_CLOSE_ON_FREE);
	assert_int_eq(bufferevent_write(w.s[0].bev, data, WRITTEN), 0);
	DRIVE_UNTIL(w.base, out_len(&w.s[0]) < WRITTEN);
	assert_int_eq(
	        setsockopt(fds[1], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	close(fds[1]);
	DRIVE_UNTIL(w.base, w.s[0].events == 1);
	assert_int_eq(w.s[0].what, BEV_EVENT_ERROR | BEV_EVENT_WRITING);
	assert_true(w.s[0].err == ECONNRESET || w.s[0].err == EPIPE);
	assert_int_gt(out_len(&w.s[0]), 0);
	assert_int_eq(bufferevent_get_enabled(w.s[0].bev), 0);
	free(data);
	world_free(&w);
}

/* Writing to a socket whose peer is gone fails with EPIPE (SIGPIPE is
 * the program's business: ignored here). */
static void
test_write_to_closed_peer(void)
{
	struct world w;
	int fds[2];

	signal(SIGPIPE, SIG_IGN);
	world_init(&w);
	test_socketpair(fds);
	side_socket(&w, 0, fds[0], BEV_OPT_CLOSE_ON_FREE);
	close(fds[1]);
	assert_int_eq(bufferevent_write(w.s[0].bev, "lost", 4), 0);
	DRIVE_UNTIL(w.base, w.s[0].events == 1);
	assert_int_eq(w.s[0].what, BEV_EVENT_ERROR | BEV_EVENT_WRITING);
	assert_int_eq(w.s[0].err, EPIPE);
	assert_int_eq(w.s[0].writes, 0);
	assert_str_eq(w.trace.buf, "a:e22");
	world_free(&w);
}

/* The peer is gone while both directions are enabled: the failed write
 * is reported, then the end of file, and both directions end disabled. */
static void
test_write_error_then_eof(void)
{
	struct world w;
	int fds[2];

	signal(SIGPIPE, SIG_IGN);
	world_init(&w);
	test_socketpair(fds);
	side_socket(&w, 0, fds[0], BEV_OPT_CLOSE_ON_FREE);
	assert_int_eq(bufferevent_enable(w.s[0].bev, EV_READ), 0);
	close(fds[1]);
	assert_int_eq(bufferevent_write(w.s[0].bev, "late", 4), 0);
	DRIVE_UNTIL(w.base, w.s[0].events == 2);
	assert_str_eq(w.trace.buf, "a:e22 a:e11");
	assert_int_eq(bufferevent_get_enabled(w.s[0].bev), 0);
	world_free(&w);
}

/* Freeing from inside a callback, with CLOSE_ON_FREE: the peer sees the
 * end of file, and valgrind sees no use after free. */
static void
free_in_callback(char which)
{
	struct world w;
	struct peer p;
	int fds[2];

	world_init(&w);
	test_socketpair(fds);
	side_socket(&w, 0, fds[0], BEV_OPT_CLOSE_ON_FREE);
	w.s[0].free_in = which;
	assert_int_eq(bufferevent_enable(w.s[0].bev, EV_READ), 0);
	if (which == 'r')
		test_send(fds[1], "data");
	else if (which == 'w')
		assert_int_eq(bufferevent_write(w.s[0].bev, "x", 1), 0);
	else
		assert_int_eq(shutdown(fds[1], SHUT_WR), 0);
	peer_watch(&p, w.base, fds[1]);
	DRIVE_UNTIL(w.base, p.eof);
	assert_null(w.s[0].bev);
	assert_int_eq(p.got, which == 'w' ? 1 : 0);
	assert_int_eq(w.s[0].reads + w.s[0].writes + w.s[0].events, 1);
	settle(w.base);
	event_free(p.ev);
	world_free(&w);
	close(fds[1]);
}

static void
test_free_in_read_cb(void)
{
	free_in_callback('r');
}

static void
test_free_in_write_cb(void)
{
	free_in_callback('w');
}

static void
test_free_in_event_cb(void)
{
	free_in_callback('e');
}

/* bufferevent_write only queues; free does not flush what is queued. */
static void
test_free_drops_pending_output(void)
{
	struct world w;
	struct peer p;
	int fds[2];

	world_init(&w);
	test_socketpair(fds);
	side_socket(&w, 0, fds[0], BEV_OPT_CLOSE_ON_FREE);
	assert_int_eq(bufferevent_write(w.s[0].bev, "owed", 4), 0);
	side_free(&w.s[0]);
	peer_watch(&p, w.base, fds[1]);
	DRIVE_UNTIL(w.base, p.eof);
	assert_int_eq(p.got, 0);
	assert_int_eq(w.s[0].writes, 0);
	event_free(p.ev);
	world_free(&w);
	close(fds[1]);
}

/* ---- watermarks ---- */

static void
test_getwatermark(void)
{
	struct world w;
	int fds[2];
	struct bufferevent *bev;
	size_t lo = 0, hi = 0;

	world_init(&w);
	test_socketpair(fds);
	bev = side_socket(&w, 0, fds[0], BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setwatermark(bev, EV_READ, 10, 100);
	bufferevent_setwatermark(bev, EV_WRITE, 5, 50);
	assert_int_eq(bufferevent_getwatermark(bev, EV_READ, &lo, &hi), 0);
	assert_int_eq(lo, 10);
	assert_int_eq(hi, 100);
	assert_int_eq(bufferevent_getwatermark(bev, EV_WRITE, &lo, NULL), 0);
	assert_int_eq(lo, 5);
	assert_int_eq(bufferevent_getwatermark(bev, EV_WRITE, NULL, &hi), 0);
	assert_int_eq(hi, 50);
	/* One direction at a time, and one of the two. */
	assert_int_ne(bufferevent_getwatermark(bev, 0, &lo, &hi), 0);
	assert_int_ne(
	        bufferevent_getwatermark(bev, EV_READ | EV_WRITE, &lo, &hi), 0);
	/* Both at once when setting. */
	bufferevent_setwatermark(bev, EV_READ | EV_WRITE, 7, 70);
	assert_int_eq(bufferevent_getwatermark(bev, EV_READ, &lo, &hi), 0);
	assert_int_eq(lo, 7);
	assert_int_eq(hi, 70);
	assert_int_eq(bufferevent_getwatermark(bev, EV_WRITE, &lo, &hi), 0);
	assert_int_eq(lo, 7);
	assert_int_eq(hi, 70);
	world_free(&w);
	close(fds[1]);
}

/* The read callback runs only once the input holds at least low. */
static void
test_read_low_watermark(void)
{
	struct world w;
	int fds[2];
	struct bufferevent *bev;

	world_init(&w);
	test_socketpair(fds);
	bev = side_socket(&w, 0, fds[0], BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setwatermark(bev, EV_READ, 10, 0);
	assert_int_eq(bufferevent_enable(bev, EV_READ), 0);
	test_send(fds[1], "1234");
	DRIVE_UNTIL(w.base, in_len(&w.s[0]) == 4);
	settle(w.base);
	assert_int_eq(w.s[0].reads, 0);
	test_send(fds[1], "567890");
	DRIVE_UNTIL(w.base, w.s[0].reads == 1);
	assert_int_eq(w.s[0].in_len, 10);
	world_free(&w);
	close(fds[1]);
}

#define HIGH 5000 /* not a multiple of any chunk size */
#define SENT (64 * 1024)

/* Reading stops when the input reaches high while nobody drains it, and
 * resumes once it is drained: backpressure. (Meanwhile libevent 2.1 calls
 * the read callback over and over, millions of times a second; the case
 * looks only at the input.) */
static void
test_read_high_watermark(void)
{
	struct world w;
	int fds[2];
	struct bufferevent *bev;
	unsigned char *data = malloc(SENT);

	world_init(&w);
	test_socketpair(fds);
	assert_not_null(data);
	for (size_t i = 0; i < SENT; i++)
		data[i] = pattern(i);
	assert_int_eq(write(fds[1], data, SENT), SENT);
	bev = side_socket(&w, 0, fds[0], BEV_OPT_CLOSE_ON_FREE);
	w.s[0].quiet = 1;
	bufferevent_setwatermark(bev, EV_READ, 0, HIGH);
	assert_int_eq(bufferevent_enable(bev, EV_READ), 0);
	DRIVE_UNTIL(w.base, in_len(&w.s[0]) >= HIGH);
	settle(w.base);
	assert_int_eq(in_len(&w.s[0]), HIGH);
	assert_int_le(w.s[0].max_in, HIGH);
	/* Drained from outside a callback: reading resumes. */
	w.s[0].mode = CHECK;
	check_input(&w.s[0], bufferevent_get_input(bev));
	DRIVE_UNTIL(w.base, w.s[0].total == SENT);
	assert_int_eq(w.s[0].bad_at, 0);
	assert_int_le(w.s[0].max_in, HIGH);
	free(data);
	world_free(&w);
	close(fds[1]);
}

/* Setting the high watermark to 0 (none) lets a stopped reader go on. */
static void
test_read_high_watermark_removed(void)
{
	struct world w;
	int fds[2];
	struct bufferevent *bev;
	unsigned char *data = malloc(SENT);

	world_init(&w);
	test_socketpair(fds);
	assert_not_null(data);
	for (size_t i = 0; i < SENT; i++)
		data[i] = pattern(i);
	assert_int_eq(write(fds[1], data, SENT), SENT);
	bev = side_socket(&w, 0, fds[0], BEV_OPT_CLOSE_ON_FREE);
	w.s[0].quiet = 1;
	bufferevent_setwatermark(bev, EV_READ, 0, HIGH);
	assert_int_eq(bufferevent_enable(bev, EV_READ), 0);
	DRIVE_UNTIL(w.base, in_len(&w.s[0]) >= HIGH);
	settle(w.base);
	assert_int_eq(in_len(&w.s[0]), HIGH);
	bufferevent_setwatermark(bev, EV_READ, 0, 0);
	DRIVE_UNTIL(w.base, in_len(&w.s[0]) == SENT);
	w.s[0].mode = CHECK;
	check_input(&w.s[0], bufferevent_get_input(bev));
	assert_int_eq(w.s[0].bad_at, 0);
	free(data);
	world_free(&w);
	close(fds[1]);
}

/* A peer that reads at most 4 KB per turn of the loop. */
static void
slow_reader_cb(evutil_socket_t fd, short what, void *arg)
{
	struct peer *p = arg;
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));

	(void)what;
	if (n > 0)
		p->got += (size_t)n;
}

#define WRITE_LOW (64 * 1024)

/* The write callback runs when the output drains to low or below, and
 * not before; and it does not wait for an empty buffer: when it first
 * runs, some output is still queued. */
static void
test_write_low_watermark(void)
{
	struct world w;
	struct peer p;
	int fds[2];
	struct bufferevent *bev;
	char *data = calloc(1, WRITTEN);

	world_init(&w);
	test_socketpair(fds);
	assert_not_null(data);
	bev = side_socket(&w, 0, fds[0], BEV_OPT_CLOSE_ON_FREE);
	w.s[0].quiet = 1;
	bufferevent_setwatermark(bev, EV_WRITE, WRITE_LOW, 0);
	assert_int_eq(bufferevent_write(bev, data, WRITTEN), 0);
	memset(&p, 0, sizeof(p));
	p.ev = event_new(w.base, fds[1], EV_READ | EV_PERSIST, slow_reader_cb,
	                 &p);
	assert_not_null(p.ev);
	assert_int_eq(event_add(p.ev, NULL), 0);
	DRIVE_UNTIL(w.base, w.s[0].writes == 1);
	assert_int_le(w.s[0].out_len, WRITE_LOW);
	assert_int_gt(w.s[0].out_len, 0);
	DRIVE_UNTIL(w.base, p.got == WRITTEN);
	assert_int_eq(w.s[0].out_len, 0);
	event_free(p.ev);
	free(data);
	world_free(&w);
	close(fds[1]);
}

/* ---- timeouts ---- */

static void
test_read_timeout(void)
{
	struct world w;
	int fds[2];
	struct bufferevent *bev;
	struct timeval tv = tv_ms(100);

	world_init(&w);
	test_socketpair(fds);
	bev = side_socket(&w, 0, fds[0], BEV_OPT_CLOSE_ON_FREE);
	assert_int_eq(bufferevent_set_timeouts(bev, &tv, NULL), 0);
	assert_int_eq(bufferevent_enable(bev, EV_READ), 0);
	DRIVE_UNTIL(w.base, w.s[0].events == 1);
	assert_int_eq(w.s[0].what, BEV_EVENT_TIMEOUT | BEV_EVENT_READING);
	/* The timeout disabled reading; enabling it arms it again. */
	assert_int_eq(bufferevent_get_enabled(bev), EV_WRITE);
	assert_int_eq(bufferevent_enable(bev, EV_READ), 0);
	DRIVE_UNTIL(w.base, w.s[0].events == 2);
	assert_str_eq(w.trace.buf, "a:e41 a:e41");
	/* Data resets the clock; it is read and the callback runs. */
	assert_int_eq(bufferevent_enable(bev, EV_READ), 0);
	test_send(fds[1], "late");
	DRIVE_UNTIL(w.base, w.s[0].reads == 1);
	assert_int_eq(w.s[0].in_len, 4);
	world_free(&w);
	close(fds[1]);
}

/* A read timeout is armed only while reading is enabled;
 * set_timeouts(NULL, NULL) removes it, and so does a zero timeval. */
static void
test_read_timeout_off(void)
{
	struct world w;
	int fds[2];
	struct bufferevent *bev;
	struct timeval tv = tv_ms(50);

	world_init(&w);
	test_socketpair(fds);
	bev = side_socket(&w, 0, fds[0], BEV_OPT_CLOSE_ON_FREE);
	assert_int_eq(bufferevent_set_timeouts(bev, &tv, NULL), 0);
	drive_for(w.base, 200);
	assert_int_eq(w.s[0].events, 0);
	assert_int_eq(bufferevent_enable(bev, EV_READ), 0);
	assert_int_eq(bufferevent_set_timeouts(bev, NULL, NULL), 0);
	drive_for(w.base, 200);
	assert_int_eq(w.s[0].events, 0);
	tv = tv_ms(0);
	assert_int_eq(bufferevent_set_timeouts(bev, &tv, NULL), 0);
	drive_for(w.base, 200);
	assert_int_eq(w.s[0].events, 0);
	assert_int_eq(bufferevent_get_enabled(bev), EV_READ | EV_WRITE);
	world_free(&w);
	close(fds[1]);
}

/* While reading is suspended by the high watermark, the read timeout is
 * not armed: a reader that stopped itself is not idle. (No read callback
 * here, so that libevent does not call it over and over.) */
static void
test_read_timeout_not_while_suspended(void)
{
	struct world w;
	int fds[2];
	struct bufferevent *bev;
	struct timeval tv = tv_ms(50);
	char data[3 * HIGH];

	world_init(&w);
	test_socketpair(fds);
	memset(data, 'x', sizeof(data));
	assert_int_eq(write(fds[1], data, sizeof(data)), sizeof(data));
	bev = side_socket(&w, 0, fds[0], BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(bev, NULL, write_cb, event_cb, &w.s[0]);
	bufferevent_setwatermark(bev, EV_READ, 0, HIGH);
	assert_int_eq(bufferevent_set_timeouts(bev, &tv, NULL), 0);
	assert_int_eq(bufferevent_enable(bev, EV_READ), 0);
	DRIVE_UNTIL(w.base, in_len(&w.s[0]) == HIGH);
	drive_for(w.base, 300);
	assert_int_eq(w.s[0].events, 0);
	assert_int_eq(in_len(&w.s[0]), HIGH);
	assert_int_eq(bufferevent_get_enabled(bev), EV_READ | EV_WRITE);
	world_free(&w);
	close(fds[1]);
}

#define STUFFED (4 * 1024 * 1024)

/* The peer never reads: the kernel buffers fill, the output stops
 * draining, and the write timeout fires and disables writing. */
static void
test_write_timeout(void)
{
	struct world w;
	int fds[2];
	struct bufferevent *bev;
	struct timeval tv = tv_ms(100);
	char *data = calloc(1, STUFFED);

	world_init(&w);
	test_socketpair(fds);
	assert_not_null(data);
	bev = side_socket(&w, 0, fds[0], BEV_OPT_CLOSE_ON_FREE);
	assert_int_eq(bufferevent_enable(bev, EV_READ), 0);
	assert_int_eq(bufferevent_set_timeouts(bev, NULL, &tv), 0);
	assert_int_eq(bufferevent_write(bev, data, STUFFED), 0);
	DRIVE_UNTIL(w.base, w.s[0].events == 1);
	assert_int_eq(w.s[0].what, BEV_EVENT_TIMEOUT | BEV_EVENT_WRITING);
	assert_int_eq(bufferevent_get_enabled(bev), EV_READ);
	assert_int_gt(out_len(&w.s[0]), 0);
	assert_int_eq(w.s[0].writes, 0);
	free(data);
	world_free(&w);
	close(fds[1]);
}

/* With nothing to write, the write timeout is not armed, and the write
 * callback does not run. */
static void
test_write_timeout_idle(void)
{
	struct world w;
	int fds[2];
	struct bufferevent *bev;
	struct timeval tv = tv_ms(50);

	world_init(&w);
	test_socketpair(fds);
	bev = side_socket(&w, 0, fds[0], BEV_OPT_CLOSE_ON_FREE);
	assert_int_eq(bufferevent_set_timeouts(bev, NULL, &tv), 0);
	drive_for(w.base, 300);
	assert_int_eq(w.s[0].events, 0);
	/* Nothing was written, so there was no write callback either. */
	assert_int_eq(w.s[0].writes, 0);
	assert_int_eq(bufferevent_get_enabled(bev), EV_WRITE);
	world_free(&w);
	close(fds[1]);
}

/* ---- flush, priority, locks ---- */

/* A socket bufferevent has nothing to flush: the call does nothing. */
static void
test_socket_flush(void)
{
	struct world w;
	int fds[2];
	struct bufferevent *bev;

	world_init(&w);
	test_socketpair(fds);
	bev = side_socket(&w, 0, fds[0], BEV_OPT_CLOSE_ON_FREE);
	assert_int_eq(bufferevent_write(bev, "abc", 3), 0);
	assert_int_eq(bufferevent_flush(bev, EV_WRITE, BEV_FLUSH), 0);
	assert_int_eq(bufferevent_flush(bev, EV_READ | EV_WRITE, BEV_FINISHED),
	              0);
	assert_int_eq(out_len(&w.s[0]), 3);
	assert_int_eq(w.s[0].events + w.s[0].writes, 0);
	world_free(&w);
	close(fds[1]);
}

static void
plain_cb(evutil_socket_t fd, short what, void *arg)
{
	struct world *w = arg;

	(void)fd;
	(void)what;
	unit_trace(&w->trace, "plain");
}

/* A bufferevent's priority is that of its events: with both ready, the
 * lower number runs first. */
static void
bev_priority_order(int bev_pri, int plain_pri, const char *expected)
{
	struct world w;
	int fds[2], other[2];
	struct event *ev;

	world_init(&w);
	assert_int_eq(event_base_priority_init(w.base, 2), 0);
	test_socketpair(fds);
	test_socketpair(other);
	side_socket(&w, 0, fds[0], BEV_OPT_CLOSE_ON_FREE);
	assert_int_eq(bufferevent_priority_set(w.s[0].bev, 2), -1);
	assert_int_eq(bufferevent_priority_set(w.s[0].bev, -1), -1);
	assert_int_eq(bufferevent_priority_set(w.s[0].bev, bev_pri), 0);
	assert_int_eq(bufferevent_enable(w.s[0].bev, EV_READ), 0);
	ev = event_new(w.base, other[0], EV_READ, plain_cb, &w);
	assert_not_null(ev);
	assert_int_eq(event_priority_set(ev, plain_pri), 0);
	assert_int_eq(event_add(ev, NULL), 0);
	test_send(fds[1], "x");
	test_send(other[1], "y");
	DRIVE_UNTIL(w.base,
	            w.s[0].reads == 1 && !event_pending(ev, EV_READ, NULL));
	assert_str_eq(w.trace.buf, expected);
	event_free(ev);
	world_free(&w);
	close(fds[1]);
	close(other[0]);
	close(other[1]);
}

static void
test_priority_first(void)
{
	bev_priority_order(0, 1, "a:r1 plain");
}

static void
test_priority_second(void)
{
	bev_priority_order(1, 0, "plain a:r1");
}

/* Without BEV_OPT_THREADSAFE the lock calls do nothing, nested or not. */
static void
test_lock_unlock(void)
{
	struct world w;
	struct peer p;
	int fds[2];
	struct bufferevent *bev;

	world_init(&w);
	test_socketpair(fds);
	bev = side_socket(&w, 0, fds[0], BEV_OPT_CLOSE_ON_FREE);
	bufferevent_lock(bev);
	bufferevent_lock(bev);
	assert_int_eq(bufferevent_write(bev, "locked", 6), 0);
	bufferevent_unlock(bev);
	bufferevent_unlock(bev);
	peer_watch(&p, w.base, fds[1]);
	DRIVE_UNTIL(w.base, p.got == 6);
	assert_str_eq(p.data, "locked");
	event_free(p.ev);
	world_free(&w);
	close(fds[1]);
}

/* ---- connecting ---- */

/* Data written before the connection is made goes out once it is: the
 * event callback says CONNECTED first, then the write callback runs. */
static void
test_connect(void)
{
	struct world w;
	struct sockaddr_in sin;
	struct peer p;
	int lfd, fd, bev_fd;
	struct bufferevent *bev;

	world_init(&w);
	lfd = tcp_bound(&sin, 1);
	bev = side_socket(&w, 0, -1, BEV_OPT_CLOSE_ON_FREE);
	assert_int_eq(bufferevent_socket_connect(bev, (struct sockaddr *)&sin,
	                                         sizeof(sin)),
	              0);
	/* The socket connect made is the bufferevent's, closed on free. */
	bev_fd = bufferevent_getfd(bev);
	assert_int_ge(bev_fd, 0);
	assert_int_eq(bufferevent_write(bev, "early", 5), 0);
	unit_trace(&w.trace, "returned");
	DRIVE_UNTIL(w.base, w.s[0].writes == 1);
	assert_str_eq(w.trace.buf, "returned a:e80 a:w0");
	assert_int_eq(w.s[0].what, BEV_EVENT_CONNECTED);
	fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
	assert_int_ge(fd, 0);
	peer_watch(&p, w.base, fd);
	DRIVE_UNTIL(w.base, p.got == 5);
	assert_str_eq(p.data, "early");
	event_free(p.ev);
	world_free(&w);
	assert_false(fd_is_open(bev_fd));
	close(fd);
	close(lfd);
}

/* With a NULL address, bufferevent_socket_connect takes a socket whose
 * connect() the caller started, and reports when it completes. */
static void
test_connect_started_by_caller(void)
{
	struct world w;
	struct sockaddr_in sin;
	int lfd, fd, rc;

	world_init(&w);
	lfd = tcp_bound(&sin, 1);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_int_ge(fd, 0);
	rc = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	assert_true(rc == 0 || errno == EINPROGRESS);
	side_socket(&w, 0, fd, BEV_OPT_CLOSE_ON_FREE);
	assert_int_eq(bufferevent_socket_connect(w.s[0].bev, NULL, 0), 0);
	DRIVE_UNTIL(w.base, w.s[0].events == 1);
	assert_int_eq(w.s[0].what, BEV_EVENT_CONNECTED);
	assert_int_eq(bufferevent_getfd(w.s[0].bev), fd);
	world_free(&w);
	close(lfd);
}

/* Given a socket that is not connected yet, bufferevent_socket_connect
 * connects that one; with no socket and no address it has nothing to do
 * and fails. */
static void
test_connect_own_socket(void)
{
	struct world w;
	struct sockaddr_in sin;
	int lfd, fd;

	world_init(&w);
	side_socket(&w, 1, -1, BEV_OPT_CLOSE_ON_FREE);
	assert_int_eq(bufferevent_socket_connect(w.s[1].bev, NULL, 0), -1);
	assert_int_eq(bufferevent_getfd(w.s[1].bev), -1);
	lfd = tcp_bound(&sin, 1);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_int_ge(fd, 0);
	side_socket(&w, 0, fd, BEV_OPT_CLOSE_ON_FREE);
	assert_int_eq(bufferevent_socket_connect(
	                      w.s[0].bev, (struct sockaddr *)&sin, sizeof(sin)),
	              0);
	assert_int_eq(bufferevent_getfd(w.s[0].bev), fd);
	DRIVE_UNTIL(w.base, w.s[0].events == 1);
	assert_str_eq(w.trace.buf, "a:e80");
	world_free(&w);
	close(lfd);
}

/* A bound port with no listener refuses: the event callback gets
 * BEV_EVENT_ERROR alone, with errno ECONNREFUSED. */
static void
connect_refused(int options)
{
	struct world w;
	struct sockaddr_in sin;
	int fd;
	struct bufferevent *bev;

	world_init(&w);
	fd = tcp_bound(&sin, 0);
	bev = side_socket(&w, 0, -1, BEV_OPT_CLOSE_ON_FREE | options);
	assert_int_eq(bufferevent_socket_connect(bev, (struct sockaddr *)&sin,
	                                         sizeof(sin)),
	              0);
	assert_int_eq(bufferevent_write(bev, "never", 5), 0);
	DRIVE_UNTIL(w.base, w.s[0].events == 1);
	assert_int_eq(w.s[0].what, BEV_EVENT_ERROR);
	assert_int_eq(w.s[0].err, ECONNREFUSED);
	settle(w.base);
	assert_str_eq(w.trace.buf, "a:e20");
	world_free(&w);
	close(fd);
}

static void
test_connect_refused(void)
{
	connect_refused(0);
}

static void
test_connect_refused_deferred(void)
{
	connect_refused(BEV_OPT_DEFER_CALLBACKS);
}

static void
connect_hostname(const char *host, int family)
{
	struct world w;
	struct sockaddr_in sin;
	int lfd, fd;
	struct bufferevent *bev;

	world_init(&w);
	lfd = tcp_bound(&sin, 1);
	bev = side_socket(&w, 0, -1, BEV_OPT_CLOSE_ON_FREE);
	assert_int_eq(bufferevent_socket_connect_hostname(
	                      bev, NULL, family, host, ntohs(sin.sin_port)),
	              0);
	DRIVE_UNTIL(w.base, w.s[0].events == 1);
	assert_int_eq(w.s[0].what, BEV_EVENT_CONNECTED);
	assert_int_eq(bufferevent_socket_get_dns_error(bev), 0);
	/* Nothing was queued: no write callback after CONNECTED. */
	settle(w.base);
	assert_str_eq(w.trace.buf, "a:e80");
	fd = accept4(lfd, NULL, NULL, 0);
	assert_int_ge(fd, 0);
	close(fd);
	world_free(&w);
	close(lfd);
}

static void
test_connect_hostname_numeric(void)
{
	connect_hostname("127.0.0.1", AF_UNSPEC);
}

static void
test_connect_hostname_localhost(void)
{
	connect_hostname("localhost", AF_INET);
}

/* An empty label makes the name invalid before any DNS query is sent.
 * Without an evdns_base the failure is known at once: the event callback
 * runs inside the call, and the function still returns 0. */
static void
bad_hostname(int options, const char *expected_trace)
{
	struct world w;
	struct bufferevent *bev;

	world_init(&w);
	bev = side_socket(&w, 0, -1, BEV_OPT_CLOSE_ON_FREE | options);
	w.inside = 1;
	assert_int_eq(bufferevent_socket_connect_hostname(
	                      bev, NULL, AF_INET, "bad..name.invalid", 80),
	              0);
	w.inside = 0;
	unit_trace(&w.trace, "returned");
	DRIVE_UNTIL(w.base, w.s[0].events == 1);
	assert_str_eq(w.trace.buf, expected_trace);
	assert_int_eq(w.s[0].what, BEV_EVENT_ERROR);
	assert_int_ne(bufferevent_socket_get_dns_error(bev), 0);
	world_free(&w);
}

static void
test_connect_hostname_bad(void)
{
	bad_hostname(0, "a:e20 returned");
}

static void
test_connect_hostname_bad_deferred(void)
{
	bad_hostname(BEV_OPT_DEFER_CALLBACKS, "returned a:e20");
}

/* The DNS error is that of the last lookup: a good name after a bad one
 * brings it back to 0. */
static void
test_dns_error_reset(void)
{
	struct world w;
	struct sockaddr_in sin;
	int lfd, fd;
	struct bufferevent *bev;

	world_init(&w);
	lfd = tcp_bound(&sin, 1);
	bev = side_socket(&w, 0, -1, BEV_OPT_CLOSE_ON_FREE);
	assert_int_eq(bufferevent_socket_connect_hostname(
	                      bev, NULL, AF_INET, "bad..name.invalid", 80),
	              0);
	DRIVE_UNTIL(w.base, w.s[0].events == 1);
	assert_int_ne(bufferevent_socket_get_dns_error(bev), 0);
	assert_int_eq(bufferevent_socket_connect_hostname(bev, NULL, AF_INET,
	                                                  "127.0.0.1",
	                                                  ntohs(sin.sin_port)),
	              0);
	DRIVE_UNTIL(w.base, w.s[0].events == 2);
	assert_str_eq(w.trace.buf, "a:e20 a:e80");
	assert_int_eq(bufferevent_socket_get_dns_error(bev), 0);
	fd = accept4(lfd, NULL, NULL, 0);
	assert_int_ge(fd, 0);
	close(fd);
	world_free(&w);
	close(lfd);
}

/* ---- deferred callbacks on a socket ---- */

/* Everything still arrives, from the loop, with the same flags. */
static void
test_socket_deferred(void)
{
	struct world w;
	int fds[2];
	struct bufferevent *bev;
	char buf[8];

	world_init(&w);
	test_socketpair(fds);
	bev = side_socket(&w, 0, fds[0],
	                  BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	assert_int_eq(bufferevent_enable(bev, EV_READ), 0);
	w.inside = 1;
	assert_int_eq(bufferevent_write(bev, "ping", 4), 0);
	w.inside = 0;
	DRIVE_UNTIL(w.base, w.s[0].writes == 1);
	assert_int_eq(read(fds[1], buf, sizeof(buf)), 4);
	test_send(fds[1], "pong!");
	assert_int_eq(shutdown(fds[1], SHUT_WR), 0);
	DRIVE_UNTIL(w.base, w.s[0].events == 1);
	assert_str_eq(w.trace.buf, "a:w0 a:r5 a:e11");
	assert_false(w.s[0].called_inside);
	world_free(&w);
	close(fds[1]);
}

/* ---- bufferevent pairs ---- */

static void
test_pair_new(void)
{
	struct world w;
	struct bufferevent *a, *b;

	world_init(&w);
	side_pair(&w, 0);
	a = w.s[0].bev;
	b = w.s[1].bev;
	assert_ptr_eq(bufferevent_pair_get_partner(a), b);
	assert_ptr_eq(bufferevent_pair_get_partner(b), a);
	assert_ptr_eq(bufferevent_get_base(a), w.base);
	assert_int_eq(bufferevent_getfd(a), -1);
	assert_int_eq(bufferevent_get_enabled(a), EV_WRITE);
	assert_int_eq(bufferevent_get_enabled(b), EV_WRITE);
	/* Pairs have no descriptor and no events of their own. */
	assert_int_eq(bufferevent_setfd(a, 0), -1);
	assert_int_eq(bufferevent_priority_set(a, 0), -1);
	world_free(&w);
}

/* libevent's pairs always defer their callbacks (bufferevent_pair_new
 * adds BEV_OPT_DEFER_CALLBACKS): nothing runs inside bufferevent_write;
 * the partner's read callback and the writer's write callback run later,
 * from the loop, in that order. */
static void
pair_cross(int options)
{
	struct world w;
	char buf[8] = "";

	world_init(&w);
	side_pair(&w, options);
	assert_int_eq(bufferevent_enable(w.s[1].bev, EV_READ), 0);
	assert_int_eq(bufferevent_enable(w.s[0].bev, EV_READ), 0);
	w.inside = 1;
	assert_int_eq(bufferevent_write(w.s[0].bev, "hello", 5), 0);
	w.inside = 0;
	assert_str_eq(w.trace.buf, "");
	DRIVE_UNTIL(w.base, w.s[1].reads == 1 && w.s[0].writes == 1);
	assert_str_eq(w.trace.buf, "b:r5 a:w0");
	assert_int_eq(bufferevent_read(w.s[1].bev, buf, sizeof(buf)), 5);
	assert_str_eq(buf, "hello");
	w.inside = 1;
	assert_int_eq(bufferevent_write(w.s[1].bev, "back", 4), 0);
	w.inside = 0;
	DRIVE_UNTIL(w.base, w.s[0].reads == 1 && w.s[1].writes == 1);
	assert_str_eq(w.trace.buf, "b:r5 a:w0 a:r4 b:w0");
	assert_int_eq(in_len(&w.s[0]), 4);
	assert_false(w.s[0].called_inside || w.s[1].called_inside);
	world_free(&w);
}

static void
test_pair_data_crosses(void)
{
	pair_cross(0);
}

static void
test_pair_deferred(void)
{
	pair_cross(BEV_OPT_DEFER_CALLBACKS);
}

/* Data waits in the writer's output while the reader does not read. */
static void
test_pair_reader_disabled(void)
{
	struct world w;

	world_init(&w);
	side_pair(&w, 0);
	assert_int_eq(bufferevent_write(w.s[0].bev, "wait", 4), 0);
	settle(w.base);
	assert_int_eq(out_len(&w.s[0]), 4);
	assert_int_eq(in_len(&w.s[1]), 0);
	assert_int_eq(w.s[1].reads, 0);
	assert_int_eq(bufferevent_enable(w.s[1].bev, EV_READ), 0);
	DRIVE_UNTIL(w.base, w.s[1].reads == 1);
	assert_int_eq(in_len(&w.s[1]), 4);
	assert_int_eq(out_len(&w.s[0]), 0);
	world_free(&w);
}

#define PAIR_HIGH 700
#define PAIR_LOW  500
#define PAIR_SENT 3000

/* The reader's high watermark bounds each hand-over; the writer's write
 * callback runs only once its output is down to its low watermark (then
 * after every hand-over). */
static void
test_pair_watermarks(void)
{
	struct world w;
	char buf[PAIR_HIGH];
	char *data = calloc(1, PAIR_SENT);
	size_t got = 0, first_out = 0;

	world_init(&w);
	assert_not_null(data);
	side_pair(&w, 0);
	w.s[0].quiet = w.s[1].quiet = 1;
	bufferevent_setwatermark(w.s[1].bev, EV_READ, 0, PAIR_HIGH);
	bufferevent_setwatermark(w.s[0].bev, EV_WRITE, PAIR_LOW, 0);
	assert_int_eq(bufferevent_enable(w.s[1].bev, EV_READ), 0);
	assert_int_eq(bufferevent_write(w.s[0].bev, data, PAIR_SENT), 0);
	while (got < PAIR_SENT) {
		size_t before = got;
		DRIVE_UNTIL(w.base, in_len(&w.s[1]) > 0);
		settle(w.base);
		assert_int_le(in_len(&w.s[1]), PAIR_HIGH);
		if (out_len(&w.s[0]) > PAIR_LOW)
			assert_int_eq(w.s[0].writes, 0);
		else if (first_out == 0)
			first_out = w.s[0].out_len;
		got += bufferevent_read(w.s[1].bev, buf, sizeof(buf));
		assert_int_gt(got, before);
	}
	assert_int_eq(got, PAIR_SENT);
	assert_int_eq(w.s[1].max_in, PAIR_HIGH);
	/* 3000 goes over 700 at a time: 2300, 1600, 900, then 200 left. */
	assert_int_eq(first_out, PAIR_SENT % PAIR_HIGH);
	DRIVE_UNTIL(w.base, w.s[0].out_len == 0);
	free(data);
	world_free(&w);
}

/* The partner's read callback waits for its read low watermark. */
static void
test_pair_read_low_watermark(void)
{
	struct world w;

	world_init(&w);
	side_pair(&w, 0);
	bufferevent_setwatermark(w.s[1].bev, EV_READ, 5, 0);
	assert_int_eq(bufferevent_enable(w.s[1].bev, EV_READ), 0);
	assert_int_eq(bufferevent_write(w.s[0].bev, "abc", 3), 0);
	DRIVE_UNTIL(w.base, w.s[0].writes == 1);
	settle(w.base);
	assert_int_eq(w.s[1].reads, 0);
	assert_int_eq(in_len(&w.s[1]), 3);
	assert_int_eq(bufferevent_write(w.s[0].bev, "de", 2), 0);
	DRIVE_UNTIL(w.base, w.s[1].reads == 1);
	assert_str_eq(w.trace.buf, "a:w0 b:r5 a:w0");
	world_free(&w);
}

/* Freeing one side: the partner gets no event callback (no EOF) and
 * get_partner says NULL. The freed side's pending write callback is
 * dropped with it; the partner's read callback still runs. */
static void
test_pair_free_one(void)
{
	struct world w;

	world_init(&w);
	side_pair(&w, 0);
	assert_int_eq(bufferevent_enable(w.s[1].bev, EV_READ), 0);
	assert_int_eq(bufferevent_write(w.s[0].bev, "last", 4), 0);
	side_free(&w.s[0]);
	settle(w.base);
	assert_null(bufferevent_pair_get_partner(w.s[1].bev));
	assert_str_eq(w.trace.buf, "b:r4");
	assert_int_eq(w.s[1].events, 0);
	/* Writing to nobody is accepted and stays in the output. */
	assert_int_eq(bufferevent_write(w.s[1].bev, "echo", 4), 0);
	settle(w.base);
	assert_int_eq(out_len(&w.s[1]), 4);
	world_free(&w);
}

/* Pairs have timeouts too, with the same flags, and the same effect. */
static void
test_pair_read_timeout(void)
{
	struct world w;
	struct timeval tv = tv_ms(100);

	world_init(&w);
	side_pair(&w, 0);
	assert_int_eq(bufferevent_set_timeouts(w.s[1].bev, &tv, NULL), 0);
	assert_int_eq(bufferevent_enable(w.s[1].bev, EV_READ), 0);
	DRIVE_UNTIL(w.base, w.s[1].events == 1);
	assert_str_eq(w.trace.buf, "b:e41");
	assert_int_eq(bufferevent_get_enabled(w.s[1].bev), EV_WRITE);
	world_free(&w);
}

/* flush hands data over even to a partner that does not read; BEV_NORMAL
 * does nothing; BEV_FINISHED also tells the partner EOF. The data moves
 * inside the call; the callbacks are deferred, and each bufferevent runs
 * its pending ones together (read, then event). */
static void
test_pair_flush(void)
{
	struct world w;

	world_init(&w);
	side_pair(&w, 0);
	assert_int_eq(bufferevent_write(w.s[0].bev, "abc", 3), 0);
	assert_int_eq(bufferevent_flush(w.s[0].bev, EV_WRITE, BEV_NORMAL), 0);
	assert_int_eq(out_len(&w.s[0]), 3);
	assert_int_eq(bufferevent_flush(w.s[0].bev, EV_WRITE, BEV_FLUSH), 0);
	assert_int_eq(out_len(&w.s[0]), 0);
	assert_int_eq(in_len(&w.s[1]), 3);
	assert_int_eq(bufferevent_flush(w.s[0].bev, EV_WRITE, BEV_FINISHED), 0);
	settle(w.base);
	assert_int_eq(w.s[1].events, 1);
	assert_int_eq(w.s[1].what, BEV_EVENT_EOF | BEV_EVENT_READING);
	assert_str_eq(w.trace.buf, "b:r3 b:e11 a:w0");
	world_free(&w);
}

/* BEV_FINISHED tells the partner which directions ended: flushing
 * EV_READ gives it EOF|WRITING, both give EOF|READING|WRITING. Without a
 * partner there is nothing to flush into: -1. */
static void
test_pair_flush_finished(void)
{
	struct world w;

	world_init(&w);
	side_pair(&w, 0);
	assert_int_eq(bufferevent_flush(w.s[0].bev, EV_READ, BEV_FINISHED), 0);
	DRIVE_UNTIL(w.base, w.s[1].events == 1);
	assert_int_eq(w.s[1].what, BEV_EVENT_EOF | BEV_EVENT_WRITING);
	assert_int_eq(
	        bufferevent_flush(w.s[0].bev, EV_READ | EV_WRITE, BEV_FINISHED),
	        0);
	DRIVE_UNTIL(w.base, w.s[1].events == 2);
	assert_int_eq(w.s[1].what,
	              BEV_EVENT_EOF | BEV_EVENT_READING | BEV_EVENT_WRITING);
	assert_int_eq(w.s[0].events, 0);
	side_free(&w.s[0]);
	assert_int_eq(bufferevent_flush(w.s[1].bev, EV_WRITE, BEV_FLUSH), -1);
	world_free(&w);
}

/* ---- a 10 MB round trip ---- */

/* Side a sends 10 MB of pattern() through a socket pair; side b echoes
 * what it reads; side a checks every byte that comes back. */
static void
test_ten_mb_round_trip(void)
{
	struct world w;
	int fds[2];
	struct evbuffer *buf = evbuffer_new();
	unsigned char chunk[65536];

	world_init(&w);
	test_socketpair(fds);
	assert_not_null(buf);
	side_socket(&w, 0, fds[0], BEV_OPT_CLOSE_ON_FREE);
	side_socket(&w, 1, fds[1], BEV_OPT_CLOSE_ON_FREE);
	w.s[0].mode = CHECK;
	w.s[1].mode = ECHO;
	w.s[0].quiet = w.s[1].quiet = 1;
	for (size_t off = 0; off < TEN_MB; off += sizeof(chunk)) {
		for (size_t i = 0; i < sizeof(chunk); i++)
			chunk[i] = pattern(off + i);
		assert_int_eq(evbuffer_add(buf, chunk, sizeof(chunk)), 0);
	}
	assert_int_eq(bufferevent_write_buffer(w.s[0].bev, buf), 0);
	assert_int_eq(bufferevent_enable(w.s[0].bev, EV_READ), 0);
	assert_int_eq(bufferevent_enable(w.s[1].bev, EV_READ), 0);
	DRIVE_UNTIL(w.base, w.s[0].total == TEN_MB || w.s[0].bad_at);
	assert_int_eq(w.s[0].bad_at, 0);
	assert_int_eq(w.s[1].total, TEN_MB);
	assert_int_eq(w.s[0].events + w.s[1].events, 0);
	evbuffer_free(buf);
	world_free(&w);
}

/* ---- allocation ---- */

/* What the counting allocators saw (the allocators get no argument). */
static struct {
	long calls;
	long outstanding;
} mem;

/* Each block carries 16 bytes in front, to keep malloc's alignment. */
static void *
count_malloc(size_t size)
{
	char *p = malloc(16 + size);

	if (!p)
		return NULL;
	mem.calls++;
	mem.outstanding++;
	return p + 16;
}

static void *
count_realloc(void *ptr, size_t size)
{
	char *p = realloc(ptr ? (char *)ptr - 16 : NULL, 16 + size);

	if (!p)
		return NULL;
	mem.calls++;
	if (!ptr)
		mem.outstanding++;
	return p + 16;
}

static void
count_free(void *ptr)
{
	if (!ptr)
		return;
	mem.outstanding--;
	free((char *)ptr - 16);
}

/* Bufferevents and their buffers allocate through the functions given
 * to event_set_mem_functions(), and give everything back. */
static void
test_mem_functions(void)
{
	struct world w;
	int fds[2];
	long before;

	event_set_mem_functions(count_malloc, count_realloc, count_free);
	world_init(&w);
	test_socketpair(fds);
	before = mem.calls;
	side_socket(&w, 0, fds[0], BEV_OPT_CLOSE_ON_FREE);
	side_socket(&w, 1, fds[1], BEV_OPT_CLOSE_ON_FREE);
	assert_int_gt(mem.calls, before);
	w.s[1].mode = ECHO;
	assert_int_eq(bufferevent_enable(w.s[0].bev, EV_READ), 0);
	assert_int_eq(bufferevent_enable(w.s[1].bev, EV_READ), 0);
	assert_int_eq(bufferevent_write(w.s[0].bev, "round trip", 10), 0);
	DRIVE_UNTIL(w.base, in_len(&w.s[0]) == 10);
	world_free(&w);
	world_init(&w);
	before = mem.calls;
	side_pair(&w, BEV_OPT_CLOSE_ON_FREE);
	assert_int_gt(mem.calls, before);
	assert_int_eq(bufferevent_enable(w.s[1].bev, EV_READ), 0);
	assert_int_eq(bufferevent_write(w.s[0].bev, "paired", 6), 0);
	DRIVE_UNTIL(w.base, w.s[1].reads == 1);
	world_free(&w);
	assert_int_eq(mem.outstanding, 0);
}

int
main(int argc, char **argv)
{
	static const struct unit_test tests[] = {
	        UNIT_TEST(socket_new_defaults),
	        UNIT_TEST(close_on_free),
	        UNIT_TEST(no_close_without_option),
	        UNIT_TEST(threadsafe_without_threads),
	        UNIT_TEST(setcb_getcb),
	        UNIT_TEST(setfd_getfd),
	        UNIT_TEST(enable_disable),
	        UNIT_TEST(disable_in_read_cb),
	        UNIT_TEST(eof_again_after_enable),
	        UNIT_TEST(eof_waits_for_reading),
	        UNIT_TEST(write_read_calls),
	        UNIT_TEST(callback_trace),
	        UNIT_TEST(event_flag_values),
	        UNIT_TEST(reset_is_read_error),
	        UNIT_TEST(reset_is_read_error_deferred),
	        UNIT_TEST(reset_while_writing),
	        UNIT_TEST(write_to_closed_peer),
	        UNIT_TEST(write_error_then_eof),
	        UNIT_TEST(free_in_read_cb),
	        UNIT_TEST(free_in_write_cb),
	        UNIT_TEST(free_in_event_cb),
	        UNIT_TEST(free_drops_pending_output),
	        UNIT_TEST(getwatermark),
	        UNIT_TEST(read_low_watermark),
	        UNIT_TEST(read_high_watermark),
	        UNIT_TEST(read_high_watermark_removed),
	        UNIT_TEST(write_low_watermark),
	        UNIT_TEST(read_timeout),
	        UNIT_TEST(read_timeout_off),
	        UNIT_TEST(read_timeout_not_while_suspended),
	        UNIT_TEST(write_timeout),
	        UNIT_TEST(write_timeout_idle),
	        UNIT_TEST(socket_flush),
	        UNIT_TEST(priority_first),
	        UNIT_TEST(priority_second),
	        UNIT_TEST(lock_unlock),
	        UNIT_TEST(connect),
	        UNIT_TEST(connect_started_by_caller),
	        UNIT_TEST(connect_own_socket),
	        UNIT_TEST(connect_refused),
	        UNIT_TEST(connect_refused_deferred),
	        UNIT_TEST(connect_hostname_numeric),
	        UNIT_TEST(connect_hostname_localhost),
	        UNIT_TEST(connect_hostname_bad),
	        UNIT_TEST(connect_hostname_bad_deferred),
	        UNIT_TEST(dns_error_reset),
	        UNIT_TEST(socket_deferred),
	        UNIT_TEST(pair_new),
	        UNIT_TEST(pair_data_crosses),
	        UNIT_TEST(pair_deferred),
	        UNIT_TEST(pair_reader_disabled),
	        UNIT_TEST(pair_watermarks),
	        UNIT_TEST(pair_read_low_watermark),
	        UNIT_TEST(pair_free_one),
	        UNIT_TEST(pair_read_timeout),
	        UNIT_TEST(pair_flush),
	        UNIT_TEST(pair_flush_finished),
	        UNIT_TEST(ten_mb_round_trip),
	        UNIT_TEST(mem_functions),
	        UNIT_END,
	};

	return unit_main(argc, argv, tests);
}
