/*
 * test_echo.c - the tests of exercise 15-listener (echo_listener.c).
 *
 *   test_echo ./echo_listener
 *
 * Starts the server with -p 0, reads its "listening on ADDR:PORT" line, and
 * talks to it as a client would: one line; 1 MiB holding every byte value;
 * 200 clients at once; a client that half-closes at once; a client that
 * resets mid-stream; 100 clients in a row with no descriptor left behind;
 * then SIGTERM (exit status 0). A second server runs with RLIMIT_NOFILE 32:
 * it must outlive accept()'s EMFILE and serve the client that waited. Every
 * wait has a deadline; a failure prints "FAIL: expected ..., got ...".
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEADLINE_MS 10000 /* per exchange; a server that never closes fails */
#define SHORT_MS    3000  /* per exchange once one has timed out */
#define MANY        200
#define MANY_TEXT   "200 clients at once"
#define NOFILE      32 /* the descriptor limit of the EMFILE server */

static int failures;
static long deadline_ms = DEADLINE_MS; /* shortened after a timeout */

#define FAIL(...)                                                              \
	do {                                                                   \
		printf("FAIL: " __VA_ARGS__);                                  \
		printf("\n");                                                  \
		fflush(stdout);                                                \
		failures++;                                                    \
	} while (0)

struct server {
	pid_t pid;
	int out; /* the read end of its stdout */
	int port;
};

/* One client connection: what it sends, what came back. */
struct peer {
	int fd;
	const unsigned char *data; /* sent, and expected back */
	size_t len, sent, got;
	unsigned char *echo;
	int eof, err, extra;
};

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Reads the server's first line within 10 s; its port, or -1. */
static int
read_port(int fd, char *line, size_t cap)
{
	size_t n = 0;
	long end = now_ms() + 10000;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	char *colon;

	while (n + 1 < cap && now_ms() < end) {
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if (read(fd, line + n, 1) != 1)
			break;
		if (line[n++] == '\n')
			break;
	}
	line[n] = '\0';
	colon = strrchr(line, ':');
	if (strncmp(line, "listening on ", 13) != 0 || colon == NULL)
		return -1;
	return atoi(colon + 1);
}

