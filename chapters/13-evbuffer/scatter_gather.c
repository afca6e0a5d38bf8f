/*
 * scatter_gather.c - chapter 13: an evbuffer meets a socket with one
 * system call, however many chunks it has: writev(2) gathers the chunks,
 * readv(2) scatters what arrives into free space.
 *
 *  1. Four strings added by reference (so four chunks), then one
 *     evbuffer_write_atmost() of 10 bytes and one evbuffer_write().
 *  2. evbuffer_read() on the other end of the socket pair: how much it
 *     asks for (FIONREAD) and where it puts it.
 *  3. N MiB through the socket pair, both ends non-blocking, one process:
 *     how many calls each side makes, and the most one call moved.
 *
 * Run:   ./scatter_gather [-m MIB]        (default 10; 0 skips part 3)
 *        strace -e trace=readv,writev ./scatter_gather -m 0
 * Watch: in strace's output, one writev with four iovecs for four chunks;
 * in part 3, no read of more than 4096 bytes (libevent 2.1's cap, kept).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/util.h>

#define BLOCK 4096 /* bytes added or removed at a time in part 3 */

struct tally {
	long calls;
	size_t most, total;
};

static void four_chunks(int out, int in);
static void stream(int out, int in, size_t size);
static void add_pattern(struct evbuffer *buf, size_t at, size_t n);
static size_t check_pattern(struct evbuffer *buf, size_t *pos);
static void step(struct evbuffer *buf, int fd, int writing, struct tally *t);
static int chunks(struct evbuffer *buf);
_Noreturn static void die(const char *what);

int
main(int argc, char **argv)
{
	long mib = 10;
	int sv[2];

	if (argc == 3 && strcmp(argv[1], "-m") == 0)
		mib = atol(argv[2]);
	else if (argc != 1)
		mib = -1;
	if (mib < 0 || mib > 1024) {
		fprintf(stderr, "usage: scatter_gather [-m MIB (0-1024)]\n");
		return 2;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 ||
	    evutil_make_socket_nonblocking(sv[0]) < 0 ||
	    evutil_make_socket_nonblocking(sv[1]) < 0)
		die("socketpair");
	four_chunks(sv[0], sv[1]);
	if (mib > 0)
		stream(sv[0], sv[1], (size_t)mib << 20);
	evutil_closesocket(sv[0]);
	evutil_closesocket(sv[1]);
	return 0;
}

/* Parts 1 and 2. */
static void
four_chunks(int out, int in)
{
	static const char *const parts[] = {"GET / HTTP/1.1\r\n",
	                                    "Host: example.org\r\n",
	                                    "Accept: */*\r\n", "\r\n"};
	struct evbuffer *buf = evbuffer_new(), *got = evbuffer_new();
	int waiting = 0, n;

	if (buf == NULL || got == NULL)
		die("evbuffer_new");
	for (int i = 0; i < 4; i++)
		if (evbuffer_add_reference(buf, parts[i], strlen(parts[i]),
		                           NULL, NULL) < 0)
			die("evbuffer_add_reference");
	printf("1. %zu bytes in %d chunks\n", evbuffer_get_length(buf),
	       chunks(buf));
	n = evbuffer_write_atmost(buf, out, 10);
	printf("   evbuffer_write_atmost(10) wrote %d; %zu left in %d chunks\n",
	       n, evbuffer_get_length(buf), chunks(buf));
	n = evbuffer_write(buf, out);
	printf("   evbuffer_write() wrote %d; %zu left\n", n,
	       evbuffer_get_length(buf));
	if (ioctl(in, FIONREAD, &waiting) < 0)
		die("FIONREAD");
	n = evbuffer_read(got, in, -1);
	printf("2. FIONREAD: %d bytes waiting; evbuffer_read(-1) read %d into "
	       "%d chunk(s)\n",
	       waiting, n, chunks(got));
	n = evbuffer_read(got, in, -1);
	printf("   again: %d (%s)\n", n,
	       n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
	               ? "EAGAIN: nothing waits"
	               : "unexpected");
	evbuffer_free(buf);
	evbuffer_free(got);
}

/* Part 3. The bytes are a counter pattern, so the far end can check that
 * every one arrived in order. */
static void
stream(int out, int in, size_t size)
{
	struct evbuffer *src = evbuffer_new(), *dst = evbuffer_new();
	struct tally w = {0, 0, 0}, r = {0, 0, 0};
	size_t bad = 0, pos = 0;

	if (src == NULL || dst == NULL)
		die("evbuffer_new");
	for (size_t i = 0; i < size; i += BLOCK)
		add_pattern(src, i, size - i < BLOCK ? size - i : BLOCK);
	while (r.total < size) {
		if (evbuffer_get_length(src) > 0)
			step(src, out, 1, &w);
		step(dst, in, 0, &r);
		bad += check_pattern(dst, &pos);
	}
	printf("3. %zu MiB, both ends non-blocking\n", size >> 20);
	printf("   evbuffer_write: %ld calls, at most %zu bytes in one\n",
	       w.calls, w.most);
	printf("   evbuffer_read:  %ld calls, at most %zu bytes in one\n",
	       r.calls, r.most);
	printf("   bytes sent %zu, received %zu, out of order %zu\n", w.total,
	       r.total, bad);
	evbuffer_free(src);
	evbuffer_free(dst);
}

/* Appends n bytes of the pattern from stream offset `at`: byte k of the
 * stream is k % 251 (a prime, so no block boundary lines up with it). */
static void
add_pattern(struct evbuffer *buf, size_t at, size_t n)
{
	unsigned char block[BLOCK];

	for (size_t j = 0; j < n; j++)
		block[j] = (unsigned char)((at + j) % 251);
	if (evbuffer_add(buf, block, n) < 0)
		die("evbuffer_add");
}

/* Takes every byte out of buf; returns how many broke the pattern. */
static size_t
check_pattern(struct evbuffer *buf, size_t *pos)
{
	unsigned char block[BLOCK];
	size_t bad = 0;
	int n;

	while ((n = evbuffer_remove(buf, block, sizeof(block))) > 0)
		for (int j = 0; j < n; j++)
			bad += block[j] != (*pos)++ % 251;
	return bad;
}

/* One evbuffer_write() or evbuffer_read(), counted. EAGAIN is no error:
 * the socket buffer is full (writing) or empty (reading) for now. */
static void
step(struct evbuffer *buf, int fd, int writing, struct tally *t)
{
	int n = writing ? evbuffer_write(buf, fd) : evbuffer_read(buf, fd, -1);

	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
		die(writing ? "evbuffer_write" : "evbuffer_read");
	if (n <= 0)
		return;
	t->calls++;
	t->total += (size_t)n;
	if ((size_t)n > t->most)
		t->most = (size_t)n;
}

static int
chunks(struct evbuffer *buf)
{
	return evbuffer_peek(buf, -1, NULL, NULL, 0);
}

_Noreturn static void
die(const char *what)
{
	fprintf(stderr, "scatter_gather: %s: %s\n", what, strerror(errno));
	exit(1);
}
