/*
 * send_file.c - chapter 13: what copies cost. An N MiB file goes to a
 * socket four ways, each through an evbuffer and evbuffer_write():
 *
 *  - read() into an array, evbuffer_add(): two copies in this process
 *    (kernel to array, array to chunk);
 *  - read() into evbuffer_reserve_space(), evbuffer_commit_space(): one
 *    (kernel to chunk);
 *  - mmap() the file, evbuffer_add_reference() the mapping: none, but
 *    writev() reads the mapping, and each first touch of a page faults;
 *  - evbuffer_add_file(): none; the kernel copies from its page cache to
 *    the socket with sendfile (minievent always does; libevent because
 *    the buffer is marked EVBUFFER_FLAG_DRAINS_TO_FD, as a bufferevent's
 *    output is).
 *
 * A child process reads and counts the bytes. The sender's CPU time
 * (user + system) and minor page faults are measured R times per way;
 * the run of least CPU time is printed.
 *
 * Run:   ./send_file [-m MIB] [-r RUNS]      (default 64 MiB, 5 runs)
 *        strace -e trace=sendfile,writev,mmap ./send_file -m 8 -r 1
 * Watch: the CPU column (it varies from run to run and machine to
 * machine), and the page faults of the two ways that copy nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/buffer.h>

#define BLOCK    (64 * 1024) /* read() size of the two reading ways */
#define MAX_RUNS 21

enum way { COPY, RESERVE, MAPPED, ADDFILE };

struct cost {
	double ms;     /* CPU time, user + system */
	double faults; /* minor page faults */
};

static struct cost best_run(enum way way, int file, size_t size, int runs);
static struct cost send_file(enum way way, int file, size_t size);
static int count_bytes(int sock, size_t size);
static void send_by(enum way way, int file, size_t size, int sock);
static ssize_t read_copy(struct evbuffer *buf, int file);
static ssize_t read_in_place(struct evbuffer *buf, int file);
static void add_mapping(struct evbuffer *buf, int file, size_t size);
static void unmap(const void *data, size_t len, void *arg);
static void flush_to(struct evbuffer *buf, int sock);
static int temp_file(size_t size);
static struct cost usage(void);
_Noreturn static void die(const char *what);

int
main(int argc, char **argv)
{
	static const char *const names[] = {
	        "read() + evbuffer_add()", "read() into reserved space",
	        "mmap() + add_reference()", "evbuffer_add_file()"};
	static const int copies[] = {2, 1, 0, 0};
	long mib = 64;
	int runs = 5, opt, file;

	while ((opt = getopt(argc, argv, "m:r:")) != -1) {
		if (opt == 'm')
			mib = atol(optarg);
		else if (opt == 'r')
			runs = atoi(optarg);
		else
			mib = 0;
	}
	if (mib < 1 || mib > 1024 || runs < 1 || runs > MAX_RUNS) {
		fprintf(stderr, "usage: send_file [-m MIB] [-r RUNS]\n");
		return 2;
	}
	file = temp_file((size_t)mib << 20);
	printf("a %ld MiB file to a socket, best of %d run(s)\n", mib, runs);
	for (enum way w = COPY; w <= ADDFILE; w++) {
		struct cost c = best_run(w, file, (size_t)mib << 20, runs);
		printf("  %-28s copies here: %d   CPU %6.1f ms   page faults "
		       "%6.0f\n",
		       names[w], copies[w], c.ms, c.faults);
	}
	close(file);
	return 0;
}

/* The run of least CPU time out of runs: on a shared machine, other work
 * only ever adds time, so the best run is the steadiest figure. */
static struct cost
best_run(enum way way, int file, size_t size, int runs)
{
	struct cost best = send_file(way, file, size), c;

	for (int i = 1; i < runs; i++)
		if ((c = send_file(way, file, size)).ms < best.ms)
			best = c;
	return best;
}

/* Sends the file (a dup of file, rewound) to a child that counts the
 * bytes; returns what the sending cost. */
static struct cost
send_file(enum way way, int file, size_t size)
{
	int sv[2], fd = dup(file), status;
	struct cost before, after;
	pid_t pid;

	if (fd < 0 || lseek(fd, 0, SEEK_SET) < 0)
		die("dup");
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 || (pid = fork()) < 0)
		die("socketpair/fork");
	if (pid == 0) {
		close(sv[0]);
		close(fd);
		close(file);
		_exit(count_bytes(sv[1], size));
	}
	close(sv[1]);
	before = usage();
	send_by(way, fd, size, sv[0]);
	after = usage();
	close(sv[0]); /* the child's EOF */
	if (waitpid(pid, &status, 0) < 0 || status != 0)
		die("the reading child did not get every byte");
	return (struct cost){after.ms - before.ms,
	                     after.faults - before.faults};
}

