/*
 * test_nonblock - exercise 05: checks set_nonblocking() and set_blocking()
 * from the learner's nonblock.c.
 *
 * On a file opened with O_APPEND and on sockets (one given O_APPEND too):
 * O_NONBLOCK is set and cleared as asked, every other flag is kept, a
 * second call changes nothing, and a bad descriptor gives -1 with EBADF.
 * Each failed check prints "FAIL: what: expected ..., got ...".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nonblock.h"

struct tally {
	int checks, failed;
};

static void check_sequence(struct tally *t, const char *what, int fd);
static void check_call(struct tally *t, const char *what, int fd,
                       int (*fn)(int), int want_flags);
static void check_would_block(struct tally *t);
static void check_bad_fd(struct tally *t, const char *what, int fd);
static const char *names(int flags, char *buf, size_t size);
static int get_flags(int fd);

int
main(void)
{
	struct tally t = {0, 0};
	char path[] = "/tmp/test_nonblock.XXXXXX";
	int tmp = mkstemp(path), file, sock, sock_nb;

	file = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sock_nb = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (tmp < 0 || file < 0 || unlink(path) < 0 || sock < 0 ||
	    sock_nb < 0 || fcntl(sock, F_SETFL, O_APPEND) < 0) {
		fprintf(stderr, "test_nonblock: setup: %s\n", strerror(errno));
		return 2;
	}
	check_sequence(&t, "a file opened with O_WRONLY|O_APPEND", file);
	check_sequence(&t, "a socket given O_APPEND", sock);
	check_call(&t, "set_blocking on a SOCK_NONBLOCK socket", sock_nb,
	           set_blocking, O_RDWR);
	check_would_block(&t);
	close(file);
	close(sock);
	close(sock_nb);
	check_bad_fd(&t, "descriptor -1", -1);
	check_bad_fd(&t, "a closed descriptor", tmp); /* closed below */
	printf("%d checks, %d failed\n", t.checks, t.failed);
	return t.failed ? 1 : 0;
}

/* On fd, whose flags are `start`: set, set again, clear, clear again. */
static void
check_sequence(struct tally *t, const char *what, int fd)
{
	char buf[160];
	int start = get_flags(fd) & ~O_NONBLOCK;

	snprintf(buf, sizeof(buf), "set_nonblocking on %s", what);
	check_call(t, buf, fd, set_nonblocking, start | O_NONBLOCK);
	snprintf(buf, sizeof(buf), "set_nonblocking again on %s", what);
	check_call(t, buf, fd, set_nonblocking, start | O_NONBLOCK);
	snprintf(buf, sizeof(buf), "set_blocking on %s", what);
	check_call(t, buf, fd, set_blocking, start);
	snprintf(buf, sizeof(buf), "set_blocking again on %s", what);
	check_call(t, buf, fd, set_blocking, start);
}

/* Calls fn(fd): it must return 0 and leave exactly want_flags (of the
 * access mode, O_APPEND and O_NONBLOCK). */
static void
check_call(struct tally *t, const char *what, int fd, int (*fn)(int),
           int want_flags)
{
	const int shown = O_ACCMODE | O_APPEND | O_NONBLOCK;
	char want[64], got[64];
	int r, flags;

	errno = 0;
	r = fn(fd);
	t->checks++;
	if (r != 0) {
		printf("FAIL: %s: expected 0, got %d (errno %s)\n", what, r,
		       strerror(errno));
		t->failed++;
		return;
	}
	flags = get_flags(fd) & shown;
	t->checks++;
	if (flags != (want_flags & shown)) {
		printf("FAIL: %s: expected flags %s, got %s\n", what,
		       names(want_flags, want, sizeof(want)),
		       names(flags, got, sizeof(got)));
		t->failed++;
	}
}

/* After set_nonblocking(), recv() with nothing to read must say EAGAIN at
 * once. Only tried when the flag is really set: otherwise recv() would
 * wait for ever. */
static void
check_would_block(struct tally *t)
{
	int sv[2];
	char c;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
		perror("test_nonblock: socketpair");
		exit(2);
	}
	t->checks++;
	if (set_nonblocking(sv[0]) != 0 || !(get_flags(sv[0]) & O_NONBLOCK)) {
		printf("FAIL: set_nonblocking on a socketpair: expected "
		       "O_NONBLOCK set, got it clear\n");
		t->failed++;
	} else if (recv(sv[0], &c, 1, 0) != -1 ||
	           (errno != EAGAIN && errno != EWOULDBLOCK)) {
		printf("FAIL: recv after set_nonblocking: expected -1 with "
		       "EAGAIN, got errno %s\n",
		       strerror(errno));
		t->failed++;
	}
	close(sv[0]);
	close(sv[1]);
}

/* Both functions must fail on fd with -1 and errno EBADF. */
static void
check_bad_fd(struct tally *t, const char *what, int fd)
{
	static const struct {
		const char *name;
		int (*fn)(int);
	} fns[] = {{"set_nonblocking", set_nonblocking},
	           {"set_blocking", set_blocking}};

	if (fd >= 0)
		close(fd);
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		errno = 0;
		int r = fns[i].fn(fd);
		int e = errno;
		t->checks++;
		if (r != -1 || e != EBADF) {
			printf("FAIL: %s on %s: expected -1 with errno EBADF, "
			       "got %d with errno %d (%s)\n",
			       fns[i].name, what, r, e,
			       e ? strerror(e) : "none");
			t->failed++;
		}
	}
}

static const char *
names(int flags, char *buf, size_t size)
{
	static const char *const mode[] = {"O_RDONLY", "O_WRONLY", "O_RDWR",
	                                   "O_ACCMODE"};

	snprintf(buf, size, "%s%s%s", mode[flags & O_ACCMODE],
	         flags & O_APPEND ? "|O_APPEND" : "",
	         flags & O_NONBLOCK ? "|O_NONBLOCK" : "");
	return buf;
}

static int
get_flags(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0) {
		perror("test_nonblock: fcntl(F_GETFL)");
		exit(2);
	}
	return flags;
}
