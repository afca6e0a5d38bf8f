/*
 * chain_view.c - chapter 13: an evbuffer is a chain of chunks. Each step
 * changes one buffer and prints its chunks as evbuffer_peek() reports them,
 * so it uses the public API only and runs the same on libevent.
 *
 * A chunk is drawn as [runs]: [a600 b360] is one chunk holding 600 bytes
 * of 'a' followed by 360 of 'b'. The sizes of the chunks are the library's
 * choice (minievent's and libevent's differ); the bytes, in order, are not.
 *
 * Run:   ./chain_view
 * Watch: add fills the last chunk before it allocates one; drain frees
 * whole chunks and moves the start of the next; prepend uses the room a
 * drain left in front; pullup copies only to make the front contiguous;
 * reserve/commit lets you write in place; add_buffer moves chunks, and
 * remove_buffer moves whole chunks and copies only the part of the chunk
 * its boundary cuts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#define MAX_FILL  4096 /* the largest run one step adds */
#define MAX_SHOWN 64   /* chunks remembered for the "same memory" checks */

static void fill(struct evbuffer *buf, int ch, size_t n);
static void reserve_and_commit(struct evbuffer *buf, size_t want, size_t n);
static void move_all(struct evbuffer *dst, struct evbuffer *src);
static int chunks(struct evbuffer *buf, struct evbuffer_iovec *vec);
static void *first_byte(struct evbuffer *buf);
static void show(const char *step, struct evbuffer *buf);
static void check(int ok, const char *what);

int
main(void)
{
	struct evbuffer *buf = evbuffer_new(), *other = evbuffer_new();
	unsigned char *front;

	check(buf && other, "evbuffer_new");
	fill(buf, 'a', 600);
	show("add 600 'a'", buf);
	fill(buf, 'b', 600);
	show("add 600 'b'", buf);
	fill(buf, 'c', 3000);
	show("add 3000 'c'", buf);
	check(evbuffer_drain(buf, 700) == 0, "evbuffer_drain");
	show("drain 700", buf);
	check(evbuffer_prepend(buf, "hhhhhhhhhhhhhhhh", 16) == 0,
	      "evbuffer_prepend");
	show("prepend 16 'h'", buf);
	front = evbuffer_pullup(buf, 1000);
	check(front != NULL, "evbuffer_pullup");
	show("pullup 1000", buf);
	printf("    pullup returned the first chunk's address: %s\n",
	       front == first_byte(buf) ? "yes" : "no");
	reserve_and_commit(buf, 2000, 1500);
	show("commit 1500 'd'", buf);
	move_all(other, buf);
	show("add_buffer: all to B", other);
	check(evbuffer_remove_buffer(other, buf, 2500) == 2500,
	      "evbuffer_remove_buffer");
	show("remove_buffer 2500: B", other);
	show("            ... to A", buf);
	check(evbuffer_pullup(buf, -1) != NULL, "evbuffer_pullup");
	show("pullup -1: A", buf);
	check(evbuffer_drain(buf, 2500) == 0, "evbuffer_drain");
	show("drain 2500: A", buf);
	evbuffer_free(buf);
	evbuffer_free(other);
	return 0;
}

/* Appends n bytes of ch: evbuffer_add copies them in. */
static void
fill(struct evbuffer *buf, int ch, size_t n)
{
	static char bytes[MAX_FILL];

	memset(bytes, ch, n);
	check(evbuffer_add(buf, bytes, n) == 0, "evbuffer_add");
}

/*
 * Asks for at least `want` writable bytes, in at most two extents, writes
 * n bytes of 'd' straight into them (as read() would) and commits those.
 * Nothing is copied: the bytes are written where they will stay.
 */
static void
reserve_and_commit(struct evbuffer *buf, size_t want, size_t n)
{
	struct evbuffer_iovec vec[2];
	size_t total = 0, left = n;
	int k = evbuffer_reserve_space(buf, (ev_ssize_t)want, vec, 2);

	check(k >= 1, "evbuffer_reserve_space");
	for (int i = 0; i < k; i++) {
		total += vec[i].iov_len;
		vec[i].iov_len = vec[i].iov_len < left ? vec[i].iov_len : left;
		memset(vec[i].iov_base, 'd', vec[i].iov_len);
		left -= vec[i].iov_len;
	}
	printf("reserve %zu: %d extent(s), %zu bytes writable; %zu written\n",
	       want, k, total, n);
	check(left == 0 && evbuffer_commit_space(buf, vec, k) == 0,
	      "evbuffer_commit_space");
}

/* Moves every byte of src to the end of dst, and says whether any chunk
 * changed its address (a copy) on the way. */
static void
move_all(struct evbuffer *dst, struct evbuffer *src)
{
	struct evbuffer_iovec before[MAX_SHOWN], after[MAX_SHOWN];
	int n = chunks(src, before), same = 0;

	check(evbuffer_get_length(dst) == 0 &&
	              evbuffer_add_buffer(dst, src) == 0,
	      "evbuffer_add_buffer");
	check(chunks(dst, after) == n, "chunk count kept");
	for (int i = 0; i < n; i++)
		same += before[i].iov_base == after[i].iov_base;
	printf("add_buffer: %d of %d chunks kept their address; A is empty: "
	       "%s\n",
	       same, n, evbuffer_get_length(src) == 0 ? "yes" : "no");
}

/* Fills vec with buf's chunks (at most MAX_SHOWN) and returns how many
 * chunks buf has. */
static int
chunks(struct evbuffer *buf, struct evbuffer_iovec *vec)
{
	int n = evbuffer_peek(buf, -1, NULL, vec, MAX_SHOWN);

	check(n >= 0 && n <= MAX_SHOWN, "evbuffer_peek");
	return n;
}

static void *
first_byte(struct evbuffer *buf)
{
	struct evbuffer_iovec vec[MAX_SHOWN];

	return chunks(buf, vec) > 0 ? vec[0].iov_base : NULL;
}

/* Prints "step  N bytes, K chunk(s): [runs] [runs] ...". */
static void
show(const char *step, struct evbuffer *buf)
{
	struct evbuffer_iovec vec[MAX_SHOWN];
	int n = chunks(buf, vec);

	printf("%-22s %5zu bytes, %d chunk%s:", step, evbuffer_get_length(buf),
	       n, n == 1 ? " " : "s");
	for (int i = 0; i < n; i++) {
		const char *p = vec[i].iov_base;
		size_t len = vec[i].iov_len, j = 0;

		printf(" [");
		while (j < len) {
			size_t run = 1;
			while (j + run < len && p[j + run] == p[j])
				run++;
			printf("%s%c%zu", j ? " " : "", p[j], run);
			j += run;
		}
		printf("]");
	}
	printf("\n");
}

static void
check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "chain_view: %s failed\n", what);
		exit(1);
	}
}
