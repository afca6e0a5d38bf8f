/*
 * test_interest.c - the tests of exercise 08-epoll-lt (update_interest).
 *
 * A one-client level-triggered epoll server on a socketpair, run one turn
 * at a time from the same thread as its client, so every test is
 * deterministic and bounded. After each turn the server calls the learner's
 * update_interest(); the tests check what it registered and what follows:
 *  1. round trips: answers arrive, and no EPOLL_CTL_MOD is made when the
 *     events do not change (epoll_ctl is wrapped with -Wl,--wrap);
 *  2. an idle client: epoll_wait() must not return (EPOLLOUT armed with
 *     nothing to send is a busy loop);
 *  3. a client that does not read: no busy loop while the output is full,
 *     and every answer arrives once it reads (EPOLLOUT re-armed);
 *  4. EOF with answers pending: no busy loop on the readable EOF.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "interest.h"

#define IDLE_MS   300     /* the window in which an idle server must sleep */
#define STUCK_MS  5000    /* no progress for this long: stalled */
#define MAX_SPINS 1000000 /* bound on turns in any one window */
#define BIG       (4 << 20)

struct rig {
	const char *test;
	int epfd, peer; /* peer: the client's end */
	struct conn *c; /* the server's end; NULL once closed */
	uint32_t registered;
	long wakeups;
	char *sent; /* what the client sent, to check the answers */
	size_t sent_len, got_len;
	int reported; /* one FAIL per test for a broken registration */
};

int __real_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev);
int __wrap_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev);

static int failures;
static long mod_calls;
static uint32_t kernel_events; /* what the last ADD or MOD registered */

static void fail(struct rig *r, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static void rig_open(struct rig *r, const char *test);
static void rig_close(struct rig *r);
static int server_turn(struct rig *r, int timeout_ms);
static void check_registered(struct rig *r);
static long idle_wakeups(struct rig *r);
static size_t client_send(struct rig *r, size_t max);
static size_t client_recv(struct rig *r, size_t max);
static long now_ms(void);
static const char *names(uint32_t ev);
static int round_trip(struct rig *r);
static void fill_up(struct rig *r);
static void drain(struct rig *r, size_t chunk);
static void round_trips(void);
static void idle_client(void);
static void stalled_reader(void);
static void eof_pending(void);

int
main(void)
{
	round_trips();
	idle_client();
	stalled_reader();
	eof_pending();
	if (failures == 0)
		printf("ok: the events follow the connection, no busy loop, "
		       "no stall\n");
	return failures ? 1 : 0;
}

int
__wrap_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	int ret = __real_epoll_ctl(epfd, op, fd, ev);

	if (op == EPOLL_CTL_MOD)
		mod_calls++;
	if (ret == 0 && op != EPOLL_CTL_DEL)
		kernel_events = ev->events;
	return ret;
}

static void
fail(struct rig *r, const char *fmt, ...)
{
	va_list ap;

	printf("FAIL: %s: ", r->test);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	failures++;
}

static void
rig_open(struct rig *r, const char *test)
{
	int sv[2];
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP};

	memset(r, 0, sizeof(*r));
	r->test = test;
	r->sent = malloc(BIG);
	if (!r->sent ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0 ||
	    (r->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    !(r->c = conn_new(sv[0]))) {
		perror("test_interest: setup");
		exit(1);
	}
	/* A small send buffer: answers pile up in the conn, not the kernel,
	 * so "answers pending" is a state the tests can reach. */
	if (setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &(int){8192},
	               sizeof(int)) < 0) {
		perror("test_interest: SO_SNDBUF");
		exit(1);
	}
	r->peer = sv[1];
	ev.data.ptr = r->c;
	if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, sv[0], &ev) < 0) {
		perror("test_interest: epoll_ctl(ADD)");
		exit(1);
	}
	r->registered = ev.events;
	mod_calls = 0;
}

static void
rig_close(struct rig *r)
{
	if (r->c) {
		epoll_ctl(r->epfd, EPOLL_CTL_DEL, r->c->fd, NULL);
		conn_free(r->c);
	}
	close(r->peer);
	close(r->epfd);
	free(r->sent);
}

/* One turn of the server: wait up to timeout_ms, serve, update the
 * interest. Returns the number of events (0 or 1). */
