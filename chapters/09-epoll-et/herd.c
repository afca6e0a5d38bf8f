/*
 * herd - chapter 09: the thundering herd (惊群) on a shared listener, and
 * the two cures: EPOLLEXCLUSIVE (Linux 4.5) and SO_REUSEPORT (chapter 04).
 *
 * W worker threads each sleep in epoll_wait() on their own epoll instance,
 * all watching the same listening socket (or, with -r, one SO_REUSEPORT
 * listener each). The main thread connects N clients, one at a time, and
 * counts how many workers each connection woke. To count exactly, the
 * workers only count and park; the main thread accepts the connection once
 * every woken worker is parked, so no wake-up is hidden by another worker
 * having taken the connection first (epoll re-checks readiness before
 * returning, and would put such a worker back to sleep unseen).
 *
 *   ./herd -w 4 -n 20        every connection wakes all 4 workers
 *   ./herd -w 4 -n 20 -x     EPOLLEXCLUSIVE: it wakes one (or a few)
 *   ./herd -w 4 -n 20 -r     SO_REUSEPORT: one listener per worker, one
 *                            wake-up per connection, spread by a hash
 *
 * Watch: "wake-ups per connection" and the per-worker counts.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net.h"

#define MAX_WORKERS 16
#define WAIT_MS     10000 /* the longest any one step may take */

enum mode { PLAIN, EXCLUSIVE, REUSEPORT };

struct herd {
	enum mode mode;
	int workers, conns, port, quit[2];
	int listener[MAX_WORKERS]; /* [0] only, unless REUSEPORT */
	int epfd[MAX_WORKERS];
	pid_t tid[MAX_WORKERS];
	pthread_mutex_t mu; /* guards everything below */
	pthread_cond_t cv;
	unsigned round; /* main bumps it when a connection is dealt with */
	int parked;     /* workers waiting for the round to change */
	unsigned long wakeups, woke[MAX_WORKERS];
};

struct worker {
	struct herd *h;
	int id;
};

static void parse(struct herd *h, int argc, char **argv);
static void setup(struct herd *h);
static int reuseport_listener(int port);
static void *worker_main(void *arg);
static void one_connection(struct herd *h);
static void wait_all_asleep(struct herd *h);
_Noreturn static void die(const char *what);

int
main(int argc, char **argv)
{
	static struct herd h = {.mu = PTHREAD_MUTEX_INITIALIZER,
	                        .cv = PTHREAD_COND_INITIALIZER};
	struct worker w[MAX_WORKERS];
	pthread_t th[MAX_WORKERS];
	static const char *names[] = {"one listener, plain",
	                              "one listener, EPOLLEXCLUSIVE",
	                              "SO_REUSEPORT, a listener per worker"};

	parse(&h, argc, argv);
	setup(&h);
	for (int i = 0; i < h.workers; i++) {
		w[i] = (struct worker){&h, i};
		if ((errno = pthread_create(&th[i], NULL, worker_main, &w[i])))
			die("pthread_create");
	}
	wait_all_asleep(&h);
	for (int i = 0; i < h.conns; i++)
		one_connection(&h);
	/* The quit pipe is never drained: every worker sees it. */
	if (write(h.quit[1], "q", 1) != 1)
		die("write");
	pthread_mutex_lock(&h.mu);
	h.round++;
	pthread_cond_broadcast(&h.cv);
	pthread_mutex_unlock(&h.mu);
	for (int i = 0; i < h.workers; i++)
		pthread_join(th[i], NULL);
	printf("herd: %d workers, %s: %lu wake-ups for %d connections "
	       "(%.1f per connection); per worker:",
	       h.workers, names[h.mode], h.wakeups, h.conns,
	       (double)h.wakeups / h.conns);
	for (int i = 0; i < h.workers; i++)
		printf(" %lu", h.woke[i]);
	printf("\n");
	for (int i = 0; i < h.workers; i++) {
		close(h.epfd[i]);
		if (h.mode == REUSEPORT || i == 0)
			close(h.listener[i]);
	}
	close(h.quit[0]);
	close(h.quit[1]);
	return 0;
}

static void
parse(struct herd *h, int argc, char **argv)
{
	int ch;

	h->workers = 4;
	h->conns = 20;
	while ((ch = getopt(argc, argv, "w:n:xr")) != -1) {
		if (ch == 'w' && (h->workers = atoi(optarg)) >= 1 &&
		    h->workers <= MAX_WORKERS)
			continue;
		if (ch == 'n' && (h->conns = atoi(optarg)) >= 1)
			continue;
		if (ch == 'x' || ch == 'r') {
			h->mode = ch == 'x' ? EXCLUSIVE : REUSEPORT;
			continue;
		}
		fprintf(stderr,
		        "usage: herd [-w WORKERS (1-%d)] "
		        "[-n CONNECTIONS] [-x | -r]\n",
		        MAX_WORKERS);
		exit(2);
	}
}

