/*
 * rot13_blocking - chapter 01: the iterative ROT13 server.
 *
 * One process, one client at a time: accept a connection, answer its lines
 * until it closes, then accept the next. Every call blocks, which keeps the
 * code short and makes the model's flaw easy to see: while one client is
 * connected, every other client waits, even if the first one sends nothing.
 *
 *   ./rot13_blocking -p 40713        (Ctrl-C stops it)
 *   ../common/rot13_check -p 40713 -v
 *
 * Watch: start two clients; the second is answered only when the first
 * disconnects ("make run" shows it).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"
#include "rot13.h"

#define RECV_SIZE 4096

static void serve_client(int fd);

int
main(int argc, char **argv)
{
	struct server_options opt;
	int listener;

	server_options_parse(&opt, argc, argv);
	if (stop_signals_install() < 0) {
		fprintf(stderr, "rot13_blocking: signals: %s\n",
		        strerror(errno));
		return 1;
	}
	listener = listen_tcp(opt.addr, opt.port, SERVER_BACKLOG);
	if (listener < 0 || announce_listening(listener) < 0) {
		fprintf(stderr, "rot13_blocking: listen on %s:%d: %s\n",
		        opt.addr, opt.port, strerror(errno));
		return 1;
	}
	/* wait_readable() returns 0 once SIGINT/SIGTERM asks us to stop. */
	while (wait_readable(listener) > 0) {
		int fd = accept(listener, NULL, NULL);
		if (fd < 0) {
			/* A client that gave up before we accepted it, or a
			 * signal: neither should stop the server. */
			if (errno != EINTR && errno != ECONNABORTED)
				perror("rot13_blocking: accept");
			continue;
		}
		serve_client(fd);
		close(fd);
	}
	close(listener);
	stop_signals_release();
	return 0;
}

/* Answers fd's lines until it closes, fails or a stop is requested. */
static void
serve_client(int fd)
{
	struct rot13_line line = {.len = 0};
	char in[RECV_SIZE], out[ROT13_OUT_MAX(RECV_SIZE)];
	ssize_t n = -1;

	while (wait_readable(fd) > 0) {
		n = recv(fd, in, sizeof(in), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* 0: the client closed its side; <0: error */
		/* recv() returns whatever has arrived: part of a line, or
		 * many lines. rot13_feed() keeps the unfinished part. */
		size_t k = rot13_feed(&line, in, (size_t)n, out);
		if (send_all(fd, out, k) < 0)
			return;
	}
	if (n == 0) /* EOF: the last line may lack its '\n'; answer it */
		send_all(fd, out, rot13_flush(&line, out));
}
