/*
 * backpressure - chapter 14: a peer that sends and never reads, against a
 * bufferevent echo server without and with backpressure, and where every
 * byte it sent has gone.
 *
 * One loopback TCP connection inside one loop: the server's end is a
 * bufferevent that moves its input to its output (an echo); the peer's end
 * is a plain socket whose write event sends 64 KiB at a time. Each case
 * runs in a child process, so that the memory it reports is its own.
 *   1. a read high watermark only, as the seeds' server: the output
 *      evbuffer takes everything the peer sends;
 *   2. backpressure: reading stops while the output holds OUT_HIGH bytes
 *      or more, and resumes once it drains to OUT_LOW: the peer stalls;
 *   3. then the peer reads too: every byte comes back, in order.
 *
 *   ./backpressure
 *
 * Watch: the output evbuffer and the RSS in 1 and 2; pauses and resumes,
 * and the most the output ever held, in 3.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/sockios.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "net.h"

#define TOTAL    (32 << 20) /* bytes the peer sends */
#define CHUNK    (64 << 10) /* bytes per send() */
#define IN_HIGH  16384      /* the read high watermark */
#define OUT_HIGH (64 << 10) /* backpressure: stop reading here ... */
#define OUT_LOW  (32 << 10) /* ... and read again here */
#define TICK_MS  100
#define IDLE     5  /* ticks without progress: everyone is stuck */
#define GIVE_UP  50 /* ticks without progress in step 3: a bug */

struct demo {
	struct event_base *base;
	struct bufferevent *bev; /* the server's end; owns sfd */
	evutil_socket_t peer;
	struct event *peer_wr, *peer_rd, *tick;
	int backpressure, idle;
	size_t sent, taken, got, last, max_out;
	unsigned long pauses, resumes;
};

static int run(int backpressure);
static int demo(struct demo *d);
static int setup(struct demo *d);
static void demo_free(struct demo *d);
static void on_read(struct bufferevent *bev, void *arg);
static void on_write(struct bufferevent *bev, void *arg);
static void on_peer_write(evutil_socket_t fd, short what, void *arg);
static void on_peer_read(evutil_socket_t fd, short what, void *arg);
static void on_tick(evutil_socket_t fd, short what, void *arg);
static void report(const struct demo *d, long rss_before);
static long rss_kb(void);

int
main(void)
{
	printf("1. The peer sends %d bytes and never reads; the server has "
	       "a read high\n   watermark of %d bytes, as the seeds' server, "
	       "and nothing else.\n",
	       TOTAL, IN_HIGH);
	if (run(0) != 0)
		return 1;
	printf("\n2. The same with backpressure: the server stops reading "
	       "at %d bytes\n   of output and reads again at %d.\n",
	       OUT_HIGH, OUT_LOW);
	return run(1);
}

