/*
 * close_pitfall - chapter 08: closing a descriptor that is still in an
 * epoll interest list.
 *
 *   ./close_pitfall
 *
 * epoll watches the open file description (打开文件描述), the kernel object
 * a descriptor number refers to, not the number. close() takes the watch
 * away only when the last reference to that object goes. Watch:
 *  1. no other reference: close() is enough, nothing more is reported;
 *  2. a dup() alive: events keep coming, data.fd names a closed number,
 *     EPOLL_CTL_DEL fails on it (EBADF) and on the dup (ENOENT), and the
 *     closed number, reused by the next socket, now names another socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

_Noreturn static void die(const char *what);
static int ready(int epfd, struct epoll_event *ev);
static const char *ctl_del(int epfd, int fd);
static void without_dup(int epfd);
static void with_dup(int epfd);

int
main(void)
{
	int epfd = epoll_create1(EPOLL_CLOEXEC);

	if (epfd < 0)
		die("epoll_create1");
	without_dup(epfd);
	with_dup(epfd);
	close(epfd);
	return 0;
}

_Noreturn static void
die(const char *what)
{
	fprintf(stderr, "close_pitfall: %s: %s\n", what, strerror(errno));
	_exit(1);
}

/* One epoll_wait() that does not block: the number of events. */
static int
ready(int epfd, struct epoll_event *ev)
{
	int n = epoll_wait(epfd, ev, 1, 0);

	if (n < 0)
		die("epoll_wait");
	return n;
}

static const char *
ctl_del(int epfd, int fd)
{
	return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL) < 0 ? strerror(errno)
	                                                    : "ok";
}

static void
without_dup(int epfd)
{
	int sv[2];
	struct epoll_event ev = {.events = EPOLLIN};

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 ||
	    write(sv[1], "x", 1) != 1)
		die("socketpair");
	ev.data.fd = sv[0];
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, sv[0], &ev) < 0)
		die("epoll_ctl(ADD)");
	printf("1. fd %d registered, readable: %d event(s)\n", sv[0],
	       ready(epfd, &ev));
	close(sv[0]);
	printf("   close(%d), no other reference: %d event(s)\n", sv[0],
	       ready(epfd, &ev));
	close(sv[1]);
}

static void
with_dup(int epfd)
{
	int sv[2], other[2], fd, copy;
	struct epoll_event ev = {.events = EPOLLIN};
	char byte;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		die("socketpair");
	fd = sv[0];
	ev.data.fd = fd;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		die("epoll_ctl(ADD)");
	copy = dup(fd);
	if (copy < 0)
		die("dup");
	close(fd);
	printf("2. fd %d registered, dup()ed to fd %d, then fd %d closed\n", fd,
	       copy, fd);
	if (write(sv[1], "x", 1) != 1)
		die("write");
	if (ready(epfd, &ev) == 1)
		printf("   the peer writes: events still arrive for fd %d, "
		       "which is closed (fcntl: %s)\n",
		       ev.data.fd,
		       fcntl(ev.data.fd, F_GETFD) < 0 ? strerror(errno)
		                                      : "open");
	printf("   EPOLL_CTL_DEL on fd %d: %s\n", fd, ctl_del(epfd, fd));
	printf("   EPOLL_CTL_DEL on the dup, fd %d: %s\n", copy,
	       ctl_del(epfd, copy));
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, other) < 0)
		die("socketpair");
	printf("   a new socket gets fd %d; the event still says fd %d: "
	       "recv(%d) = %s\n",
	       other[0], ready(epfd, &ev) ? ev.data.fd : -1, fd,
	       recv(fd, &byte, 1, MSG_DONTWAIT) < 0 ? strerror(errno) : "data");
	close(copy);
	printf("   close(%d), the last reference: %d event(s)\n", copy,
	       ready(epfd, &ev));
	close(other[0]);
	close(other[1]);
	close(sv[1]);
}