/* The listener(s), and one epoll instance per worker. EPOLLEXCLUSIVE may
 * only be given with EPOLL_CTL_ADD; before Linux 4.5 the ADD fails. */
static void
setup(struct herd *h)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	uint32_t flags = h->mode == EXCLUSIVE ? EPOLLEXCLUSIVE : 0;

	h->listener[0] = h->mode == REUSEPORT
	                         ? reuseport_listener(0)
	                         : listen_tcp("127.0.0.1", 0, SERVER_BACKLOG);
	if (h->listener[0] < 0 ||
	    getsockname(h->listener[0], (struct sockaddr *)&sin, &len) < 0)
		die("listen");
	h->port = ntohs(sin.sin_port);
	if (pipe(h->quit) < 0)
		die("pipe");
	for (int i = 0; i < h->workers; i++) {
		struct epoll_event l = {.events = EPOLLIN | flags};
		struct epoll_event q = {.events = EPOLLIN, .data.fd = -1};
		if (i > 0)
			h->listener[i] = h->mode == REUSEPORT
			                         ? reuseport_listener(h->port)
			                         : h->listener[0];
		l.data.fd = h->listener[i];
		if (h->listener[i] < 0 || set_nonblocking(h->listener[i]) < 0)
			die("listen");
		h->epfd[i] = epoll_create1(EPOLL_CLOEXEC);
		if (h->epfd[i] < 0 ||
		    epoll_ctl(h->epfd[i], EPOLL_CTL_ADD, h->listener[i], &l) ||
		    epoll_ctl(h->epfd[i], EPOLL_CTL_ADD, h->quit[0], &q))
			die("epoll");
	}
}

/* A listener on 127.0.0.1:port that shares the port (chapter 04). */
static int
reuseport_listener(int port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
	                          .sin_port = htons((unsigned short)port),
	                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(fd, SERVER_BACKLOG) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Sleeps in epoll_wait(); each wake-up for the listener is counted, then
 * the worker parks until main has taken the connection (the listener is
 * level-triggered and would otherwise report it again at once). */
static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct herd *h = w->h;
	struct epoll_event ev;

	pthread_mutex_lock(&h->mu);
	h->tid[w->id] = gettid();
	pthread_mutex_unlock(&h->mu);
	for (;;) {
		int n = epoll_wait(h->epfd[w->id], &ev, 1, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || ev.data.fd == -1)
			return NULL; /* the quit pipe (or a broken epfd) */
		pthread_mutex_lock(&h->mu);
		unsigned round = h->round;
		h->wakeups++;
		h->woke[w->id]++;
		h->parked++;
		while (h->round == round)
			pthread_cond_wait(&h->cv, &h->mu);
		h->parked--;
		pthread_mutex_unlock(&h->mu);
	}
}

/* Connects, waits for the first wake-up and for every woken worker to
 * park, then accepts the connection (from whichever listener got it). */
static void
one_connection(struct herd *h)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
	                          .sin_port = htons((unsigned short)h->port),
	                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM, 0), got = -1;
	unsigned long before;

	pthread_mutex_lock(&h->mu);
	before = h->wakeups;
	pthread_mutex_unlock(&h->mu);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		die("connect");
	for (int ms = 0; ms < WAIT_MS; ms++) {
		pthread_mutex_lock(&h->mu);
		unsigned long now = h->wakeups;
		pthread_mutex_unlock(&h->mu);
		if (now > before)
			break;
		usleep(1000);
	}
	wait_all_asleep(h);
	for (int i = 0; got < 0 && i < h->workers; i++)
		got = accept(h->listener[i], NULL, NULL);
	if (got < 0)
		die("accept");
	close(got);
	close(fd);
	pthread_mutex_lock(&h->mu);
	h->round++;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
	wait_all_asleep(h);
}

/* Nonzero if thread tid sleeps (state S in /proc): in epoll_wait() or on
 * the condition variable, not woken and not on its way between them. */
static int
asleep(pid_t tid)
{
	char path[64], buf[512], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	if (!(f = fopen(path, "r")))
		return 0;
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	return p && p[1] == ' ' && p[2] == 'S';
}

/* Waits until every worker sleeps: blocked in epoll_wait() or parked, and
 * none woken but not yet asleep again. */
static void
wait_all_asleep(struct herd *h)
{
	for (int ms = 0; ms < WAIT_MS; ms++) {
		int all = 1;
		pthread_mutex_lock(&h->mu);
		for (int i = 0; i < h->workers; i++)
			all = all && h->tid[i] && asleep(h->tid[i]);
		pthread_mutex_unlock(&h->mu);
		if (all)
			return;
		usleep(1000);
	}
	fprintf(stderr, "herd: workers still busy after %d ms\n", WAIT_MS);
	exit(1);
}

_Noreturn static void
die(const char *what)
{
	fprintf(stderr, "herd: %s: %s\n", what, strerror(errno));
	exit(1);
}
