/*
 * net.c - socket helpers shared by the pre-library chapters (see net.h).
 * Chapter 01 introduces them; chapter 05 explains set_nonblocking() and
 * chapter 12 the stop pipe behind stop_signals_install().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"

static volatile sig_atomic_t stop_flag;
static int stop_pipe[2] = {-1, -1};

void
server_options_init(struct server_options *opt)
{
	opt->addr = SERVER_DEFAULT_ADDR;
	opt->port = SERVER_DEFAULT_PORT;
}

int
server_option_apply(struct server_options *opt, int ch, const char *arg)
{
	char *end;
	long port;

	switch (ch) {
	case 'a':
		opt->addr = arg;
		return 0;
	case 'p':
		errno = 0;
		port = strtol(arg, &end, 10);
		if (errno != 0 || end == arg || *end != '\0' || port < 0 ||
		    port > 65535)
			return -1;
		opt->port = (int)port;
		return 0;
	default:
		return -1;
	}
}

void
server_options_parse(struct server_options *opt, int argc, char **argv)
{
	int ch;

	server_options_init(opt);
	while ((ch = getopt(argc, argv, "a:p:h")) != -1) {
		if (ch != 'h' && server_option_apply(opt, ch, optarg) == 0)
			continue;
		fprintf(stderr, "usage: %s [-a ADDR] [-p PORT]\n", argv[0]);
		exit(ch == 'h' ? 0 : 2);
	}
	if (optind != argc) {
		fprintf(stderr, "usage: %s [-a ADDR] [-p PORT]\n", argv[0]);
		exit(2);
	}
}

/* Fills ss from a numeric address; returns its length, or 0 if invalid. */
static socklen_t
make_sockaddr(struct sockaddr_storage *ss, const char *addr, int port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((unsigned short)port);
		return sizeof(*sin);
	}
	if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((unsigned short)port);
		return sizeof(*sin6);
	}
	return 0;
}

int
listen_tcp(const char *addr, int port, int backlog)
{
	struct sockaddr_storage ss;
	socklen_t len = make_sockaddr(&ss, addr, port);
	int one = 1, fd, saved;

	if (len == 0) {
		errno = EINVAL;
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		goto err;
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		goto err;
	if (listen(fd, backlog) < 0)
		goto err;
	return fd;
err:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int
server_sockaddr(const struct server_options *opt, struct sockaddr_storage *ss)
{
	socklen_t len = make_sockaddr(ss, opt->addr, opt->port);

	if (len == 0) {
		errno = EINVAL;
		return -1;
	}
	return (int)len;
}

int
announce_listening(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN];
	const void *ip;
	int port;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		ip = &sin6->sin6_addr;
		port = ntohs(sin6->sin6_port);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		ip = &sin->sin_addr;
		port = ntohs(sin->sin_port);
	}
	if (!inet_ntop(ss.ss_family, ip, host, sizeof(host)))
		return -1;
	if (ss.ss_family == AF_INET6)
		printf("listening on [%s]:%d\n", host, port);
	else
		printf("listening on %s:%d\n", host, port);
	return fflush(stdout) == 0 ? 0 : -1;
}

ssize_t
send_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	size_t left = n;

	/* A signal that lands after some bytes went makes send() return a
	 * short count, not EINTR: check for a stop request on every pass. */
	while (left > 0 && !stop_requested()) {
		ssize_t k = send(fd, p, left, MSG_NOSIGNAL);
		if (k < 0) {
			if (errno == EINTR)
				continue; /* the loop condition decides */
			return -1;
		}
		p += k;
		left -= (size_t)k;
	}
	if (left > 0) {
		errno = EINTR;
		return -1;
	}
	return (ssize_t)n;
}

int
set_nonblocking(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0)
		return -1;
	if (flags & O_NONBLOCK)
		return 0;
	return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

static void
stop_handler(int sig)
{
	int saved = errno; /* the interrupted code may be about to read it */
	ssize_t unused;

	(void)sig;
	stop_flag = 1;
	unused = write(stop_pipe[1], "x", 1);
	(void)unused; /* the pipe is non-blocking; one byte is enough */
	errno = saved;
}

int
stop_signals_install(void)
{
	struct sigaction sa;

	if (stop_pipe[0] < 0 && pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = stop_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: blocking calls fail with EINTR */
	if (sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGTERM, &sa, NULL) < 0)
		return -1;
	return 0;
}

int
stop_requested(void)
{
	return stop_flag != 0;
}

int
stop_fd(void)
{
	return stop_pipe[0];
}

int
wait_readable(int fd)
{
	struct pollfd pfd[2] = {
	        {.fd = fd, .events = POLLIN},
	        {.fd = stop_pipe[0], .events = POLLIN},
	};

	for (;;) {
		if (stop_requested())
			return 0;
		if (poll(pfd, 2, -1) >= 0)
			break;
		if (errno != EINTR)
			return -1;
	}
	if (pfd[1].revents)
		return 0;
	return 1; /* readable, or an error/hangup that recv() will report */
}

void
stop_signals_release(void)
{
	for (int i = 0; i < 2; i++) {
		if (stop_pipe[i] >= 0)
			close(stop_pipe[i]);
		stop_pipe[i] = -1;
	}
}

void
accept_error(const char *prog)
{
	int err = errno;

	if (err == EINTR || err == ECONNABORTED || err == EAGAIN ||
	    err == EWOULDBLOCK)
		return;
	fprintf(stderr, "%s: accept: %s\n", prog, strerror(err));
	if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
		/* The connection stays queued, so the listener stays readable:
		 * without a pause the accept loop would spin. */
		struct pollfd pfd = {.fd = stop_pipe[0], .events = POLLIN};
		(void)poll(&pfd, 1, 100);
	}
	errno = err;
}
