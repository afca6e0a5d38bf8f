/*
 * rot13_check - drives a ROT13 server and checks every byte it answers.
 *
 * Chapter 01 introduces it; every chapter's demo, experiment and test uses
 * it. It opens C connections at once, sends each its own input (text lines,
 * binary bytes, one long line, ...), in writes of a chosen size, half-closes,
 * and compares what comes back with a model of the protocol written here,
 * independently of the servers' code: a bug shared by both would hide.
 *
 *   rot13_check -p PORT                  one line, answered
 *   rot13_check -p PORT -m text -n 1000  1000 pipelined lines, one write
 *   rot13_check -p PORT -w 1 -n 20       one byte per write
 *   rot13_check -p PORT -c 100 -P -n 10  100 clients, request/response
 *   rot13_check -p PORT -i 1             while an idle client is connected
 *   echo Hello | rot13_check -p PORT -m stdin -v
 *
 * Exit status: 0 all answers right and every connection closed by the
 * server after its last answer; 1 a wrong, missing or extra byte; 2 the
 * deadline (-t) passed; 3 bad usage or no connection.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* The protocol's line limit, written here again rather than taken from
 * rot13.h: the model must not share the servers' code (see the top). */
#define LINE_MAX_PROTO 16384
/* -N: no progress for this long means the server has stopped reading. */
#define STALL_MS       2000
/* Handshakes in flight at once: a burst of 1000 SYNs would overflow the
 * server's accept queue (its listen backlog), and some would be reset. */
#define MAX_CONNECTING 64

enum conn_state { UNOPENED, CONNECTING, SENDING, AWAITING, DRAINING, DONE };

struct buf {
	char *p;
	size_t len, cap;
};

struct conn {
	int fd, index;
	enum conn_state state;
	struct buf in, out;  /* what we send, what we expect back */
	size_t *in_mark;     /* in_mark[k]: input offset after line k */
	size_t *out_mark;    /* out_mark[k]: answer bytes owed by then */
	size_t nmarks, mark; /* lines, and the line we are on (-P) */
	size_t sent, got;    /* progress */
	struct buf shown;    /* -v: answer bytes not yet printed */
};

struct options {
	const char *addr, *mode;
	int port, conns, idle, write_size, random_writes, pingpong;
	int never_read, abort_rst, verbose, quiet;
	long count, deadline_ms;
};

static struct options opt = {
        .addr = "127.0.0.1",
        .mode = "text",
        .port = -1,
        .conns = 1,
        .count = -1,
        .deadline_ms = 20000,
};

static long long
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static long
now_ms(void)
{
	return (long)(now_us() / 1000);
}

