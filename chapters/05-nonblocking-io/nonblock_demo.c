/*
 * nonblock_demo - chapter 05: what O_NONBLOCK changes, and how to set it.
 *
 * 1. The seeds' fcntl(fd, F_SETFL, O_NONBLOCK) replaces every file status
 *    flag with O_NONBLOCK: a file opened with O_APPEND stops appending.
 *    F_GETFL first, then F_SETFL with the old flags | O_NONBLOCK keeps them.
 * 2. On a non-blocking socket every call returns at once: accept() and
 *    recv() with nothing to do fail with EAGAIN; accepted sockets do not
 *    inherit O_NONBLOCK; SOCK_NONBLOCK and accept4() set it in one call.
 * 3. EINTR: a signal ends a blocking call early.
 *
 *   ./nonblock_demo
 *
 * Watch: the flags printed after each way of setting O_NONBLOCK, and the
 * file contents they lead to.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "net.h"

static int seeds_make_nonblocking(int fd);
static void show_file_flags(const char *title, int (*make_nb)(int));
static void show_unchecked(void);
static void show_sockets(void);
static int accept_shown(int listener, const char *how, int flags);
static void show_recv(int fd, int peer);
static void show_eintr(int fd);
static const char *errno_name(long result);
static int flags_of(int fd, char *names, size_t size);
static int connect_to(int listener);
static void wait_ready(int fd, short events);
_Noreturn static void die(const char *what);

int
main(void)
{
	printf("== 1. O_NONBLOCK on a file opened with O_WRONLY|O_APPEND\n");
	show_file_flags("seeds: fcntl(fd, F_SETFL, O_NONBLOCK)",
	                seeds_make_nonblocking);
	show_file_flags("right: F_GETFL, then F_SETFL(flags | O_NONBLOCK)",
	                set_nonblocking);
	show_unchecked();
	printf("\n== 2. Non-blocking sockets: every call returns at once\n");
	show_sockets();
	return 0;
}

/* The seeds' make_nonblocking(), bugs kept: it overwrites the flags and
 * ignores fcntl's result (theirs returned void). */
static int
seeds_make_nonblocking(int fd)
{
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return 0;
}

/*
 * Opens a temporary file with O_APPEND, lets make_nb set O_NONBLOCK, and
 * shows the flags before and after. Then writes "abc", seeks to the start
 * and writes "X": with O_APPEND every write still goes to the end.
 */
static void
show_file_flags(const char *title, int (*make_nb)(int))
{
	char path[] = "/tmp/nonblock_demo.XXXXXX", before[64], after[64];
	char got[8] = "";
	int rd = mkstemp(path), fd, flags;

	if (rd < 0)
		die("mkstemp");
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0 || unlink(path) < 0)
		die("open");
	flags_of(fd, before, sizeof(before));
	if (make_nb(fd) < 0)
		die("set O_NONBLOCK");
	flags = flags_of(fd, after, sizeof(after));
	printf("%s\n  %s -> %s: O_APPEND %s\n", title, before, after,
	       flags & O_APPEND ? "kept" : "lost");
	if (write(fd, "abc", 3) != 3 || lseek(fd, 0, SEEK_SET) != 0 ||
	    write(fd, "X", 1) != 1 || pread(rd, got, sizeof(got) - 1, 0) < 0)
		die("write");
	printf("  write \"abc\", lseek(fd, 0, SEEK_SET), write \"X\": "
	       "the file holds \"%s\"\n",
	       got);
	close(fd);
	close(rd);
}

/* The seeds check neither socket() nor fcntl(): a failure goes unseen. */
static void
show_unchecked(void)
{
	int r = fcntl(-1, F_SETFL, O_NONBLOCK); /* as after a failed socket() */

	printf("seeds' call on a bad descriptor: fcntl returns %d, errno %s;\n"
	       "  their code never looks and carries on as if it worked\n",
	       r, errno_name(r));
}

static void
show_sockets(void)
{
	int listener = listen_tcp("127.0.0.1", 0, 8), fd, peer;

	if (listener < 0 || set_nonblocking(listener) < 0)
		die("listen");
	fd = accept(listener, NULL, NULL);
	printf("accept() on a non-blocking listener, no client: %d, errno "
	       "%s\n",
	       fd, errno_name(fd));
	if (fd >= 0)
		die("accept returned a connection");
	peer = connect_to(listener);
	fd = accept_shown(listener, "accept()", 0);
	close(fd);
	close(peer);
	peer = connect_to(listener);
	fd = accept_shown(listener, "accept4(..., SOCK_NONBLOCK)",
	                  SOCK_NONBLOCK);
	show_recv(fd, peer);
	printf("\n== 3. EINTR: a signal interrupts a call that waits\n");
	show_eintr(peer); /* the server side sends nothing: recv() waits */
	close(fd);
	close(peer);
	close(listener);
}

