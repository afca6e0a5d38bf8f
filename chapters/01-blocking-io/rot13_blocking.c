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
#include "serve.h"

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
		rot13_serve(fd); /* until this client is done */
		close(fd);
	}
	close(listener);
	stop_signals_release();
	return 0;
}
