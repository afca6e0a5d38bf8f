/*
 * zero_copy.c - chapter 13: bytes an evbuffer holds without copying them,
 * with evbuffer_add_reference() and evbuffer_add_file().
 *
 *  1. A string added by reference: the chunk is the string itself, and
 *     the cleanup callback runs once, when the last of its bytes has left
 *     the buffer (drained, or copied away by a pullup). Moving the bytes
 *     to another buffer moves the duty with them.
 *  2. A file added with evbuffer_add_file(): its bytes are in the buffer
 *     without a read(), as one chunk. minievent maps the file (mmap) only
 *     when a call first needs the bytes, here the evbuffer_peek();
 *     libevent maps it at once, unless the buffer is marked
 *     EVBUFFER_FLAG_DRAINS_TO_FD. minievent sends such a chunk to a
 *     socket with sendfile(), mapped or not: see send_file.c.
 *
 * Run:   ./zero_copy
 * Watch: when each "-> cleanup" line comes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#define FILE_SIZE (1 << 20)

static void references(void);
static void on_cleanup(const void *data, size_t len, void *arg);
static void file_chunk(void);
static int temp_file(size_t size);
_Noreturn static void die(const char *what);

int
main(void)
{
	references();
	file_chunk();
	return 0;
}

/* Part 1. on_cleanup() counts its calls in `calls`. */
static void
references(void)
{
	static const char msg[] = "hello, world\n";
	struct evbuffer *a = evbuffer_new(), *b = evbuffer_new();
	struct evbuffer_iovec vec[1];
	int calls = 0;

	printf("1. evbuffer_add_reference: \"hello, world\\n\", not copied\n");
	if (!a || !b ||
	    evbuffer_add_reference(a, msg, sizeof(msg) - 1, on_cleanup,
	                           &calls) < 0)
		die("evbuffer_add_reference");
	if (evbuffer_peek(a, -1, NULL, vec, 1) != 1)
		die("evbuffer_peek");
	printf("   the chunk's address is the string's: %s\n",
	       vec[0].iov_base == (void *)msg ? "yes" : "no");
	if (evbuffer_drain(a, 5) < 0)
		die("evbuffer_drain");
	printf("   drain 5: cleanups so far %d\n", calls);
	if (evbuffer_add_buffer(b, a) < 0)
		die("evbuffer_add_buffer");
	printf("   moved to another buffer: cleanups so far %d\n", calls);
	if (evbuffer_drain(b, 8) < 0)
		die("evbuffer_drain");
	printf("   drain the last 8 there: cleanups so far %d\n", calls);
	if (evbuffer_add_reference(a, msg, 5, on_cleanup, &calls) < 0 ||
	    evbuffer_add(a, "!!!", 3) < 0 || evbuffer_pullup(a, -1) == NULL)
		die("evbuffer_pullup");
	printf("   again, then pullup(-1) copies it away: cleanups so far "
	       "%d\n",
	       calls);
	evbuffer_free(a);
	evbuffer_free(b);
}

static void
on_cleanup(const void *data, size_t len, void *arg)
{
	int *calls = arg;

	printf("   -> cleanup(%zu bytes at \"%.5s...\")\n", len,
	       (const char *)data);
	++*calls;
}

/* Part 2: a small file, and where its chunk points. */
static void
file_chunk(void)
{
	struct evbuffer *buf = evbuffer_new();
	struct evbuffer_iovec vec[4];
	char head[16];
	int fd = temp_file(1 << 20), n;

	printf("2. evbuffer_add_file: a 1 MiB file, not read()\n");
	if (buf == NULL || evbuffer_add_file(buf, fd, 0, -1) < 0)
		die("evbuffer_add_file"); /* the buffer owns fd now */
	n = evbuffer_peek(buf, -1, NULL, vec, 4);
	printf("   %zu bytes in %d chunk(s); the first holds %zu\n",
	       evbuffer_get_length(buf), n, n > 0 ? vec[0].iov_len : 0);
	if (evbuffer_copyout(buf, head, sizeof(head)) !=
	    (ev_ssize_t)sizeof(head))
		die("evbuffer_copyout");
	printf("   its first bytes, as written to the file: %.15s\n", head);
	evbuffer_free(buf); /* unmaps and closes fd */
}

/* A file of size bytes in /tmp, already unlinked (it goes when closed):
 * 16-byte lines "file byte 00000", "file byte 00016", ... */
static int
temp_file(size_t size)
{
	char path[] = "/tmp/zero_copy.XXXXXX", line[16];
	int fd = mkstemp(path);
	FILE *f;

	if (fd < 0 || unlink(path) < 0 || (f = fdopen(dup(fd), "w")) == NULL)
		die("temporary file");
	for (size_t i = 0; i < size; i += sizeof(line)) {
		snprintf(line, sizeof(line), "file byte %05zu", i % 100000);
		line[15] = '\n';
		fwrite(line, 1,
		       sizeof(line) < size - i ? sizeof(line) : size - i, f);
	}
	if (fclose(f) != 0) /* flushes; fd stays open */
		die("writing the temporary file");
	return fd;
}

_Noreturn static void
die(const char *what)
{
	fprintf(stderr, "zero_copy: %s: %s\n", what, strerror(errno));
	exit(1);
}