static void
die(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("rot13_check: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(status);
}

static void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (!b->p)
			die(3, "out of memory");
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void
buf_printf(struct buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	buf_add(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* The model of the protocol: the answer the server owes for conn's input. */
static void
model_answer(struct conn *c)
{
	size_t line = 0, marks = 0, lines = 1;

	for (size_t i = 0; i < c->in.len; i++)
		lines += c->in.p[i] == '\n';
	c->in_mark = calloc(lines, sizeof(size_t));
	c->out_mark = calloc(lines, sizeof(size_t));
	if (!c->in_mark || !c->out_mark)
		die(3, "out of memory");
	for (size_t i = 0; i < c->in.len; i++) {
		unsigned char ch = (unsigned char)c->in.p[i];
		char a = (char)ch;

		if (ch >= 'a' && ch <= 'z')
			a = (char)('a' + (ch - 'a' + 13) % 26);
		else if (ch >= 'A' && ch <= 'Z')
			a = (char)('A' + (ch - 'A' + 13) % 26);
		buf_add(&c->out, &a, 1);
		if (ch == '\n') {
			line = 0;
			c->in_mark[marks] = i + 1;
			c->out_mark[marks++] = c->out.len;
		} else if (++line == LINE_MAX_PROTO) {
			buf_add(&c->out, "\n", 1);
			line = 0;
		}
	}
	if (line > 0)
		buf_add(&c->out, "\n", 1); /* answered at EOF */
	c->nmarks = marks;
}

/* Fills conn's input according to -m and -n. */
static void
make_input(struct conn *c)
{
	static const char words[] = "The quick brown fox jumps over the lazy "
	                            "dog; PACK MY BOX WITH FIVE DOZEN JUGS! ";
	const char *m = opt.mode;
	long n = opt.count;

	if (strcmp(m, "text") == 0 || strcmp(m, "tail") == 0) {
		for (long k = 0; k < (n < 0 ? 1 : n); k++) {
			int extra = 20 + (int)((k * 7 + c->index) % 59);
			buf_printf(&c->in, "conn %d line %ld: %.*s\n", c->index,
			           k, extra, words);
		}
		if (strcmp(m, "tail") == 0)
			buf_printf(&c->in, "conn %d: no newline at the end",
			           c->index);
	} else if (strcmp(m, "binary") == 0) {
		for (long k = 0; k < (n < 0 ? 4 : n); k++) {
			for (int b = 0; b < 256; b++) {
				char ch = (char)((b + k + c->index) % 256);
				if (ch != '\n')
					buf_add(&c->in, &ch, 1);
			}
			buf_add(&c->in, "\r\n", 2);
		}
	} else if (strcmp(m, "long") == 0) {
		for (long k = 0; k < (n < 0 ? 100000 : n); k++)
			buf_add(&c->in, &words[(k + c->index) % 79], 1);
		buf_add(&c->in, "\n", 1);
	} else if (strcmp(m, "edges") == 0) {
		static const long sizes[] = {0,     1,     16383, 16384,
		                             16385, 32768, 49153};
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			for (long k = 0; k < sizes[s]; k++)
				buf_add(&c->in, &words[k % 79], 1);
			buf_add(&c->in, "\n", 1);
		}
	} else if (strcmp(m, "stdin") == 0) {
		char tmp[4096];
		size_t k;
		while ((k = fread(tmp, 1, sizeof(tmp), stdin)) > 0)
			buf_add(&c->in, tmp, k);
	} else {
		die(3,
		    "unknown mode '%s' (text, tail, binary, long, edges, "
		    "stdin)",
		    m);
	}
}

static void
open_conn(struct conn *c, const struct sockaddr_in *sin)
{
	int one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		die(3, "socket: %s (raise the fd limit: ulimit -n)",
		    strerror(errno));
	/* Without TCP_NODELAY, Nagle's algorithm would merge our 1-byte
	 * writes into bigger segments and -w 1 would test less. */
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (const struct sockaddr *)sin, sizeof(*sin)) < 0 &&
	    errno != EINPROGRESS)
		die(3, "connect %s:%d: %s", opt.addr, opt.port,
		    strerror(errno));
	c->state = CONNECTING;
}

/* Prints complete answer lines held in c->shown (-v). */
static void
show_answers(struct conn *c, const char *p, size_t n, int at_eof)
{
	size_t start = 0;

	buf_add(&c->shown, p, n);
	for (size_t i = 0; i < c->shown.len; i++) {
		if (c->shown.p[i] != '\n' && !(at_eof && i + 1 == c->shown.len))
			continue;
		printf("%s< ", opt.conns > 1 ? "  " : "");
		for (size_t k = start; k < i; k++) {
			unsigned char ch = (unsigned char)c->shown.p[k];
			if (ch >= 0x20 && ch < 0x7f)
				putchar(ch);
			else
				printf("\\x%02x", ch);
		}
		putchar('\n');
		start = i + 1;
	}
	memmove(c->shown.p, c->shown.p + start, c->shown.len - start);
	c->shown.len -= start;
}

static void
show_sent(const struct conn *c, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		unsigned char ch = (unsigned char)c->in.p[i];
		if (i == from || c->in.p[i - 1] == '\n')
			printf("> ");
		if (ch == '\n')
			putchar('\n');
		else if (ch >= 0x20 && ch < 0x7f)
			putchar(ch);
		else
			printf("\\x%02x", ch);
	}
	if (to > from && c->in.p[to - 1] != '\n')
		putchar('\n');
}