/* Accepts the waiting connection with accept4(flags) and shows whether the
 * new socket is non-blocking. */
static int
accept_shown(int listener, const char *how, int flags)
{
	char names[64];
	int fd = accept4(listener, NULL, NULL, flags | SOCK_CLOEXEC);

	if (fd < 0)
		die("accept");
	flags_of(fd, names, sizeof(names));
	printf("%s of a client: %s%s\n", how, names,
	       flags ? " in one call" : " (not inherited from the listener)");
	return fd;
}

/* The three answers a non-blocking recv() gives: EAGAIN, data, EOF. */
static void
show_recv(int fd, int peer)
{
	char buf[64];
	int nb = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (nb < 0 || flags_of(nb, buf, sizeof(buf)) < 0 || close(nb) < 0)
		die("socket");
	printf("socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0): %s\n", buf);
	ssize_t n = recv(fd, buf, sizeof(buf), 0);
	printf("recv(), nothing sent yet: %zd, errno %s (EAGAIN = %d, "
	       "EWOULDBLOCK = %d)\n",
	       n, errno_name(n), EAGAIN, EWOULDBLOCK);
	if (send(peer, "hello\n", 6, MSG_NOSIGNAL) != 6)
		die("send");
	wait_ready(fd, POLLIN);
	n = recv(fd, buf, sizeof(buf), 0);
	printf("recv(), after the client sent \"hello\\n\": %zd bytes\n", n);
	if (shutdown(peer, SHUT_WR) < 0)
		die("shutdown");
	wait_ready(fd, POLLIN);
	n = recv(fd, buf, sizeof(buf), 0);
	printf("recv(), after the client half-closed: %zd (EOF)\n", n);
}

static void
on_alarm(int sig)
{
	(void)sig; /* only here to interrupt recv() */
}

/* A blocking recv() with nothing to read waits; SIGALRM, caught without
 * SA_RESTART, ends it with EINTR. */
static void
show_eintr(int fd)
{
	struct sigaction sa = {.sa_handler = on_alarm};
	struct itimerval in_100ms = {.it_value = {.tv_usec = 100000}};
	char buf[16];

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) < 0 ||
	    setitimer(ITIMER_REAL, &in_100ms, NULL) < 0)
		die("SIGALRM");
	ssize_t n = recv(fd, buf, sizeof(buf), 0);
	printf("blocking recv(), SIGALRM after 100 ms: %zd, errno %s "
	       "(retry it, or check a stop flag first)\n",
	       n, errno_name(n));
}

/* Returns fd's file status flags and writes their names into names. */
static int
flags_of(int fd, char *names, size_t size)
{
	static const char *const mode[] = {"O_RDONLY", "O_WRONLY", "O_RDWR"};
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0)
		die("fcntl(F_GETFL)");
	snprintf(names, size, "%s%s%s", mode[flags & O_ACCMODE],
	         flags & O_APPEND ? "|O_APPEND" : "",
	         flags & O_NONBLOCK ? "|O_NONBLOCK" : "");
	return flags;
}

/* Connects a blocking client to listener and waits, bounded, until the
 * listener has the connection ready to accept. */
static int
connect_to(int listener)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd;

	if (getsockname(listener, (struct sockaddr *)&ss, &len) < 0)
		die("getsockname");
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) < 0)
		die("connect");
	wait_ready(listener, POLLIN);
	return fd;
}

/* Waits (5 s at most) for the kernel: poll() is chapter 07's subject. */
static void
wait_ready(int fd, short events)
{
	struct pollfd p = {.fd = fd, .events = events};

	if (poll(&p, 1, 5000) != 1)
		die("poll");
}

/* errno's name after a call that returned result (strerrorname_np() needs
 * glibc 2.32). EWOULDBLOCK is EAGAIN on Linux. */
static const char *
errno_name(long result)
{
	if (result >= 0)
		return "-";
	return errno == EAGAIN  ? "EAGAIN"
	       : errno == EBADF ? "EBADF"
	       : errno == EINTR ? "EINTR"
	                        : strerror(errno);
}

_Noreturn static void
die(const char *what)
{
	fprintf(stderr, "nonblock_demo: %s: %s\n", what, strerror(errno));
	exit(1);
}
