/*
 * rot13_epoll_et_broken - chapter 09: the classic edge-triggered mistake.
 *
 * The same registration as rot13_epoll_et (EPOLLIN | EPOLLOUT | EPOLLRDHUP
 * | EPOLLET, once per client), but a level-triggered habit in the handler:
 * one recv() per event. Under level triggering that is fine, for whatever
 * is left is reported again. Under edge triggering nothing is reported
 * again: the rest of the data stays in the kernel until the client sends
 * something new, and a client that sent everything and now waits for its
 * answers waits for ever. Do not copy this program; it is here to fail.
 *
 *   ./rot13_epoll_et_broken -p 40713
 *   ../common/rot13_check -p 40713 -m long -n 65536 -t 5   (exits 2)
 *
 * Watch: rot13_check times out with part of the answer; the server shows
 * no error at all, only one short read per event.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "net.h"

#define MAX_EVENTS  64
#define MAX_CLIENTS 4096 /* a fixed table keeps the mistake in view */

static int read_once(struct conn *c);
static void client_event(int epfd, struct conn **conns, struct conn *c);
static void accept_one(int epfd, int listener, struct conn **conns);

int
main(int argc, char **argv)
{
	static struct conn *conns[MAX_CLIENTS]; /* conns[fd] */
	struct server_options opt;
	struct epoll_event ev = {.events = EPOLLIN}, events[MAX_EVENTS];
	int listener, epfd, stop = 0;

	server_options_parse(&opt, argc, argv);
	if (stop_signals_install() < 0) {
		perror("rot13_epoll_et_broken: signals");
		return 1;
	}
	ev.data.fd = stop_fd();
	listener = listen_tcp(opt.addr, opt.port, SERVER_BACKLOG);
	if (listener < 0 || set_nonblocking(listener) < 0 ||
	    announce_listening(listener) < 0 ||
	    (epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    epoll_ctl(epfd, EPOLL_CTL_ADD, stop_fd(), &ev) < 0) {
		perror("rot13_epoll_et_broken: setup");
		return 1;
	}
	ev.data.fd = listener; /* the listener stays level-triggered */
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, listener, &ev) < 0) {
		perror("rot13_epoll_et_broken: epoll_ctl");
		return 1;
	}
	while (!stop) {
		int n = epoll_wait(epfd, events, MAX_EVENTS, -1);
		if (n < 0 && errno != EINTR) {
			perror("rot13_epoll_et_broken: epoll_wait");
			break;
		}
		for (int i = 0; i < n; i++) {
			int fd = events[i].data.fd;
			if (fd == stop_fd())
				stop = 1;
			else if (fd == listener)
				accept_one(epfd, listener, conns);
			else
				client_event(epfd, conns, conns[fd]);
		}
	}
	for (int fd = 0; fd < MAX_CLIENTS; fd++)
		if (conns[fd])
			conn_free(conns[fd]);
	close(epfd);
	close(listener);
	stop_signals_release();
	return 0;
}

/* THE BUG: one recv() per edge. conn_read() would loop until EAGAIN. */
static int
read_once(struct conn *c)
{
	char in[CONN_RECV_SIZE];
	ssize_t n = recv(c->fd, in, sizeof(in), 0);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (n == 0) {
		c->eof = 1;
		c->out_len += rot13_flush(&c->line, c->out + c->out_len);
		return 0;
	}
	c->out_len += rot13_feed(&c->line, in, (size_t)n, c->out + c->out_len);
	return 0;
}

/* conn_write() empties out[] completely before read_once() can add to it,
 * and one read's answers always fit: the buffer bound is not what fails. */
static void
client_event(int epfd, struct conn **conns, struct conn *c)
{
	if (conn_wants_write(c) && conn_write(c) < 0)
		goto close;
	if (!conn_wants_write(c) && !c->eof && read_once(c) < 0)
		goto close;
	if (conn_wants_write(c) && conn_write(c) < 0)
		goto close;
	if (!conn_done(c))
		return;
close:
	epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
	conns[c->fd] = NULL;
	conn_free(c);
}

static void
accept_one(int epfd, int listener, struct conn **conns)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP |
	                                   EPOLLET};
	int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return; /* EAGAIN: level-triggered, we will be told again */
	if (fd >= MAX_CLIENTS || !(conns[fd] = conn_new(fd))) {
		close(fd);
		return;
	}
	ev.data.fd = fd;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		conn_free(conns[fd]);
		conns[fd] = NULL;
	}
}