static void
report_mismatch(const struct conn *c, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t at = c->got + i;
		unsigned char want, got = (unsigned char)p[i];
		if (at >= c->out.len)
			die(1,
			    "conn %d: the server sent %zu bytes more than "
			    "the %zu owed (first extra byte 0x%02x)",
			    c->index, n - i, c->out.len, got);
		want = (unsigned char)c->out.p[at];
		if (want != got)
			die(1,
			    "conn %d: answer byte %zu: expected 0x%02x "
			    "'%c', got 0x%02x '%c'",
			    c->index, at, want,
			    want >= 0x20 && want < 0x7f ? want : '.', got,
			    got >= 0x20 && got < 0x7f ? got : '.');
	}
}

/* Where the next send must stop: the end of the input, or with -P the end
 * of the current line. */
static size_t
send_limit(const struct conn *c)
{
	if (opt.pingpong && c->mark < c->nmarks)
		return c->in_mark[c->mark];
	return c->in.len;
}

static void
after_progress(struct conn *c)
{
	if (c->state == AWAITING && c->got >= c->out_mark[c->mark]) {
		c->mark++;
		c->state = SENDING;
	}
	if (c->state == SENDING && c->sent == c->in.len) {
		if (opt.abort_rst) {
			struct linger lg = {.l_onoff = 1, .l_linger = 0};
			setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg,
			           sizeof(lg));
			close(c->fd);
			c->fd = -1;
			c->state = DONE;
			return;
		}
		if (!opt.never_read)
			shutdown(c->fd, SHUT_WR);
		c->state = DRAINING;
	}
}

static void
do_send(struct conn *c)
{
	size_t limit = send_limit(c), want = limit - c->sent;
	ssize_t k;

	if (opt.write_size > 0 && want > (size_t)opt.write_size) {
		want = (size_t)opt.write_size;
		if (opt.random_writes)
			want = 1 + (size_t)rand() % want;
	}
	k = send(c->fd, c->in.p + c->sent, want, MSG_NOSIGNAL);
	if (k < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		die(1, "conn %d: send after %zu bytes: %s", c->index, c->sent,
		    strerror(errno));
	}
	if (opt.verbose)
		show_sent(c, c->sent, c->sent + (size_t)k);
	c->sent += (size_t)k;
	if (opt.pingpong && c->sent == limit && c->mark < c->nmarks)
		c->state = AWAITING;
	after_progress(c);
}

static void
do_recv(struct conn *c)
{
	char tmp[65536];
	ssize_t k = recv(c->fd, tmp, sizeof(tmp), 0);

	if (k < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		die(1, "conn %d: recv after %zu of %zu answer bytes: %s",
		    c->index, c->got, c->out.len, strerror(errno));
	}
	if (k == 0) {
		if (c->got < c->out.len || c->state != DRAINING)
			die(1,
			    "conn %d: the server closed the connection "
			    "after %zu of %zu answer bytes (%zu of %zu "
			    "sent)",
			    c->index, c->got, c->out.len, c->sent, c->in.len);
		if (opt.verbose)
			show_answers(c, "", 0, 1);
		close(c->fd);
		c->fd = -1;
		c->state = DONE;
		return;
	}
	report_mismatch(c, tmp, (size_t)k);
	if (opt.verbose)
		show_answers(c, tmp, (size_t)k, 0);
	c->got += (size_t)k;
	after_progress(c);
}

static void
finish_connect(struct conn *c)
{
	int err = 0;
	socklen_t len = sizeof(err);

	getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err != 0)
		die(3, "connect %s:%d: %s", opt.addr, opt.port, strerror(err));
	c->state = SENDING;
	after_progress(c); /* empty input: half-close at once */
}

static void
describe_timeout(const struct conn *conns, int n)
{
	int stuck = 0;

	fprintf(stderr, "rot13_check: timed out after %ld ms\n",
	        opt.deadline_ms);
	for (int i = 0; i < n && stuck < 5; i++) {
		const struct conn *c = &conns[i];
		static const char *what[] = {
		        "not connected yet",
		        "connecting",
		        "sending",
		        "waiting for an answer",
		        "waiting for answers and the server's close",
		        "done"};
		if (c->state == DONE)
			continue;
		stuck++;
		fprintf(stderr,
		        "  conn %d: %s; sent %zu/%zu bytes, answered "
		        "%zu/%zu\n",
		        c->index, what[c->state], c->sent, c->in.len, c->got,
		        c->out.len);
	}
	exit(2);
}