/* The child: reads sock to EOF; exit status 0 if size bytes came. */
static int
count_bytes(int sock, size_t size)
{
	static char sink[BLOCK];
	size_t got = 0;
	ssize_t n;

	while ((n = read(sock, sink, sizeof(sink))) > 0)
		got += (size_t)n;
	close(sock);
	return n == 0 && got == size ? 0 : 1;
}

static void
send_by(enum way way, int file, size_t size, int sock)
{
	struct evbuffer *buf = evbuffer_new();
	ssize_t n;

	if (buf == NULL || evbuffer_set_flags(buf, EVBUFFER_FLAG_DRAINS_TO_FD))
		die("evbuffer_new");
	switch (way) {
	case COPY:
	case RESERVE:
		while ((n = way == COPY ? read_copy(buf, file)
		                        : read_in_place(buf, file)) > 0)
			flush_to(buf, sock);
		if (n < 0)
			die("reading the file");
		break;
	case MAPPED:
		add_mapping(buf, file, size);
		break;
	case ADDFILE:
		if (evbuffer_add_file(buf, file, 0, -1) < 0)
			die("evbuffer_add_file");
		file = -1; /* the buffer owns it, and closes it */
		break;
	}
	flush_to(buf, sock);
	evbuffer_free(buf);
	if (file >= 0)
		close(file);
}

/* read() into our array, then evbuffer_add() copies it into a chunk. */
static ssize_t
read_copy(struct evbuffer *buf, int file)
{
	static char block[BLOCK];
	ssize_t n = read(file, block, sizeof(block));

	if (n > 0 && evbuffer_add(buf, block, (size_t)n) < 0)
		die("evbuffer_add");
	return n;
}

/* read() straight into the buffer's free space, then commit it. */
static ssize_t
read_in_place(struct evbuffer *buf, int file)
{
	struct evbuffer_iovec vec[1];
	ssize_t n;

	if (evbuffer_reserve_space(buf, BLOCK, vec, 1) != 1)
		die("evbuffer_reserve_space");
	n = read(file, vec[0].iov_base, BLOCK);
	vec[0].iov_len = n > 0 ? (size_t)n : 0;
	if (evbuffer_commit_space(buf, vec, 1) < 0)
		die("evbuffer_commit_space");
	return n;
}

/* The whole file mapped and added by reference: no read(), no copy here;
 * the buffer calls unmap() once its last byte has left. */
static void
add_mapping(struct evbuffer *buf, int file, size_t size)
{
	void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, file, 0);

	if (map == MAP_FAILED)
		die("mmap");
	if (evbuffer_add_reference(buf, map, size, unmap, NULL) < 0)
		die("evbuffer_add_reference");
}

static void
unmap(const void *data, size_t len, void *arg)
{
	(void)arg;
	if (munmap((void *)data, len) < 0)
		die("munmap");
}

/* sock is blocking: each write takes what the socket buffer can. */
static void
flush_to(struct evbuffer *buf, int sock)
{
	while (evbuffer_get_length(buf) > 0)
		if (evbuffer_write(buf, sock) < 0 && errno != EINTR)
			die("evbuffer_write");
}

/* A file of size bytes of text in /tmp, already unlinked (it goes when
 * closed), and, having just been written, in the page cache. */
static int
temp_file(size_t size)
{
	static char block[BLOCK];
	char path[] = "/tmp/send_file.XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0 || unlink(path) < 0)
		die("temporary file");
	memset(block, 'x', sizeof(block));
	for (size_t i = 0, n; i < size; i += n) {
		n = size - i < BLOCK ? size - i : BLOCK;
		if (write(fd, block, n) != (ssize_t)n)
			die("writing the temporary file");
	}
	return fd;
}

static double
tv_ms(struct timeval tv)
{
	return (double)tv.tv_sec * 1e3 + (double)tv.tv_usec / 1e3;
}

/* This process's CPU time and minor page faults so far. */
static struct cost
usage(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		die("getrusage");
	return (struct cost){tv_ms(ru.ru_utime) + tv_ms(ru.ru_stime),
	                     (double)ru.ru_minflt};
}

_Noreturn static void
die(const char *what)
{
	fprintf(stderr, "send_file: %s: %s\n", what, strerror(errno));
	exit(1);
}