static int
server_turn(struct rig *r, int timeout_ms)
{
	struct epoll_event ev;
	struct conn *c = r->c;
	int n;

	if (!c)
		return 0;
	n = epoll_wait(r->epfd, &ev, 1, timeout_ms);
	if (n <= 0)
		return 0;
	r->wakeups++;
	if (ev.data.ptr != c && !r->reported++)
		fail(r,
		     "epoll_wait() returned data.ptr %p, expected the struct "
		     "conn %p: EPOLL_CTL_MOD replaces data too, set "
		     "data.ptr = c",
		     ev.data.ptr, (void *)c);
	if ((ev.events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) &&
	    conn_wants_read(c) && conn_read(c) < 0)
		goto close;
	if (conn_wants_write(c) && conn_write(c) < 0)
		goto close;
	if (conn_done(c))
		goto close;
	if (update_interest(r->epfd, c, &r->registered) < 0)
		fail(r, "update_interest() returned -1: %s", strerror(errno));
	check_registered(r);
	return 1;
close:
	epoll_ctl(r->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	conn_free(c);
	r->c = NULL;
	return 1;
}

static void
check_registered(struct rig *r)
{
	uint32_t want = 0;

	if (conn_wants_read(r->c))
		want |= EPOLLIN | EPOLLRDHUP;
	if (conn_wants_write(r->c))
		want |= EPOLLOUT;
	if (r->reported)
		return;
	if (r->registered != want) {
		r->reported = 1;
		fail(r,
		     "conn_wants_read() = %d, conn_wants_write() = %d: "
		     "expected *registered = %s, got %s",
		     conn_wants_read(r->c), conn_wants_write(r->c), names(want),
		     names(r->registered));
	} else if (kernel_events != r->registered) {
		r->reported = 1;
		fail(r,
		     "*registered says %s, but the last epoll_ctl() "
		     "registered %s",
		     names(r->registered), names(kernel_events));
	}
}

/* Turns of the server in IDLE_MS with nothing new from the client: the
 * number of times epoll_wait() returned. */
static long
idle_wakeups(struct rig *r)
{
	long start = now_ms(), before = r->wakeups, left;

	for (int i = 0; i < MAX_SPINS && r->c; i++) {
		left = IDLE_MS - (now_ms() - start);
		if (left <= 0)
			break;
		server_turn(r, (int)left);
	}
	return r->wakeups - before;
}

/*
 * Sends numbered lines, up to max bytes, in sends of up to 4 KiB (a socket
 * buffer counts each send's overhead: many tiny sends fill it with little
 * data). Returns the bytes sent; fewer when the server stops taking them.
 */
static size_t
client_send(struct rig *r, size_t max)
{
	size_t done = 0;

	while (done < max && r->sent_len + 8192 < BIG) {
		char *chunk = r->sent + r->sent_len;
		size_t len = 0;
		while (len < 4096 && len < max - done)
			len += (size_t)sprintf(chunk + len,
			                       "line %zu: Hello, epoll\n",
			                       r->sent_len + len);
		ssize_t n = send(r->peer, chunk, len, MSG_NOSIGNAL);
		if (n <= 0)
			break; /* EAGAIN: the server is not taking more */
		r->sent_len += (size_t)n; /* the bytes past n are rewritten */
		done += (size_t)n;
		if ((size_t)n < len)
			break;
	}
	return done;
}

/* Reads up to max answer bytes and checks them against what was sent. */
static size_t
client_recv(struct rig *r, size_t max)
{
	char buf[4096];
	ssize_t n =
	        recv(r->peer, buf, max < sizeof(buf) ? max : sizeof(buf), 0);

	if (n <= 0)
		return 0;
	for (ssize_t i = 0; i < n; i++) {
		char want = r->sent[r->got_len + (size_t)i];
		if ((want >= 'a' && want <= 'z') ||
		    (want >= 'A' && want <= 'Z'))
			want = (char)((want & 0xdf) < 'N' ? want + 13
			                                  : want - 13);
		if (buf[i] != want && !r->reported++)
			fail(r, "answer byte %zu is '%c', expected '%c'",
			     r->got_len + (size_t)i, buf[i], want);
	}
	r->got_len += (size_t)n;
	return (size_t)n;
}

static long
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static const char *
names(uint32_t ev)
{
	static char buf[8][64];
	static int next;
	char *s = buf[next++ % 8];

	snprintf(s, 64, "%s%s%s%s", ev & EPOLLIN ? "|EPOLLIN" : "",
	         ev & EPOLLRDHUP ? "|EPOLLRDHUP" : "",
	         ev & EPOLLOUT ? "|EPOLLOUT" : "",
	         ev & ~(EPOLLIN | EPOLLRDHUP | EPOLLOUT) ? "|others" : "");
	return s[0] ? s + 1 : "0 (nothing)";
}

/* Sends one line and serves until its answer is back; 0 if it is. */
static int
round_trip(struct rig *r)
{
	long start = now_ms();

	client_send(r, 1);
	while (r->got_len < r->sent_len && now_ms() - start < STUCK_MS) {
		server_turn(r, 100);
		client_recv(r, BIG);
	}
	return r->got_len < r->sent_len ? -1 : 0;
}

static void
round_trips(void)
{
	struct rig r;

	rig_open(&r, "100 round trips");
	for (int i = 0; i < 100; i++) {
		if (round_trip(&r) < 0) {
			fail(&r, "line %d: no answer within %d ms", i,
			     STUCK_MS);
			break;
		}
	}
	if (mod_calls != 0)
		fail(&r,
		     "expected no EPOLL_CTL_MOD (each answer fits in the "
		     "socket buffer, so the events never change), got %ld "
		     "calls: call epoll_ctl() only when the events change",
		     mod_calls);
	rig_close(&r);
}

static void
idle_client(void)
{
	struct rig r;
	long n;

	rig_open(&r, "an idle client");
	if (round_trip(&r) < 0)
		fail(&r, "the first line got no answer within %d ms", STUCK_MS);
	n = idle_wakeups(&r);
	if (n != 0)
		fail(&r,
		     "nothing to read or send, yet epoll_wait() returned %ld "
		     "times in %d ms, expected 0 (a busy loop: EPOLLOUT with "
		     "nothing to send is ready on every call)",
		     n, IDLE_MS);
	rig_close(&r);
}

/* Sends until the server stops taking bytes: the client never reads, so
 * the server's output fills and it must stop reading. */
static void
fill_up(struct rig *r)
{
	long start = now_ms();
	int quiet = 0;

	while (quiet < 20 && now_ms() - start < STUCK_MS &&
	       r->sent_len + 4096 < BIG) {
		size_t n = client_send(r, 65536);
		server_turn(r, 10);
		quiet = n ? 0 : quiet + 1;
	}
}

/* Reads every answer owed; fails if none comes for STUCK_MS. */
static void
drain(struct rig *r, size_t chunk)
{
	long last = now_ms();

	while (r->got_len < r->sent_len && now_ms() - last < STUCK_MS) {
		server_turn(r, 10);
		if (client_recv(r, chunk))
			last = now_ms();
	}
	if (r->got_len < r->sent_len)
		fail(r,
		     "stalled: %zu of %zu answer bytes arrived, then none for "
		     "%d ms while the client was reading (is EPOLLOUT armed "
		     "while answers wait, conn_wants_write()?)",
		     r->got_len, r->sent_len, STUCK_MS);
}

static void
stalled_reader(void)
{
	struct rig r;
	long n;

	rig_open(&r, "a client that does not read");
	fill_up(&r);
	if (!r.c || conn_wants_read(r.c))
		fail(&r,
		     "expected the server's output buffer to fill up "
		     "(%zu bytes sent)",
		     r.sent_len);
	n = idle_wakeups(&r);
	if (n != 0)
		fail(&r,
		     "output buffer full, client not reading: epoll_wait() "
		     "returned %ld times in %d ms, expected 0 (a busy loop: "
		     "the unread bytes keep EPOLLIN ready, so it must be off "
		     "while conn_wants_read() is 0)",
		     n, IDLE_MS);
	drain(&r, 65536);
	rig_close(&r);
}

static void
eof_pending(void)
{
	struct rig r;
	long n, start;

	rig_open(&r, "EOF with answers pending");
	/* Less than the conn's output buffer (32 KiB), more than the small
	 * socket buffer takes: the server reads it all and the EOF, and
	 * answers are left over. */
	client_send(&r, 24000);
	shutdown(r.peer, SHUT_WR);
	start = now_ms();
	while (r.c && !r.c->eof && now_ms() - start < STUCK_MS)
		server_turn(&r, 10);
	if (!r.c || !r.c->eof || !conn_wants_write(r.c)) {
		fail(&r,
		     "expected the server to see EOF with answers pending "
		     "(connection %s, eof %d, %zu of %zu bytes answered)",
		     r.c ? "open" : "closed", r.c ? r.c->eof : -1, r.got_len,
		     r.sent_len);
	} else {
		n = idle_wakeups(&r);
		if (n > 2)
			fail(&r,
			     "at EOF, answers pending, client not reading: "
			     "epoll_wait() returned %ld times in %d ms, "
			     "expected at most 2 (a busy loop: a socket at "
			     "EOF is readable for ever, so EPOLLIN and "
			     "EPOLLRDHUP must go once conn_wants_read() is 0)",
			     n, IDLE_MS);
	}
	drain(&r, 65536);
	rig_close(&r);
}