/* -N: send without ever reading until the server stops taking bytes. */
static int
never_read_report(const struct conn *c, long idle_ms)
{
	if (c->sent == c->in.len) {
		printf("sent all %zu bytes\n", c->in.len);
		return 1;
	}
	if (idle_ms >= STALL_MS) {
		printf("stalled after %zu of %zu bytes\n", c->sent, c->in.len);
		return 1;
	}
	return 0;
}

/* Opens the next connections, keeping at most MAX_CONNECTING handshakes in
 * flight; returns the index of the first one not opened yet. */
static int
open_more(struct conn *conns, int n, int next, const struct sockaddr_in *sin)
{
	int connecting = 0;

	for (int i = 0; i < next; i++)
		connecting += conns[i].state == CONNECTING;
	while (next < n && connecting < MAX_CONNECTING) {
		open_conn(&conns[next++], sin);
		connecting++;
	}
	return next;
}

static void
run(struct conn *conns, int n, const struct sockaddr_in *sin)
{
	struct pollfd *pfd = calloc((size_t)n, sizeof(*pfd));
	long start = now_ms(), last_progress = start;
	int next = 0;

	if (!pfd)
		die(3, "out of memory");
	for (;;) {
		int live = 0;
		long now = now_ms();

		next = open_more(conns, n, next, sin);
		for (int i = 0; i < n; i++) {
			struct conn *c = &conns[i];
			short ev = 0;
			pfd[i].fd = c->state == DONE || c->state == UNOPENED
			                    ? -1
			                    : c->fd;
			if (c->state == CONNECTING || c->state == SENDING)
				ev |= POLLOUT;
			if (c->state != CONNECTING && !opt.never_read)
				ev |= POLLIN;
			pfd[i].events = ev;
			live += c->state != DONE;
		}
		if (opt.never_read &&
		    never_read_report(&conns[0], now - last_progress))
			break;
		if (live == 0)
			break;
		if (now - start >= opt.deadline_ms)
			describe_timeout(conns, n);
		if (poll(pfd, (nfds_t)n, 100) < 0 && errno != EINTR)
			die(3, "poll: %s", strerror(errno));
		for (int i = 0; i < n; i++) {
			struct conn *c = &conns[i];
			size_t before = c->sent + c->got;
			if (pfd[i].fd < 0 || pfd[i].revents == 0)
				continue;
			if (c->state == CONNECTING)
				finish_connect(c);
			else if (pfd[i].revents &
			                 (POLLIN | POLLHUP | POLLERR) &&
			         !opt.never_read)
				do_recv(c);
			if ((c->state == SENDING) &&
			    (pfd[i].revents & (POLLOUT | POLLERR)))
				do_send(c);
			if (c->sent + c->got != before)
				last_progress = now_ms();
		}
	}
	free(pfd);
}

/* Connects the idle clients, MAX_CONNECTING handshakes at a time, and
 * waits (until the deadline) for each batch to complete. */
static void
open_idle(struct conn *idle, int n, const struct sockaddr_in *sin)
{
	struct pollfd pfd[MAX_CONNECTING];
	long start = now_ms();

	for (int first = 0; first < n; first += MAX_CONNECTING) {
		int k = n - first < MAX_CONNECTING ? n - first : MAX_CONNECTING;
		for (int i = 0; i < k; i++) {
			open_conn(&idle[first + i], sin);
			pfd[i].fd = idle[first + i].fd;
			pfd[i].events = POLLOUT;
		}
		for (int i = 0; i < k; i++) {
			while (pfd[i].fd >= 0 &&
			       now_ms() - start < opt.deadline_ms) {
				if (poll(&pfd[i], 1, 100) > 0)
					break;
			}
		}
	}
}

static void
usage(void)
{
	fprintf(stderr,
	        "usage: rot13_check -p PORT [-a ADDR] [-m MODE] [-n N] [-c "
	        "CONNS]\n"
	        "                   [-i IDLE] [-w BYTES] [-r] [-P] [-N] [-A] "
	        "[-t SECONDS] [-v] [-q]\n"
	        "  -m  text (default), tail (last line unterminated), binary,\n"
	        "      long (one N-byte line), edges (lines around 16384), "
	        "stdin\n"
	        "  -n  lines, or bytes for -m long\n"
	        "  -c  connections at once; -i  idle connections held open\n"
	        "  -w  at most BYTES per write (-r: random 1..BYTES)\n"
	        "  -P  wait for each line's answer before sending the next\n"
	        "  -N  never read: send until the server stops taking bytes\n"
	        "  -A  abort: send, then reset the connection (RST)\n");
	exit(3);
}