/* Runs one case in a child process; 0 if it went as it should. */
static int
run(int backpressure)
{
	int status;
	pid_t pid;

	fflush(stdout);
	if ((pid = fork()) < 0) {
		perror("backpressure: fork");
		return 1;
	}
	if (pid == 0) {
		struct demo d = {.backpressure = backpressure, .peer = -1};
		int res = demo(&d);
		demo_free(&d);
		fflush(stdout);
		_exit(res);
	}
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

/* One case: the loop runs until nothing moves any more; with backpressure
 * it runs again with the peer reading, until every byte is back. */
static int
demo(struct demo *d)
{
	long before = rss_kb();

	if (setup(d) < 0 || event_base_dispatch(d->base) < 0)
		return 1;
	report(d, before);
	if (!d->backpressure)
		return 0;
	if (event_add(d->peer_rd, NULL) < 0 || event_base_dispatch(d->base) < 0)
		return 1;
	printf("\n3. Then the peer reads as well: %zu of %zu bytes came back, "
	       "in order.\n   Reading paused %lu times and resumed %lu times; "
	       "the output evbuffer\n   never held more than %zu bytes.\n",
	       d->got, d->sent, d->pauses, d->resumes, d->max_out);
	return d->got == TOTAL ? 0 : 1;
}

/* A loopback connection (listen_tcp() from chapters/common, port 0), the
 * bufferevent on the server's end, the peer's events and the tick. */
static int
setup(struct demo *d)
{
	struct timeval tick = {0, TICK_MS * 1000};
	evutil_socket_t lfd, sfd = -1;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	lfd = listen_tcp("127.0.0.1", 0, 1);
	if (lfd < 0 || getsockname(lfd, (struct sockaddr *)&ss, &len) < 0 ||
	    (d->peer = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    connect(d->peer, (struct sockaddr *)&ss, len) < 0 ||
	    (sfd = accept(lfd, NULL, NULL)) < 0 ||
	    evutil_make_socket_nonblocking(sfd) < 0 ||
	    evutil_make_socket_nonblocking(d->peer) < 0 ||
	    (d->base = event_base_new()) == NULL ||
	    (d->bev = bufferevent_socket_new(d->base, sfd,
	                                     BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		perror("backpressure: set-up");
		if (sfd >= 0)
			evutil_closesocket(sfd);
		if (lfd >= 0)
			evutil_closesocket(lfd);
		return -1;
	}
	evutil_closesocket(lfd);
	bufferevent_setcb(d->bev, on_read, on_write, NULL, d);
	bufferevent_setwatermark(d->bev, EV_READ, 0, IN_HIGH);
	if (d->backpressure)
		bufferevent_setwatermark(d->bev, EV_WRITE, OUT_LOW, 0);
	d->peer_wr = event_new(d->base, d->peer, EV_WRITE | EV_PERSIST,
	                       on_peer_write, d);
	d->peer_rd = event_new(d->base, d->peer, EV_READ | EV_PERSIST,
	                       on_peer_read, d);
	d->tick = event_new(d->base, -1, EV_PERSIST, on_tick, d);
	if (!d->peer_wr || !d->peer_rd || !d->tick ||
	    bufferevent_enable(d->bev, EV_READ) < 0 ||
	    event_add(d->peer_wr, NULL) < 0 || event_add(d->tick, &tick) < 0) {
		perror("backpressure: events");
		return -1;
	}
	return 0;
}

static void
demo_free(struct demo *d)
{
	struct event *evs[] = {d->peer_wr, d->peer_rd, d->tick};

	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		if (evs[i])
			event_free(evs[i]);
	if (d->bev)
		bufferevent_free(d->bev);
	if (d->peer >= 0)
		evutil_closesocket(d->peer);
	if (d->base)
		event_base_free(d->base);
}

/* The echo: everything read goes to the output, without a copy. */
static void
on_read(struct bufferevent *bev, void *arg)
{
	struct demo *d = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer *out = bufferevent_get_output(bev);

	d->taken += evbuffer_get_length(in);
	evbuffer_add_buffer(out, in);
	if (evbuffer_get_length(out) > d->max_out)
		d->max_out = evbuffer_get_length(out);
	if (d->backpressure && evbuffer_get_length(out) >= OUT_HIGH) {
		bufferevent_disable(bev, EV_READ);
		d->pauses++;
	}
}

/* Called when the output has drained to the write low watermark. */
static void
on_write(struct bufferevent *bev, void *arg)
{
	struct demo *d = arg;

	if (d->backpressure && !(bufferevent_get_enabled(bev) & EV_READ)) {
		bufferevent_enable(bev, EV_READ);
		d->resumes++;
	}
}

/* Sends the next CHUNK of the pattern (byte i is i % 251). */
static void
on_peer_write(evutil_socket_t fd, short what, void *arg)
{
	struct demo *d = arg;
	char buf[CHUNK];
	size_t n = TOTAL - d->sent < CHUNK ? TOTAL - d->sent : CHUNK;
	ssize_t k;

	(void)what;
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)((d->sent + i) % 251);
	k = send(fd, buf, n, MSG_NOSIGNAL);
	if (k > 0)
		d->sent += (size_t)k;
	if (d->sent == TOTAL || (k < 0 && errno != EAGAIN && errno != EINTR))
		event_del(d->peer_wr);
}

/* Step 3: reads the echo and checks the pattern. */
static void
on_peer_read(evutil_socket_t fd, short what, void *arg)
{
	struct demo *d = arg;
	char buf[CHUNK];
	ssize_t k = recv(fd, buf, sizeof(buf), 0);

	(void)what;
	for (ssize_t i = 0; i < k; i++, d->got++)
		if ((unsigned char)buf[i] != d->got % 251) {
			printf("   byte %zu came back wrong\n", d->got);
			event_base_loopbreak(d->base);
			return;
		}
	if (d->got == TOTAL || k == 0)
		event_base_loopbreak(d->base);
}

/* Ends the loop once nothing has moved for IDLE ticks (GIVE_UP while the
 * peer reads: by then something is wrong). */
static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct demo *d = arg;
	size_t now = d->sent + d->taken + d->got;
	int limit = event_pending(d->peer_rd, EV_READ, NULL) ? GIVE_UP : IDLE;

	(void)fd, (void)what;
	if (now != d->last) {
		d->last = now;
		d->idle = 0;
	} else if (++d->idle >= limit) {
		event_base_loopbreak(d->base);
	}
}

/* Where the bytes the peer sent are now: each queue, in the order they
 * pass through it. SIOCOUTQ counts the bytes not yet acknowledged. */
static void
report(const struct demo *d, long rss_before)
{
	int sfd = bufferevent_getfd(d->bev), q[4] = {0, 0, 0, 0};

	ioctl(d->peer, SIOCOUTQ, &q[0]);
	ioctl(sfd, SIOCINQ, &q[1]);
	ioctl(sfd, SIOCOUTQ, &q[2]);
	ioctl(d->peer, SIOCINQ, &q[3]);
	printf("   the peer %s %zu bytes; they are now\n",
	       d->sent == TOTAL ? "sent all" : "stalled after", d->sent);
	printf("   %9d in the peer's send queue (kernel)\n", q[0]);
	printf("   %9d in the server's receive queue (kernel)\n", q[1]);
	printf("   %9zu in the server's input evbuffer\n",
	       evbuffer_get_length(bufferevent_get_input(d->bev)));
	printf("   %9zu in the server's output evbuffer\n",
	       evbuffer_get_length(bufferevent_get_output(d->bev)));
	printf("   %9d in the server's send queue (kernel)\n", q[2]);
	printf("   %9d in the peer's receive queue (kernel)\n", q[3]);
	printf("   the process's memory (VmRSS): %ld kB before, %ld kB now\n",
	       rss_before, rss_kb());
}

static long
rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[128];
	long kb = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}
