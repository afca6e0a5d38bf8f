/*
 * dup_pitfall - chapter 08: two descriptor numbers, one open file.
 *
 *   ./dup_pitfall
 *
 * An interest list entry is keyed by the pair (descriptor number, open file
 * description). Watch: the same number cannot be added twice (EEXIST), but
 * its dup() can, so one socket gets two entries and one arriving byte is
 * reported twice, once per number. Each entry has its own events mask and
 * its own data, and each must be removed on its own.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

_Noreturn static void die(const char *what);
static const char *ctl_add(int epfd, int fd, uint32_t events);

int
main(void)
{
	int sv[2], copy, n, epfd = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event evs[4];

	if (epfd < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 ||
	    (copy = dup(sv[0])) < 0)
		die("setup");
	printf("fd %d and its dup, fd %d: one socket\n", sv[0], copy);
	printf("EPOLL_CTL_ADD fd %d:       %s\n", sv[0],
	       ctl_add(epfd, sv[0], EPOLLIN));
	printf("EPOLL_CTL_ADD fd %d again: %s\n", sv[0],
	       ctl_add(epfd, sv[0], EPOLLIN));
	printf("EPOLL_CTL_ADD fd %d (dup): %s\n", copy,
	       ctl_add(epfd, copy, EPOLLIN));
	if (write(sv[1], "x", 1) != 1)
		die("write");
	n = epoll_wait(epfd, evs, 4, 0);
	if (n < 0)
		die("epoll_wait");
	printf("the peer writes 1 byte: %d events:", n);
	for (int i = 0; i < n; i++)
		printf(" fd %d", evs[i].data.fd);
	printf("\n");
	close(copy); /* the socket lives on through sv[0]: DEL copy first */
	n = epoll_wait(epfd, evs, 4, 0);
	printf("close(%d) without DEL first: %d event(s) still\n", copy, n);
	close(sv[0]); /* the last reference: both entries go now */
	close(sv[1]);
	close(epfd);
	return 0;
}

_Noreturn static void
die(const char *what)
{
	fprintf(stderr, "dup_pitfall: %s: %s\n", what, strerror(errno));
	_exit(1);
}

static const char *
ctl_add(int epfd, int fd, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.fd = fd};

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? strerror(errno)
	                                                   : "ok";
}