/* Starts prog -p 0 (with RLIMIT_NOFILE nofile if nonzero). 0 or -1. */
static int
server_start(struct server *sv, const char *prog, rlim_t nofile)
{
	char line[256];
	int pfd[2], status;

	if (pipe(pfd) < 0)
		return -1;
	sv->pid = fork();
	if (sv->pid == 0) {
		struct rlimit rl;
		if (nofile && getrlimit(RLIMIT_NOFILE, &rl) == 0) {
			rl.rlim_cur = nofile;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
		dup2(pfd[1], STDOUT_FILENO);
		close(pfd[0]);
		close(pfd[1]);
		execl(prog, prog, "-p", "0", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	sv->out = pfd[0];
	sv->port = read_port(sv->out, line, sizeof(line));
	if (sv->port > 0)
		return 0;
	kill(sv->pid, SIGKILL);
	waitpid(sv->pid, &status, 0);
	FAIL("the server did not start: expected a 'listening on ADDR:PORT' "
	     "line, got '%s' (exit status %d; its stderr says why)",
	     strtok(line, "\n") ? line : "", WEXITSTATUS(status));
	close(sv->out);
	return -1;
}

/* Nonzero while the server runs; reaps it (status in *status) if not. */
static int
server_alive(struct server *sv, int *status)
{
	return waitpid(sv->pid, status, WNOHANG) == 0;
}

/* SIGTERM, then up to 10 s for it to exit. Its exit status, or -1. */
static int
server_stop(struct server *sv)
{
	int status = 0, exited = 0;
	long end = now_ms() + 10000;

	kill(sv->pid, SIGTERM);
	while (!(exited = !server_alive(sv, &status)) && now_ms() < end)
		sleep_ms(20);
	if (!exited) {
		kill(sv->pid, SIGKILL);
		waitpid(sv->pid, &status, 0);
	}
	close(sv->out);
	if (!exited || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* The server's descriptors numbered below limit (all of them if 0). */
static int
fd_count(pid_t pid, int limit)
{
	char path[64];
	struct dirent *d;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if ((dir = opendir(path)) == NULL)
		return -1;
	while ((d = readdir(dir)) != NULL)
		if (d->d_name[0] != '.' && (!limit || atoi(d->d_name) < limit))
			n++;
	closedir(dir);
	return n;
}

static int
connect_to(int port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((unsigned short)port);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Sends and reads for one peer that poll() found ready. */
static void
peer_step(struct peer *p, short revents)
{
	unsigned char buf[65536];
	ssize_t n;

	if ((revents & POLLOUT) && p->sent < p->len) {
		n = send(p->fd, p->data + p->sent, p->len - p->sent,
		         MSG_NOSIGNAL);
		if (n > 0 && (p->sent += (size_t)n) == p->len)
			shutdown(p->fd, SHUT_WR); /* half-close: all sent */
		else if (n < 0 && errno != EAGAIN && errno != EINTR)
			p->err = errno;
	}
	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return;
	n = recv(p->fd, buf, sizeof(buf), 0);
	if (n == 0)
		p->eof = 1;
	else if (n < 0 && errno != EAGAIN && errno != EINTR)
		p->err = errno;
	else if (n > 0 && p->got + (size_t)n > p->len)
		p->extra = 1;
	else if (n > 0)
		memcpy(p->echo + p->got, buf, (size_t)n), p->got += (size_t)n;
}

/* Runs n peers until each has its EOF (or an error), or the deadline. */
static void
peers_run(struct peer *ps, int n)
{
	struct pollfd *pfd = calloc((size_t)n, sizeof(*pfd));
	long end = now_ms() + deadline_ms;

	if (pfd == NULL)
		return;
	while (now_ms() < end) {
		int live = 0;
		for (int i = 0; i < n; i++) {
			struct peer *p = &ps[i];
			int done = p->fd < 0 || p->eof || p->err || p->extra;
			pfd[i].fd = done ? -1 : p->fd;
			pfd[i].events =
			        POLLIN | (p->sent < p->len ? POLLOUT : 0);
			live += !done;
		}
		if (live == 0 || poll(pfd, (nfds_t)n, 100) < 0)
			break;
		for (int i = 0; i < n; i++)
			if (pfd[i].fd >= 0 && pfd[i].revents)
				peer_step(&ps[i], pfd[i].revents);
	}
	free(pfd);
}

/* Sends for up to ms without reading a byte, and half-closes if that was
 * everything: the echo piles up in the server meanwhile. */
static void
peer_send_first(struct peer *p, long ms)
{
	struct pollfd pfd = {.fd = p->fd, .events = POLLOUT};
	long end = now_ms() + ms;

	while (p->sent < p->len && !p->err && now_ms() < end)
		if (poll(&pfd, 1, 50) > 0)
			peer_step(p, POLLOUT);
}

/* Checks one peer's result; names what went wrong. 0 if all is well. */
static int
peer_check(const struct peer *p, const char *what, int i)
{
	size_t at = 0;

	if (p->fd < 0)
		FAIL("%s, client %d: could not connect", what, i);
	else if (p->err)
		FAIL("%s, client %d: expected the echo, got an error after %zu "
		     "of %zu bytes: %s",
		     what, i, p->got, p->len, strerror(p->err));
	else if (p->extra)
		FAIL("%s, client %d: got more bytes back than the %zu sent",
		     what, i, p->len);
	else if (p->eof && p->got < p->len)
		FAIL("%s, client %d: expected %zu bytes back, then the close; "
		     "the server closed after %zu bytes (echo lost?)",
		     what, i, p->len, p->got);
	else if (!p->eof) {
		FAIL("%s, client %d: expected %zu bytes back, then the close; "
		     "after %ld ms: %zu bytes, and still open",
		     what, i, p->len, deadline_ms, p->got);
		deadline_ms = SHORT_MS; /* the next ones would hang too */
	} else {
		while (at < p->len && p->echo[at] == p->data[at])
			at++;
		if (at == p->len)
			return 0;
		FAIL("%s, client %d: byte %zu came back as 0x%02x, expected "
		     "0x%02x",
		     what, i, at, p->echo[at], p->data[at]);
	}
	return -1;
}

/* n clients at once, client i sending data[i] of len[i] bytes, then the
 * half-close. Returns how many failed. */
static int
exchange(int port, const char *what, int n, unsigned char **data,
         const size_t *len)
{
	struct peer *ps = calloc((size_t)n, sizeof(*ps));
	int bad = 0;

	if (ps == NULL)
		return n;
	for (int i = 0; i < n; i++) {
		ps[i].data = data[i];
		ps[i].len = len[i];
		ps[i].echo = malloc(len[i] + 1);
		ps[i].fd = ps[i].echo ? connect_to(port) : -1;
		if (ps[i].fd >= 0)
			fcntl(ps[i].fd, F_SETFL, O_NONBLOCK);
		if (ps[i].fd >= 0 && len[i] == 0)
			shutdown(ps[i].fd, SHUT_WR);
	}
	peers_run(ps, n);
	for (int i = 0; i < n; i++) {
		/* One message is enough; a thousand equal ones help nobody. */
		if (bad == 0 && peer_check(&ps[i], what, i) < 0)
			bad = 1;
		if (ps[i].fd >= 0)
			close(ps[i].fd);
		free(ps[i].echo);
	}
	free(ps);
	return bad;
}

/* len bytes of a pattern unique to seed; with seed 0 the first 256 bytes
 * are every byte value once (NUL, CR, LF, 0xff included). */
static unsigned char *
pattern(size_t len, unsigned seed)
{
	unsigned char *p = malloc(len ? len : 1);

	for (size_t i = 0; p && i < len; i++)
		p[i] = (unsigned char)(i * 131 + (i >> 8) + seed * 7);
	return p;
}

static void
test_one_line(int port)
{
	unsigned char line[] = "Hello, listener\n";
	unsigned char *data[] = {line};
	size_t len[] = {sizeof(line) - 1};

	if (exchange(port, "one line", 1, data, len) == 0)
		printf("ok: one line comes back, then the server closes\n");
}

static void
test_binary(int port)
{
	unsigned char *data[] = {pattern(1 << 20, 0)};
	size_t len[] = {1 << 20};

	if (data[0] &&
	    exchange(port, "1 MiB of every byte value", 1, data, len) == 0)
		printf("ok: 1 MiB holding every byte value comes back "
		       "intact\n");
	free(data[0]);
}

static void
test_many(int port)
{
	unsigned char *data[MANY];
	size_t len[MANY];

	for (int i = 0; i < MANY; i++) {
		len[i] = 16384 + (size_t)i * 61;
		data[i] = pattern(len[i], (unsigned)i + 1);
	}
	if (exchange(port, MANY_TEXT, MANY, data, len) == 0)
		printf("ok: " MANY_TEXT " each get their own bytes back\n");
	for (int i = 0; i < MANY; i++)
		free(data[i]);
}

/* The client sends everything and half-closes before it reads: the
 * server sees the EOF while the echo still waits to be sent, and must
 * send it before it closes. */
static void
test_late_reader(int port)
{
	struct peer p = {.len = 8 << 20};
	unsigned char *data = pattern(p.len, 5);

	p.data = data;
	p.echo = malloc(p.len + 1);
	p.fd = data && p.echo ? connect_to(port) : -1;
	if (p.fd >= 0) {
		fcntl(p.fd, F_SETFL, O_NONBLOCK);
		peer_send_first(&p, 2000);
		sleep_ms(200); /* the EOF reaches the server first */
		peers_run(&p, 1);
	}
	if (peer_check(&p, "reading only after the half-close", 0) == 0)
		printf("ok: a client that reads late still gets all its "
		       "bytes\n");
	if (p.fd >= 0)
		close(p.fd);
	free(p.echo);
	free(data);
}

static void
test_empty(int port)
{
	unsigned char *data[] = {NULL};
	size_t len[] = {0};

	if (exchange(port, "a client that half-closes at once", 1, data, len) ==
	    0)
		printf("ok: a client that sends nothing is closed\n");
}

/* A client sends, then resets (SO_LINGER 0): the server must live on. */
static void
test_reset(struct server *sv)
{
	struct linger lg = {1, 0};
	unsigned char *junk = pattern(65536, 9);
	int fd = connect_to(sv->port), status, before;

	if (fd < 0 || junk == NULL) {
		FAIL("reset: could not connect");
		free(junk);
		return;
	}
	if (send(fd, junk, 65536, MSG_NOSIGNAL) < 0) {
		/* the server may already be gone: the check below says so */
	}
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
	free(junk);
	sleep_ms(200);
	if (!server_alive(sv, &status)) {
		FAIL("after a client reset its connection: expected the server "
		     "to go on, it exited (status 0x%x)",
		     status);
		sv->pid = -1;
		return;
	}
	before = failures;
	test_one_line(sv->port);
	if (failures == before)
		printf("ok: a client that resets mid-stream hurts nobody\n");
}

/* 100 clients come and go; the server must close every socket. */
static void
test_no_leak(struct server *sv)
{
	unsigned char *data[50];
	size_t len[50];
	int before = fd_count(sv->pid, 0), after = -1;
	long end;

	for (int i = 0; i < 50; i++) {
		len[i] = 100;
		data[i] = pattern(100, (unsigned)i);
	}
	for (int round = 0; round < 2; round++)
		if (exchange(sv->port, "100 clients in a row", 50, data, len))
			break;
	for (int i = 0; i < 50; i++)
		free(data[i]);
	end = now_ms() + 5000;
	while ((after = fd_count(sv->pid, 0)) > before && now_ms() < end)
		sleep_ms(20);
	if (after > before)
		FAIL("after 100 clients came and went: expected the server to "
		     "hold %d descriptors again, it holds %d (a socket not "
		     "closed?)",
		     before, after);
	else
		printf("ok: 100 clients in a row leave no descriptor open\n");
}

/*
 * A server allowed NOFILE descriptors, and 40 idle clients: the table
 * fills, accept() fails with EMFILE, and a client that comes now waits in
 * the listen queue. The server must survive that (not exit, as a server
 * whose error callback ends the loop does) and serve the waiting client
 * once the idle ones leave.
 */
static void
test_emfile(const char *prog)
{
	unsigned char line[] = "I waited\n";
	struct peer p = {.data = line, .len = sizeof(line) - 1};
	struct server sv;
	int idle[40], status, full = 0, alive = 1;
	long end;

	if (server_start(&sv, prog, NOFILE) < 0)
		return;
	for (int i = 0; i < 40; i++)
		idle[i] = connect_to(sv.port);
	end = now_ms() + DEADLINE_MS;
	while (!(full = fd_count(sv.pid, NOFILE) >= NOFILE) && now_ms() < end &&
	       (alive = server_alive(&sv, &status)))
		sleep_ms(20);
	if (!full && alive)
		FAIL("out of descriptors: expected the server to fill its %d "
		     "descriptors with 40 idle clients, it holds %d",
		     NOFILE, fd_count(sv.pid, NOFILE));
	/* The waiting client connects now, while accept() fails. */
	p.echo = malloc(p.len + 1);
	p.fd = connect_to(sv.port);
	if (p.fd >= 0)
		fcntl(p.fd, F_SETFL, O_NONBLOCK);
	end = now_ms() + 1000; /* time enough for accept() to fail */
	while (alive && now_ms() < end && (alive = server_alive(&sv, &status)))
		sleep_ms(20);
	for (int i = 0; i < 40; i++)
		if (idle[i] >= 0)
			close(idle[i]);
	if (!alive) {
		FAIL("out of descriptors: expected the server to wait for "
		     "descriptors, it exited (status %d): accept()'s EMFILE "
		     "must not stop it",
		     WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		close(sv.out);
	} else {
		peers_run(&p, 1);
		if (p.echo && peer_check(&p, "the client that waited", 0) == 0)
			printf("ok: out of descriptors, the server waits, then "
			       "serves the client that waited\n");
		if ((status = server_stop(&sv)) != 0)
			FAIL("SIGTERM after the EMFILE test: expected exit "
			     "status 0, got %d",
			     status);
	}
	if (p.fd >= 0)
		close(p.fd);
	free(p.echo);
}

int
main(int argc, char **argv)
{
	struct server sv;
	struct rlimit rl;
	int status;

	if (argc != 2) {
		fprintf(stderr, "usage: test_echo SERVER\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max; /* 200 clients at once */
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (server_start(&sv, argv[1], 0) < 0)
		return 1;
	test_one_line(sv.port);
	test_binary(sv.port);
	test_many(sv.port);
	test_late_reader(sv.port);
	test_empty(sv.port);
	test_no_leak(&sv);
	test_reset(&sv);
	if (sv.pid > 0) {
		status = server_stop(&sv);
		if (status != 0)
			FAIL("SIGTERM: expected the server to exit with status "
			     "0 within 10 s, got %s %d",
			     status < 0 ? "no exit, or a signal:" : "status",
			     status);
		else
			printf("ok: SIGTERM stops it with status 0\n");
	}
	test_emfile(argv[1]);
	if (failures == 0)
		printf("every case passed\n");
	return failures ? 1 : 0;
}