static void
parse(int argc, char **argv)
{
	int ch;

	while ((ch = getopt(argc, argv, "a:p:m:n:c:i:w:rPNAt:vq")) != -1) {
		switch (ch) {
		case 'a':
			opt.addr = optarg;
			break;
		case 'p':
			opt.port = atoi(optarg);
			break;
		case 'm':
			opt.mode = optarg;
			break;
		case 'n':
			opt.count = atol(optarg);
			break;
		case 'c':
			opt.conns = atoi(optarg);
			break;
		case 'i':
			opt.idle = atoi(optarg);
			break;
		case 'w':
			opt.write_size = atoi(optarg);
			break;
		case 'r':
			opt.random_writes = 1;
			break;
		case 'P':
			opt.pingpong = 1;
			break;
		case 'N':
			opt.never_read = 1;
			break;
		case 'A':
			opt.abort_rst = 1;
			break;
		case 't':
			opt.deadline_ms = (long)(atof(optarg) * 1000);
			break;
		case 'v':
			opt.verbose = 1;
			break;
		case 'q':
			opt.quiet = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || opt.port <= 0 || opt.port > 65535 ||
	    opt.conns < 1 || opt.idle < 0 || opt.write_size < 0)
		usage();
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct rlimit rl;
	struct conn *conns, *idle;
	size_t sent = 0, got = 0, round_trips = 0;
	long long t0, elapsed_us;
	long start;

	parse(argc, argv);
	if (inet_pton(AF_INET, opt.addr, &sin.sin_addr) != 1)
		die(3, "bad address '%s'", opt.addr);
	sin.sin_port = htons((unsigned short)opt.port);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max; /* -c 1000 needs more than 1024 */
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	srand(1);
	idle = calloc((size_t)opt.idle + 1, sizeof(*idle));
	conns = calloc((size_t)opt.conns, sizeof(*conns));
	if (!idle || !conns)
		die(3, "out of memory");
	/* Idle clients connect first, so a server that serves one client at
	 * a time accepts them before the busy ones. */
	open_idle(idle, opt.idle, &sin);
	start = now_ms();
	t0 = now_us();
	for (int i = 0; i < opt.conns; i++) {
		conns[i].index = i;
		conns[i].fd = -1;
		make_input(&conns[i]);
		model_answer(&conns[i]);
	}
	run(conns, opt.conns, &sin);
	elapsed_us = now_us() - t0;
	round_trips = conns[0].nmarks;
	if (opt.never_read) {
		/* Hold the connection open so the caller can look at the
		 * server now; it stops us by PID, or the deadline does. */
		fflush(stdout);
		while (now_ms() - start < opt.deadline_ms)
			poll(NULL, 0, 100);
	}
	for (int i = 0; i < opt.conns; i++) {
		sent += conns[i].sent;
		got += conns[i].got;
		if (conns[i].fd >= 0)
			close(conns[i].fd);
		free(conns[i].in.p);
		free(conns[i].out.p);
		free(conns[i].shown.p);
		free(conns[i].in_mark);
		free(conns[i].out_mark);
	}
	for (int i = 0; i < opt.idle; i++)
		close(idle[i].fd);
	free(idle);
	free(conns);
	if (!opt.quiet && !opt.never_read)
		printf("ok: %d connection%s, %zu bytes sent, %zu bytes "
		       "answered, %lld ms",
		       opt.conns, opt.conns == 1 ? "" : "s", sent, got,
		       elapsed_us / 1000);
	/* With one client taking turns (-P), the time per line is the round
	 * trip time: what chapter 09 compares across select, poll and epoll. */
	if (!opt.quiet && !opt.never_read && opt.pingpong && opt.conns == 1 &&
	    round_trips > 0)
		printf(", %.1f us per round trip",
		       (double)elapsed_us / (double)round_trips);
	if (!opt.quiet && !opt.never_read)
		printf("\n");
	return 0;
}
