/*
 * fork_pitfall - chapter 08: an epoll instance shared across fork().
 *
 *   ./fork_pitfall
 *
 * fork() copies the descriptor of the epoll instance, not the instance: the
 * parent and the child share one interest list. Watch: the child removes
 * socket A (gone for the parent too), closes its copy of socket B (still
 * watched: the parent's copy keeps the socket open) and adds a pipe of its
 * own (the parent now gets events for a number it does not have). This is
 * why a child that wants an event loop creates its own epoll instance, and
 * why libevent asks for event_reinit() after fork().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

_Noreturn static void die(const char *what);
static void child(int epfd, int a, int b, const int ready[2], const int go[2]);
static void report(int epfd, const char *when);

int
main(void)
{
	int a[2], b[2], ready[2], go[2], epfd = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN};
	pid_t pid;
	char byte;

	if (epfd < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, a) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, b) < 0 || pipe(ready) < 0 ||
	    pipe(go) < 0)
		die("setup");
	ev.data.fd = a[0];
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, a[0], &ev) < 0)
		die("epoll_ctl(ADD)");
	ev.data.fd = b[0];
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, b[0], &ev) < 0)
		die("epoll_ctl(ADD)");
	printf("parent: A is fd %d, B is fd %d, both registered; fork()\n",
	       a[0], b[0]);
	fflush(stdout);
	if ((pid = fork()) < 0)
		die("fork");
	if (pid == 0)
		child(epfd, a[0], b[0], ready, go);
	close(go[0]);
	close(ready[1]);
	if (read(ready[0], &byte, 1) != 1) /* the child has done its part */
		die("read");
	if (write(a[1], "x", 1) != 1 || write(b[1], "x", 1) != 1)
		die("write");
	report(epfd, "A and B readable, child alive");
	close(go[1]); /* the child exits, closing everything it had */
	if (waitpid(pid, NULL, 0) < 0)
		die("waitpid");
	report(epfd, "the child has exited");
	close(a[0]), close(a[1]), close(b[0]), close(b[1]);
	close(ready[0]);
	close(epfd);
	return 0;
}

_Noreturn static void
die(const char *what)
{
	fprintf(stderr, "fork_pitfall: %s: %s\n", what, strerror(errno));
	_exit(1);
}

/* The pipe comes first, so it gets numbers the parent has no file on. */
static void
child(int epfd, int a, int b, const int ready[2], const int go[2])
{
	int p[2];
	struct epoll_event ev = {.events = EPOLLIN};
	char byte;

	if (pipe(p) < 0 || write(p[1], "x", 1) != 1)
		die("child: pipe");
	close(go[1]); /* else the child never sees the EOF it waits for */
	close(ready[0]);
	ev.data.fd = p[0];
	printf("child:  EPOLL_CTL_DEL A: %s\n",
	       epoll_ctl(epfd, EPOLL_CTL_DEL, a, NULL) < 0 ? strerror(errno)
	                                                   : "ok");
	close(b);
	printf("child:  closed its copy of B\n");
	printf("child:  EPOLL_CTL_ADD its own pipe, fd %d: %s\n", p[0],
	       epoll_ctl(epfd, EPOLL_CTL_ADD, p[0], &ev) < 0 ? strerror(errno)
	                                                     : "ok");
	fflush(stdout);
	if (write(ready[1], "r", 1) != 1)
		die("child: write");
	while (read(go[0], &byte, 1) > 0) /* EOF: the parent is done */
		continue;
	_exit(0);
}

/* Prints the descriptors the parent's epoll_wait() reports. */
static void
report(int epfd, const char *when)
{
	struct epoll_event evs[8];
	int n = epoll_wait(epfd, evs, 8, 0);

	if (n < 0)
		die("epoll_wait");
	printf("parent: %s: %d event(s):", when, n);
	for (int i = 0; i < n; i++) {
		int fd = evs[i].data.fd;
		printf(" fd %d%s", fd,
		       fcntl(fd, F_GETFD) < 0 ? " (not open in the parent)"
		                              : "");
	}
	printf("\n");
}
