/*
 * http_standin - chapter 01: a tiny local web server for fetch to talk to.
 *
 * It stands in for the web server the original example fetched from, so
 * the chapter works offline. One connection at a time, with blocking calls:
 * read an HTTP request (the header, then the body its Content-Length
 * announces), answer with one fixed page written in PIECES pieces PAUSE_MS
 * apart, close. The pauses make the client's recv() calls return short.
 *
 *   ./http_standin -p 40780              (Ctrl-C stops it)
 *   ./fetch -p 40780 >page.txt
 *   ./http_standin -p 40780 -r 10        read request bodies slowly: at most
 *                                        4 KiB every 10 ms, small buffer
 *
 * Watch: the line it prints per request, and fetch's recv() sizes.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"

#define HEAD_MAX  8192 /* a longer request header is refused */
#define SLOW_READ 4096 /* -r: bytes per recv(), and the receive buffer */
#define PIECES    4    /* the answer is written in this many send()s */
#define PAUSE_MS  100  /* between the pieces */

static const char page[] =
        "This page comes from http_standin, the stand-in web server of\n"
        "chapter 01. It was written in several pieces with a pause after\n"
        "each, so the client's recv() calls return one piece at a time:\n"
        "TCP carries a stream of bytes, not messages, and recv() returns\n"
        "whatever part of that stream has arrived, from one byte up to the\n"
        "size of the buffer it was given. A client that needs a whole\n"
        "message must loop until it has it, here until the server closes.\n";

/* One request, as far as it has been read. */
struct request {
	char head[HEAD_MAX + 1]; /* + 1 for the '\0' strcasestr() needs */
	size_t len;              /* bytes in head, body bytes included */
	size_t head_len;         /* up to and including "\r\n\r\n" */
};

static void serve_client(int fd, int slow_ms);
static int read_head(int fd, struct request *req);
static int drain_body(int fd, size_t left, int slow_ms);
static ssize_t answer(int fd);
static int nap(int ms);

int
main(int argc, char **argv)
{
	struct server_options opt;
	int listener, ch, slow_ms = 0, rcvbuf = SLOW_READ;
	char *end;

	server_options_init(&opt);
	while ((ch = getopt(argc, argv, "a:p:r:")) != -1) {
		if (ch == 'r')
			slow_ms = (int)strtol(optarg, &end, 10);
		if (ch == 'r' && *end == '\0' && slow_ms > 0 && slow_ms < 10000)
			continue;
		if (ch != 'r' && server_option_apply(&opt, ch, optarg) == 0)
			continue;
		fprintf(stderr, "usage: http_standin [-a ADDR] [-p PORT] "
		                "[-r MS]\n");
		return 2;
	}
	if (stop_signals_install() < 0) {
		perror("http_standin: signals");
		return 1;
	}
	listener = listen_tcp(opt.addr, opt.port, SERVER_BACKLOG);
	/* Accepted sockets inherit the listener's receive buffer; it must be
	 * set before a client's SYN arrives, since it sizes the TCP window. */
	if (listener < 0 ||
	    (slow_ms > 0 && setsockopt(listener, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
	                               sizeof(rcvbuf)) < 0) ||
	    announce_listening(listener) < 0) {
		fprintf(stderr, "http_standin: listen on %s:%d: %s\n", opt.addr,
		        opt.port, strerror(errno));
		return 1;
	}
	while (wait_readable(listener) > 0) {
		int fd = accept(listener, NULL, NULL);
		if (fd < 0) {
			if (errno != EINTR && errno != ECONNABORTED)
				perror("http_standin: accept");
			continue;
		}
		serve_client(fd, slow_ms);
		close(fd);
	}
	close(listener);
	stop_signals_release();
	return 0;
}

static void
serve_client(int fd, int slow_ms)
{
	struct request req = {.len = 0};
	unsigned long long body = 0;
	const char *cl;
	ssize_t sent;
	size_t line;

	if (read_head(fd, &req) < 0)
		return;
	cl = strcasestr(req.head, "\r\nContent-Length:");
	if (cl != NULL && cl < req.head + req.head_len)
		body = strtoull(cl + 17, NULL, 10);
	/* Some body bytes may have come with the header. */
	if (body < req.len - req.head_len ||
	    drain_body(fd, body - (req.len - req.head_len), slow_ms) < 0)
		return;
	sent = answer(fd);
	if (sent < 0)
		return;
	line = strcspn(req.head, "\r\n");
	printf("%.*s, %llu body bytes: answered %zd bytes in %d pieces\n",
	       (int)(line < 60 ? line : 60), req.head, body, sent, PIECES);
	fflush(stdout);
}

/* Reads until the blank line that ends the header; -1 if it never comes. */
static int
read_head(int fd, struct request *req)
{
	char *end = NULL;

	while (end == NULL && req->len < HEAD_MAX && wait_readable(fd) > 0) {
		ssize_t n =
		        recv(fd, req->head + req->len, HEAD_MAX - req->len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		req->len += (size_t)n;
		req->head[req->len] = '\0';
		end = memmem(req->head, req->len, "\r\n\r\n", 4);
	}
	if (end == NULL)
		return -1;
	req->head_len = (size_t)(end + 4 - req->head);
	return 0;
}

/* Reads and drops left bytes; with slow_ms, at most SLOW_READ per nap. */
static int
drain_body(int fd, size_t left, int slow_ms)
{
	char buf[SLOW_READ];

	while (left > 0 && wait_readable(fd) > 0) {
		size_t want = left < sizeof(buf) ? left : sizeof(buf);
		ssize_t n = recv(fd, buf, want, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		left -= (size_t)n;
		if (slow_ms > 0 && left > 0 && nap(slow_ms) == 0)
			return -1;
	}
	return left == 0 ? 0 : -1;
}

/* Sends the page in PIECES send()s with a pause between them; returns the
 * bytes sent, or -1. */
static ssize_t
answer(int fd)
{
	char buf[sizeof(page) + 128];
	int len, one = 1;

	len = snprintf(buf, sizeof(buf),
	               "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
	               "Content-Length: %zu\r\n\r\n%s",
	               strlen(page), page);
	/* Without TCP_NODELAY, Nagle's algorithm may hold a small piece
	 * back until the previous one is acknowledged. */
	if (len < 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		return -1;
	for (int i = 0; i < PIECES; i++) {
		size_t from = (size_t)len * i / PIECES;
		size_t to = (size_t)len * (i + 1) / PIECES;
		if (i > 0 && nap(PAUSE_MS) == 0)
			return -1;
		if (send_all(fd, buf + from, to - from) < 0)
			return -1;
	}
	return len;
}

/* Sleeps ms milliseconds; returns 0 at once if a stop is requested. */
static int
nap(int ms)
{
	struct pollfd pfd = {.fd = stop_fd(), .events = POLLIN};

	return poll(&pfd, 1, ms) == 0;
}
