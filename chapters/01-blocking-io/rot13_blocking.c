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
 *   ./rot13_blocking -p 40713 -b 2   a listen backlog of 2, to watch the
 *                                    accept queue fill (ss -ltn)
 *
 * Watch: start two clients; the second is answered only when the first
 * disconnects ("make run" shows it). Meanwhile the kernel has already
 * completed the second client's handshake: it waits in the listener's
 * accept queue, the Recv-Q column of `ss -ltn`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"
#include "serve.h"

static int parse_options(struct server_options *opt, int argc, char **argv);

int
main(int argc, char **argv)
{
	struct server_options opt;
	int listener, backlog;

	backlog = parse_options(&opt, argc, argv);
	if (stop_signals_install() < 0) {
		fprintf(stderr, "rot13_blocking: signals: %s\n",
		        strerror(errno));
		return 1;
	}
	listener = listen_tcp(opt.addr, opt.port, backlog);
	if (listener < 0 || announce_listening(listener) < 0) {
		fprintf(stderr, "rot13_blocking: listen on %s:%d: %s\n",
		        opt.addr, opt.port, strerror(errno));
		return 1;
	}
	/* wait_readable() returns 0 once SIGINT/SIGTERM asks us to stop. */
	while (wait_readable(listener) > 0) {
		int fd = accept(listener, NULL, NULL);
		if (fd < 0) {
			/* A client that gave up, a signal, no descriptor
			 * left: none of them stops the server. */
			accept_error("rot13_blocking");
			continue;
		}
		rot13_serve(fd); /* until this client is done */
		close(fd);
	}
	close(listener);
	stop_signals_release();
	return 0;
}

/* The common -a and -p, and -b BACKLOG for listen(); returns the backlog. */
static int
parse_options(struct server_options *opt, int argc, char **argv)
{
	int ch, backlog = SERVER_BACKLOG;
	char *end;

	server_options_init(opt);
	while ((ch = getopt(argc, argv, "a:p:b:")) != -1) {
		if (ch == 'b') {
			backlog = (int)strtol(optarg, &end, 10);
			if (end == optarg || *end != '\0' || backlog < 0)
				break;
		} else if (server_option_apply(opt, ch, optarg) < 0) {
			break;
		}
	}
	if (ch == -1 && optind == argc)
		return backlog;
	fprintf(stderr, "usage: rot13_blocking [-a ADDR] [-p PORT] "
	                "[-b BACKLOG]\n");
	exit(2);
}
