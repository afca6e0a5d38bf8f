/*
 * buffer.c - minievent's evbuffer: a queue of bytes kept as a chain of
 * chunks, so that network I/O copies as little as possible.
 *
 * Introduced in chapter 13 (evbuffer). The contract of every public
 * function is in event2/buffer.h; evbuffer_search_eol() and
 * evbuffer_readln() live in buffer_readln.c, built on the public API only.
 *
 * Main data structure: a singly linked list of chunks (struct
 * evbuffer_chain), each a piece of memory holding some of the bytes:
 *
 *   first                                last_with_data
 *     |                                        |
 *   [misalign|data|free] -> [data] -> ... -> [data|free] -> [spare]
 *
 * Every chunk from first to last_with_data holds at least one byte; after
 * it comes at most one empty chunk, the spare. New bytes go into the free
 * tail of last_with_data, then into the spare, which then holds data. A
 * file's chunk (evbuffer_add_file) may have no memory at all: it names a
 * range of the file until a call needs the bytes (reason 9).
 *
 * Interface: event2/buffer.h. Internal names: chain_* work on one chunk,
 * buffer_* on the list, without the public functions' checks (freezing)
 * and without running callbacks; each public function that changes the
 * length ends with buffer_changed(), which runs (or schedules) them.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "event2/buffer.h"
#include "event2/event.h"
#include "log-internal.h"
#include "mm-internal.h"

/*
 * The trade-offs, as numbered design reasons:
 *
 *  1. A chain, not one array: adding never moves the bytes already queued
 *     (a growing array is realloc'ed and copied), a whole buffer moves to
 *     another by relinking chunks, and bytes that are not in our memory
 *     (a reference, a file) can join the queue as a chunk of their own.
 *  2. misalign: draining from the front only moves an offset forward;
 *     bytes are never shifted down to the start of their chunk (except in
 *     reason 7's cheap case). The room it leaves lets evbuffer_prepend()
 *     write in place.
 *  3. last_with_data and one spare: the free space at the back may span
 *     two chunks (the end of the last one with data, and a fresh one);
 *     keeping every empty chunk after the data means walks over the data
 *     never meet an empty chunk.
 *  4. A read asks FIONREAD how much is waiting, so a 10-byte message does
 *     not make us reserve kilobytes, and reads at most 4096 bytes, as
 *     libevent 2.1 does: one call does a bounded amount of work, so one
 *     fast peer cannot starve the other connections of a loop.
 *  5. readv into at most two chunks: the rest of the last chunk is used
 *     (no hole left behind), and one fresh chunk takes what does not fit;
 *     more pieces would only be smaller.
 *  6. writev of up to 128 chunks: one system call sends what would take
 *     128 write()s (libevent's number; IOV_MAX is 1024).
 *  7. Chunks are allocated in powers of two from 1024 bytes, and a new
 *     chunk is twice the last (up to 4096) or the size needed: few
 *     malloc() calls for a stream of small adds. A small chunk whose few
 *     bytes sit far from its start is realigned (memmove) rather than a
 *     new one allocated.
 *  8. When the buffer empties, its last chunk is kept as the spare if it
 *     is small: a connection that empties its buffers after each message
 *     then saves a malloc() and a free() per message. (libevent frees it.)
 *  9. A file goes out with sendfile(2), as in libevent 2.1 on Linux: the
 *     kernel copies from its page cache to the socket. Writing a mapping
 *     of it with writev() would first fault every page into this process
 *     (64 MiB: about a thousand page faults and three times the CPU time,
 *     measured in chapter 13). So a file chunk holds no memory, only the
 *     range of the file, until a call needs the bytes themselves (copyout,
 *     remove, pullup, peek, search, readln): that call maps the chunk
 *     (mmap), and it stays mapped until freed. Mapped or not, a file chunk
 *     at the front is sent with sendfile(); writev() stops before it.
 */

#define CHAIN_MIN_ALLOC   1024 /* smallest chunk allocation (reason 7) */
#define CHAIN_GROW_MAX    4096 /* doubling stops here (reason 7) */
#define CHAIN_KEEP_MAX    8192 /* largest chunk kept as spare (reason 8) */
#define CHAIN_REALIGN_MAX 2048 /* most bytes moved to realign (reason 7) */
#define EVBUFFER_MAX_READ 4096 /* reason 4 */
#define MAX_WRITE_IOVEC   128  /* reason 6 */

/* Chunk flags. Memory the chunk does not own is never written into. */
#define CHAIN_REFERENCE 0x1 /* the caller's memory: evbuffer_add_reference */
#define CHAIN_FILE      0x2 /* a file's bytes: evbuffer_add_file (reason 9) */
#define CHAIN_IMMUTABLE (CHAIN_REFERENCE | CHAIN_FILE)

/* A file chunk's bytes are those of the file from offset + misalign, and
 * buffer (NULL until mapped) shows the file from offset. */
struct evbuffer_chain {
	struct evbuffer_chain *next;
	unsigned char *buffer; /* the chunk's memory */
	size_t buffer_len;     /* its size */
	size_t misalign;       /* bytes before the data (already drained) */
	size_t off;            /* bytes of data, from buffer + misalign */
	unsigned flags;        /* CHAIN_* */
	union {
		struct {
			evbuffer_ref_cleanup_cb fn;
			void *arg;
		} ref; /* CHAIN_REFERENCE: run fn once, when freed */
		struct {
			int fd; /* closed when freed */
			off_t offset;
		} file; /* CHAIN_FILE */
	} owner;
};

struct evbuffer_cb_entry {
	struct evbuffer_cb_entry *next;
	evbuffer_cb_func cb;
	void *cbarg;
	ev_uint32_t flags; /* EVBUFFER_CB_ENABLED */
};

struct evbuffer {
	struct evbuffer_chain *first;
	struct evbuffer_chain *last_with_data; /* NULL: no chunk has data */
	size_t total_len;
	/* Bytes added and removed since the callbacks last ran. */
	size_t n_add_for_cb;
	size_t n_del_for_cb;
	struct evbuffer_cb_entry *callbacks; /* newest first */
	struct event *deferred; /* non-NULL: callbacks run from this event */
	ev_uint64_t flags;      /* EVBUFFER_FLAG_* */
	unsigned frozen_front : 1;
	unsigned frozen_back : 1;
};

static void buffer_changed(struct evbuffer *buf);

/* ------------------------------------------------------------------ */
/* Chunks                                                              */
/* ------------------------------------------------------------------ */

static unsigned char *
chain_data(const struct evbuffer_chain *ch)
{
	return ch->buffer + ch->misalign;
}

/* Where the next byte added to ch would go. */
static unsigned char *
chain_end(const struct evbuffer_chain *ch)
{
	return ch->buffer + ch->misalign + ch->off;
}

/* Free bytes after the data; memory we do not own has none. */
static size_t
chain_space(const struct evbuffer_chain *ch)
{
	if (ch->flags & CHAIN_IMMUTABLE)
		return 0;
	return ch->buffer_len - ch->misalign - ch->off;
}

/* A chunk able to hold size bytes, its header in the same allocation, the
 * whole a power of two (reason 7). */
static struct evbuffer_chain *
chain_new(size_t size)
{
	struct evbuffer_chain *ch;
	size_t alloc = CHAIN_MIN_ALLOC;

	if (size > SIZE_MAX / 2 - sizeof(*ch)) {
		errno = ENOMEM;
		return NULL;
	}
	while (alloc < size + sizeof(*ch))
		alloc <<= 1;
	ch = mm_malloc_(alloc);
	if (ch == NULL)
		return NULL;
	memset(ch, 0, sizeof(*ch));
	ch->buffer = (unsigned char *)(ch + 1);
	ch->buffer_len = alloc - sizeof(*ch);
	return ch;
}

/* Frees ch, giving memory that is not ours back to its owner. */
static void
chain_free(struct evbuffer_chain *ch)
{
	if ((ch->flags & CHAIN_REFERENCE) && ch->owner.ref.fn != NULL)
		ch->owner.ref.fn(ch->buffer, ch->buffer_len, ch->owner.ref.arg);
	if (ch->flags & CHAIN_FILE) {
		if (ch->buffer != NULL)
			munmap(ch->buffer, ch->buffer_len);
		close(ch->owner.file.fd);
	}
	mm_free_(ch);
}

static void
chain_free_list(struct evbuffer_chain *ch)
{
	struct evbuffer_chain *next;

	for (; ch != NULL; ch = next) {
		next = ch->next;
		chain_free(ch);
	}
}

/* Maps a file chunk's bytes (reason 9). mmap() wants an offset that is a
 * multiple of the page size: the mapping starts at the page holding the
 * first byte, and misalign skips what comes before it. 0, or -1 (errno
 * from mmap). */
static int
chain_mmap(struct evbuffer_chain *ch)
{
	off_t pos, start;
	void *map;

	pos = ch->owner.file.offset + (off_t)ch->misalign;
	start = pos - pos % sysconf(_SC_PAGESIZE);
	map = mmap(NULL, (size_t)(pos - start) + ch->off, PROT_READ,
	           MAP_PRIVATE, ch->owner.file.fd, start);
	if (map == MAP_FAILED)
		return -1;
	ch->buffer = map;
	ch->buffer_len = (size_t)(pos - start) + ch->off;
	ch->misalign = (size_t)(pos - start);
	ch->owner.file.offset = start;
	return 0;
}

/* Brings a file chunk's bytes into memory, if they are not yet. Inline,
 * because every call that reads bytes asks, and almost every chunk is
 * plain memory. */
static inline int
chain_map(struct evbuffer_chain *ch)
{
	if ((ch->flags & CHAIN_FILE) && ch->buffer == NULL)
		return chain_mmap(ch);
	return 0;
}

/* Brings into memory the len bytes from offset at of ch, which the
 * buffer holds, before a call reads them. 0, or -1 (errno from mmap). */
static int
chain_map_range(struct evbuffer_chain *ch, size_t at, size_t len)
{
	size_t n;

	for (; len > 0; ch = ch->next, at = 0) {
		if (chain_map(ch) < 0)
			return -1;
		n = ch->off - at;
		len -= n < len ? n : len;
	}
	return 0;
}

/* Reason 7: few bytes, far from the start, and room once moved down. */
static int
chain_should_realign(const struct evbuffer_chain *ch, size_t size)
{
	return !(ch->flags & CHAIN_IMMUTABLE) && ch->misalign > 0 &&
	       ch->buffer_len - ch->off >= size &&
	       ch->off <= CHAIN_REALIGN_MAX && ch->off < ch->buffer_len / 2;
}

static void
chain_realign(struct evbuffer_chain *ch)
{
	memmove(ch->buffer, chain_data(ch), ch->off);
	ch->misalign = 0;
}

/* Copies len bytes starting at offset at of ch, across chunks. */
static void
chain_copy_out(const struct evbuffer_chain *ch, size_t at, void *out,
               size_t len)
{
	unsigned char *p = out;
	size_t n;

	for (; len > 0; ch = ch->next, at = 0) {
		n = ch->off - at < len ? ch->off - at : len;
		memcpy(p, chain_data(ch) + at, n);
		p += n;
		len -= n;
	}
}

/* ------------------------------------------------------------------ */
/* The list: the spare, linking, reserving and committing space        */
/* ------------------------------------------------------------------ */

/* The empty chunk after the data, or NULL. */
static struct evbuffer_chain *
buffer_spare(const struct evbuffer *buf)
{
	if (buf->last_with_data != NULL)
		return buf->last_with_data->next;
	return buf->first;
}

/* Makes ch (empty) the spare, freeing the one it replaces. */
static void
buffer_replace_spare(struct evbuffer *buf, struct evbuffer_chain *ch)
{
	struct evbuffer_chain *old = buffer_spare(buf);

	if (old != NULL)
		chain_free(old);
	ch->next = NULL;
	if (buf->last_with_data != NULL)
		buf->last_with_data->next = ch;
	else
		buf->first = ch;
}

/* Links the chunks first..last, holding len bytes, after the data (before
 * the spare). */
static void
buffer_link_data(struct evbuffer *buf, struct evbuffer_chain *first,
                 struct evbuffer_chain *last, size_t len)
{
	last->next = buffer_spare(buf);
	if (buf->last_with_data != NULL)
		buf->last_with_data->next = first;
	else
		buf->first = first;
	buf->last_with_data = last;
	buf->total_len += len;
	buf->n_add_for_cb += len;
}

/* Unlinks the data chunks from first to last, holding len bytes, from the
 * front of buf. The caller owns them; their last next pointer is stale. */
static void
buffer_unlink_front(struct evbuffer *buf, struct evbuffer_chain *last,
                    size_t len)
{
	buf->first = last->next;
	if (last == buf->last_with_data)
		buf->last_with_data = NULL;
	buf->total_len -= len;
	buf->n_del_for_cb += len;
}

/* Appends a chunk made outside (a reference, a file). An empty one can
 * only be the spare, though we can never write into it. */
static void
buffer_append_chain(struct evbuffer *buf, struct evbuffer_chain *ch)
{
	if (ch->off == 0)
		buffer_replace_spare(buf, ch);
	else
		buffer_link_data(buf, ch, ch, ch->off);
}

/* Makes sure the spare can take need bytes: keeps it if it can, replaces
 * it with a new chunk otherwise. 0, or -1 (ENOMEM). */
static int
buffer_ensure_spare(struct evbuffer *buf, size_t need)
{
	struct evbuffer_chain *spare = buffer_spare(buf);
	struct evbuffer_chain *tail = buf->last_with_data;
	size_t size = need;

	if (spare != NULL && !(spare->flags & CHAIN_IMMUTABLE) &&
	    chain_space(spare) >= need)
		return 0;
	if (tail != NULL && !(tail->flags & CHAIN_IMMUTABLE)) {
		size_t twice = tail->buffer_len * 2;
		if (twice > CHAIN_GROW_MAX)
			twice = CHAIN_GROW_MAX;
		if (size < twice)
			size = twice;
	}
	spare = chain_new(size);
	if (spare == NULL)
		return -1;
	buffer_replace_spare(buf, spare);
	return 0;
}

static void
vec_set(struct evbuffer_iovec *vec, const struct evbuffer_chain *ch)
{
	vec->iov_base = chain_end(ch);
	vec->iov_len = chain_space(ch);
}

/*
 * Makes at least size free bytes at the back, in the tail of
 * last_with_data alone, or (if n_vec is 2 and the tail has some room) in
 * the tail and the spare. Describes them in vec, each extent as large as
 * its chunk allows. Returns the number of extents, or -1 (ENOMEM).
 */
static int
buffer_reserve(struct evbuffer *buf, size_t size, struct evbuffer_iovec *vec,
               int n_vec)
{
	struct evbuffer_chain *tail = buf->last_with_data;
	size_t room = tail != NULL ? chain_space(tail) : 0;
	size_t need = size;

	if (tail != NULL && room < size && chain_should_realign(tail, size)) {
		chain_realign(tail);
		room = chain_space(tail);
	}
	if (tail != NULL && room >= size) {
		vec_set(&vec[0], tail);
		return 1;
	}
	if (n_vec >= 2 && room > 0)
		need = size - room;
	if (buffer_ensure_spare(buf, need) < 0)
		return -1;
	if (need == size) {
		vec_set(&vec[0], buffer_spare(buf));
		return 1;
	}
	vec_set(&vec[0], tail);
	vec_set(&vec[1], buffer_spare(buf));
	return 2;
}

/* The chunk whose free space starts at base: the tail or the spare. */
static struct evbuffer_chain *
buffer_commit_target(const struct evbuffer *buf, const void *base)
{
	struct evbuffer_chain *tail = buf->last_with_data;
	struct evbuffer_chain *spare = buffer_spare(buf);

	if (tail != NULL && chain_space(tail) > 0 && base == chain_end(tail))
		return tail;
	if (spare != NULL && chain_space(spare) > 0 && base == chain_end(spare))
		return spare;
	return NULL;
}

/* Does vec describe space buffer_reserve() could have given: the tail or
 * the spare alone, or the tail then the spare? Empty extents add nothing
 * and are not checked. */
static int
buffer_commit_valid(const struct evbuffer *buf,
                    const struct evbuffer_iovec *vec, int n_vec)
{
	struct evbuffer_chain *target[2] = {NULL, NULL};
	int i, n = 0;

	if (n_vec < 0 || n_vec > 2)
		return 0;
	for (i = 0; i < n_vec; i++) {
		if (vec[i].iov_len == 0)
			continue;
		target[n] = buffer_commit_target(buf, vec[i].iov_base);
		if (target[n] == NULL ||
		    vec[i].iov_len > chain_space(target[n]))
			return 0;
		n++;
	}
	return n < 2 || (target[0] == buf->last_with_data &&
	                 target[1] == buffer_spare(buf));
}

/* Adds the bytes written into reserved space: vec[i].iov_len bytes at
 * each vec[i].iov_base (checked by buffer_commit_valid, or just reserved).
 */
static void
buffer_commit(struct evbuffer *buf, const struct evbuffer_iovec *vec, int n_vec)
{
	struct evbuffer_chain *target[2];
	int i;

	for (i = 0; i < n_vec; i++)
		target[i] = buffer_commit_target(buf, vec[i].iov_base);
	for (i = 0; i < n_vec; i++) {
		if (vec[i].iov_len == 0)
			continue;
		target[i]->off += vec[i].iov_len;
		buf->last_with_data = target[i];
		buf->total_len += vec[i].iov_len;
		buf->n_add_for_cb += vec[i].iov_len;
	}
}

/* Shortens the extents so that together they hold at most limit bytes. */
static void
vec_trim(struct evbuffer_iovec *vec, int n_vec, size_t limit)
{
	int i;

	for (i = 0; i < n_vec; i++) {
		if (vec[i].iov_len > limit)
			vec[i].iov_len = limit;
		limit -= vec[i].iov_len;
	}
}

/* Appends a copy of data: evbuffer_add() without the checks and callbacks.
 * 0, or -1 (ENOMEM, nothing added). */
static int
buffer_add(struct evbuffer *buf, const void *data, size_t datlen)
{
	struct evbuffer_chain *tail = buf->last_with_data;
	struct evbuffer_iovec vec[2];
	const unsigned char *p = data;
	int i, n_vec;

	/* The common case, made short: it fits after the last byte. */
	if (tail != NULL && chain_space(tail) >= datlen) {
		memcpy(chain_end(tail), data, datlen);
		tail->off += datlen;
		buf->total_len += datlen;
		buf->n_add_for_cb += datlen;
		return 0;
	}
	n_vec = buffer_reserve(buf, datlen, vec, 2);
	if (n_vec < 0)
		return -1;
	vec_trim(vec, n_vec, datlen);
	for (i = 0; i < n_vec; i++) {
		memcpy(vec[i].iov_base, p, vec[i].iov_len);
		p += vec[i].iov_len;
	}
	buffer_commit(buf, vec, n_vec);
	return 0;
}

/* The last data chunk ch has just been drained: the buffer is empty. Keep
 * one small chunk of ours as the spare (reason 8). */
static void
buffer_emptied(struct evbuffer *buf, struct evbuffer_chain *ch)
{
	struct evbuffer_chain *spare = ch->next;

	buf->last_with_data = NULL;
	if ((ch->flags & CHAIN_IMMUTABLE) || ch->buffer_len > CHAIN_KEEP_MAX) {
		buf->first = spare;
		chain_free(ch);
		return;
	}
	chain_free_list(spare);
	ch->next = NULL;
	ch->misalign = 0;
	ch->off = 0;
	buf->first = ch;
}

/* Removes len bytes (no more than there are) from the front, freeing the
 * chunks emptied: evbuffer_drain() without the checks and callbacks. */
static void
buffer_drain(struct evbuffer *buf, size_t len)
{
	struct evbuffer_chain *ch;

	if (len == 0)
		return;
	buf->total_len -= len;
	buf->n_del_for_cb += len;
	while (len > 0 && len >= buf->first->off) {
		ch = buf->first;
		len -= ch->off;
		if (ch == buf->last_with_data) {
			buffer_emptied(buf, ch);
			return;
		}
		buf->first = ch->next;
		chain_free(ch);
	}
	buf->first->misalign += len;
	buf->first->off -= len;
}

/* ------------------------------------------------------------------ */
/* Creating, freeing, flags, locking                                   */
/* ------------------------------------------------------------------ */

struct evbuffer *
evbuffer_new(void)
{
	return mm_calloc_(1, sizeof(struct evbuffer));
}

void
evbuffer_free(struct evbuffer *buf)
{
	struct evbuffer_cb_entry *e, *next;

	if (buf == NULL)
		return;
	chain_free_list(buf->first);
	for (e = buf->callbacks; e != NULL; e = next) {
		next = e->next;
		mm_free_(e);
	}
	if (buf->deferred != NULL)
		event_free(buf->deferred);
	mm_free_(buf);
}

/* libevent 2.1 asks its thread layer for a lock; with no
 * evthread_use_*() call there is none, and it returns -1. So do we. */
int
evbuffer_enable_locking(struct evbuffer *buf, void *lock)
{
	(void)buf;
	(void)lock;
	return -1;
}

void
evbuffer_lock(struct evbuffer *buf)
{
	(void)buf;
}

void
evbuffer_unlock(struct evbuffer *buf)
{
	(void)buf;
}

int
evbuffer_set_flags(struct evbuffer *buf, ev_uint64_t flags)
{
	buf->flags |= flags;
	return 0;
}

int
evbuffer_clear_flags(struct evbuffer *buf, ev_uint64_t flags)
{
	buf->flags &= ~flags;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Size and space                                                      */
/* ------------------------------------------------------------------ */

size_t
evbuffer_get_length(const struct evbuffer *buf)
{
	return buf->total_len;
}

size_t
evbuffer_get_contiguous_space(const struct evbuffer *buf)
{
	return buf->last_with_data != NULL ? buf->first->off : 0;
}

int
evbuffer_expand(struct evbuffer *buf, size_t datlen)
{
	struct evbuffer_iovec vec;

	return buffer_reserve(buf, datlen, &vec, 1) < 0 ? -1 : 0;
}

int
evbuffer_reserve_space(struct evbuffer *buf, ev_ssize_t size,
                       struct evbuffer_iovec *vec, int n_vec)
{
	if (buf->frozen_back || size < 0 || n_vec < 1)
		return -1;
	/* libevent describes "no space asked" with no extent when it may
	 * use two; with one, it returns the free space it has. */
	if (size == 0 && n_vec >= 2)
		return 0;
	return buffer_reserve(buf, (size_t)size, vec, n_vec >= 2 ? 2 : 1);
}

int
evbuffer_commit_space(struct evbuffer *buf, struct evbuffer_iovec *vec,
                      int n_vecs)
{
	if (buf->frozen_back || !buffer_commit_valid(buf, vec, n_vecs))
		return -1;
	buffer_commit(buf, vec, n_vecs);
	buffer_changed(buf);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Adding                                                              */
/* ------------------------------------------------------------------ */

int
evbuffer_add(struct evbuffer *buf, const void *data, size_t datlen)
{
	if (buf->frozen_back)
		return -1;
	if (datlen == 0)
		return 0;
	if (buffer_add(buf, data, datlen) < 0)
		return -1;
	buffer_changed(buf);
	return 0;
}

/* As libevent: room for all of it in one chunk, then one evbuffer_add()
 * (and one run of the callbacks) per extent. */
size_t
evbuffer_add_iovec(struct evbuffer *buffer, struct evbuffer_iovec *vec,
                   int n_vec)
{
	struct evbuffer_iovec room;
	size_t total = 0, added = 0;
	int i;

	if (buffer->frozen_back)
		return 0;
	for (i = 0; i < n_vec; i++)
		total += vec[i].iov_len;
	if (buffer_reserve(buffer, total, &room, 1) < 0)
		return 0;
	for (i = 0; i < n_vec; i++) {
		if (evbuffer_add(buffer, vec[i].iov_base, vec[i].iov_len) < 0)
			break;
		added += vec[i].iov_len;
	}
	return added;
}

int
evbuffer_add_printf(struct evbuffer *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = evbuffer_add_vprintf(buf, fmt, ap);
	va_end(ap);
	return n;
}

/* Formats straight into the free space at the back: first into whatever
 * room the tail has, and if the text does not fit (with its NUL), once
 * more into room of the size vsnprintf() said it needs. */
int
evbuffer_add_vprintf(struct evbuffer *buf, const char *fmt, va_list ap)
{
	struct evbuffer_iovec vec;
	size_t want = 0;
	va_list aq;
	int n;

	if (buf->frozen_back)
		return -1;
	for (;;) {
		if (buffer_reserve(buf, want, &vec, 1) < 0)
			return -1;
		va_copy(aq, ap);
		n = vsnprintf(vec.iov_base, vec.iov_len, fmt, aq);
		va_end(aq);
		if (n < 0)
			return -1;
		if ((size_t)n < vec.iov_len)
			break;
		want = (size_t)n + 1;
	}
	vec.iov_len = (size_t)n;
	buffer_commit(buf, &vec, 1);
	buffer_changed(buf);
	return n;
}

int
evbuffer_add_buffer(struct evbuffer *outbuf, struct evbuffer *inbuf)
{
	struct evbuffer_chain *first = inbuf->first;
	struct evbuffer_chain *last = inbuf->last_with_data;
	size_t len = inbuf->total_len;

	if (len == 0 || outbuf == inbuf)
		return 0;
	if (outbuf->frozen_back || inbuf->frozen_front)
		return -1;
	buffer_unlink_front(inbuf, last, len);
	buffer_link_data(outbuf, first, last, len);
	buffer_changed(inbuf);
	buffer_changed(outbuf);
	return 0;
}

int
evbuffer_prepend_buffer(struct evbuffer *dst, struct evbuffer *src)
{
	struct evbuffer_chain *first = src->first;
	struct evbuffer_chain *last = src->last_with_data;
	size_t len = src->total_len;

	if (len == 0 || dst == src)
		return 0;
	if (dst->frozen_front || src->frozen_front)
		return -1;
	buffer_unlink_front(src, last, len);
	if (dst->last_with_data == NULL) {
		buffer_link_data(dst, first, last, len);
	} else {
		last->next = dst->first;
		dst->first = first;
		dst->total_len += len;
		dst->n_add_for_cb += len;
	}
	buffer_changed(src);
	buffer_changed(dst);
	return 0;
}

/* Into the room before the first byte if there is enough; otherwise into
 * a new first chunk, at its end, leaving room for the next prepend. */
int
evbuffer_prepend(struct evbuffer *buf, const void *data, size_t size)
{
	struct evbuffer_chain *ch = buf->first;

	if (size == 0)
		return 0;
	if (buf->frozen_front)
		return -1;
	if (buf->total_len == 0) {
		if (buffer_add(buf, data, size) < 0)
			return -1;
	} else {
		if ((ch->flags & CHAIN_IMMUTABLE) || ch->misalign < size) {
			ch = chain_new(size);
			if (ch == NULL)
				return -1;
			ch->misalign = ch->buffer_len;
			ch->next = buf->first;
			buf->first = ch;
		}
		ch->misalign -= size;
		ch->off += size;
		memcpy(chain_data(ch), data, size);
		buf->total_len += size;
		buf->n_add_for_cb += size;
	}
	buffer_changed(buf);
	return 0;
}

int
evbuffer_add_reference(struct evbuffer *outbuf, const void *data, size_t datlen,
                       evbuffer_ref_cleanup_cb cleanupfn, void *cleanupfn_arg)
{
	struct evbuffer_chain *ch;

	if (outbuf->frozen_back)
		return -1;
	ch = mm_calloc_(1, sizeof(*ch));
	if (ch == NULL)
		return -1;
	/* Never written through: CHAIN_REFERENCE makes its space 0. */
	ch->buffer = (unsigned char *)(ev_uintptr_t)data;
	ch->buffer_len = datlen;
	ch->off = datlen;
	ch->flags = CHAIN_REFERENCE;
	ch->owner.ref.fn = cleanupfn;
	ch->owner.ref.arg = cleanupfn_arg;
	buffer_append_chain(outbuf, ch);
	buffer_changed(outbuf);
	return 0;
}

/* Checks offset and *length against the file's size, and turns a length
 * of -1 into "up to the end". 0, or -1 (errno set). */
static int
file_range(int fd, ev_off_t offset, ev_off_t *length)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -1;
	if (*length < 0)
		*length = st.st_size - offset;
	if (offset < 0 || *length < 0 || offset > st.st_size - *length) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* A chunk for length bytes of fd from offset, not in memory: no memory
 * and no space (reason 9). */
static struct evbuffer_chain *
chain_new_file(int fd, ev_off_t offset, ev_off_t length)
{
	struct evbuffer_chain *ch = mm_calloc_(1, sizeof(*ch));

	if (ch == NULL)
		return NULL;
	ch->off = (size_t)length;
	ch->flags = CHAIN_FILE;
	ch->owner.file.fd = fd;
	ch->owner.file.offset = (off_t)offset;
	return ch;
}

int
evbuffer_add_file(struct evbuffer *outbuf, int fd, ev_off_t offset,
                  ev_off_t length)
{
	struct evbuffer_chain *ch = NULL;
	int saved;

	if (!outbuf->frozen_back && file_range(fd, offset, &length) == 0) {
		if (length == 0) {
			close(fd);
			return 0;
		}
		ch = chain_new_file(fd, offset, length);
	}
	if (ch == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	buffer_append_chain(outbuf, ch);
	buffer_changed(outbuf);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Taking out                                                          */
/* ------------------------------------------------------------------ */

int
evbuffer_drain(struct evbuffer *buf, size_t len)
{
	/* As in libevent, an empty buffer drains "successfully" even with
	 * its front frozen; anything else frozen fails. */
	if (buf->total_len == 0)
		return 0;
	if (buf->frozen_front)
		return -1;
	if (len > buf->total_len)
		len = buf->total_len;
	buffer_drain(buf, len);
	buffer_changed(buf);
	return 0;
}

/* As in libevent, taking 0 bytes succeeds even with the front frozen. */
int
evbuffer_remove(struct evbuffer *buf, void *data, size_t datlen)
{
	if (datlen > buf->total_len)
		datlen = buf->total_len;
	if (datlen > INT_MAX)
		datlen = INT_MAX;
	if (datlen == 0)
		return 0;
	if (buf->frozen_front || chain_map_range(buf->first, 0, datlen) < 0)
		return -1;
	chain_copy_out(buf->first, 0, data, datlen);
	buffer_drain(buf, datlen);
	buffer_changed(buf);
	return (int)datlen;
}

ev_ssize_t
evbuffer_copyout(struct evbuffer *buf, void *data_out, size_t datlen)
{
	return evbuffer_copyout_from(buf, NULL, data_out, datlen);
}

/* Finds the chunk and offset of a valid position. A pointer made when pos
 * was the end has no chunk; if bytes were added since, it is found again
 * from the start. */
static void
ptr_locate(const struct evbuffer *buf, const struct evbuffer_ptr *ptr,
           struct evbuffer_chain **chp, size_t *atp)
{
	struct evbuffer_chain *ch = ptr->internal_.chain;
	size_t at = ptr->internal_.pos_in_chain;

	if (ch == NULL && (size_t)ptr->pos < buf->total_len) {
		ch = buf->first;
		at = (size_t)ptr->pos;
		while (at >= ch->off) {
			at -= ch->off;
			ch = ch->next;
		}
	}
	*chp = ch;
	*atp = at;
}

static int
ptr_in_buffer(const struct evbuffer *buf, const struct evbuffer_ptr *ptr)
{
	return ptr->pos >= 0 && (size_t)ptr->pos <= buf->total_len;
}

ev_ssize_t
evbuffer_copyout_from(struct evbuffer *buf, const struct evbuffer_ptr *pos,
                      void *data_out, size_t datlen)
{
	struct evbuffer_chain *ch = buf->first;
	size_t at = 0, start = 0;

	if (pos != NULL) {
		if (!ptr_in_buffer(buf, pos))
			return -1;
		ptr_locate(buf, pos, &ch, &at);
		start = (size_t)pos->pos;
	}
	if (datlen > buf->total_len - start)
		datlen = buf->total_len - start;
	if (datlen > EV_SSIZE_MAX)
		datlen = EV_SSIZE_MAX;
	if (datlen == 0)
		return 0;
	if (buf->frozen_front || chain_map_range(ch, at, datlen) < 0)
		return -1;
	chain_copy_out(ch, at, data_out, datlen);
	return (ev_ssize_t)datlen;
}

/* Whole chunks are relinked; the bytes of a chunk cut by the boundary are
 * copied (then dst's callbacks run before src's, as in libevent). */
int
evbuffer_remove_buffer(struct evbuffer *src, struct evbuffer *dst,
                       size_t datlen)
{
	struct evbuffer_chain *ch;
	size_t moved = 0;

	if (datlen == 0 || src == dst)
		return 0;
	if (dst->frozen_back || src->frozen_front)
		return -1;
	if (datlen >= src->total_len) {
		datlen = src->total_len;
		return evbuffer_add_buffer(dst, src) < 0 ? -1 : (int)datlen;
	}
	/* datlen < total_len: the last data chunk always stays in src. */
	while ((ch = src->first)->off <= datlen - moved) {
		buffer_unlink_front(src, ch, ch->off);
		buffer_link_data(dst, ch, ch, ch->off);
		moved += ch->off;
	}
	if (moved < datlen && chain_map(ch) == 0 &&
	    buffer_add(dst, chain_data(ch), datlen - moved) == 0) {
		buffer_drain(src, datlen - moved);
		moved = datlen;
	}
	buffer_changed(dst);
	buffer_changed(src);
	return (int)moved;
}

/* Moves up to n bytes from the chunk after dst to the end of dst's data,
 * freeing that chunk if it empties. */
static void
chain_absorb_next(struct evbuffer *buf, struct evbuffer_chain *dst, size_t n)
{
	struct evbuffer_chain *src = dst->next;

	if (n > src->off)
		n = src->off;
	memcpy(chain_end(dst), chain_data(src), n);
	dst->off += n;
	src->misalign += n;
	src->off -= n;
	if (src->off == 0) {
		dst->next = src->next;
		if (buf->last_with_data == src)
			buf->last_with_data = dst;
		chain_free(src);
	}
}

/* The first chunk keeps the bytes if it has the room after them; else a
 * new chunk is put in front, and the bytes are gathered into it. */
unsigned char *
evbuffer_pullup(struct evbuffer *buf, ev_ssize_t size)
{
	struct evbuffer_chain *dst = buf->first;

	if (size < 0)
		size = (ev_ssize_t)buf->total_len;
	if (size == 0 || (size_t)size > buf->total_len ||
	    chain_map_range(dst, 0, (size_t)size) < 0)
		return NULL;
	if (dst->off >= (size_t)size)
		return chain_data(dst);
	if ((dst->flags & CHAIN_IMMUTABLE) ||
	    dst->buffer_len - dst->misalign < (size_t)size) {
		dst = chain_new((size_t)size);
		if (dst == NULL)
			return NULL;
		dst->next = buf->first;
		buf->first = dst;
	}
	while (dst->off < (size_t)size)
		chain_absorb_next(buf, dst, (size_t)size - dst->off);
	return chain_data(dst);
}

/* ------------------------------------------------------------------ */
/* Positions, searching, peeking                                       */
/* ------------------------------------------------------------------ */

static int
ptr_fail(struct evbuffer_ptr *ptr)
{
	ptr->pos = -1;
	ptr->internal_.chain = NULL;
	ptr->internal_.pos_in_chain = 0;
	return -1;
}

/* Moves (ch, at) forward by n bytes; past the last byte is "no chunk".
 * The caller has checked that the buffer holds those bytes. */
static void
chain_advance(struct evbuffer_chain **chp, size_t *atp, size_t n)
{
	struct evbuffer_chain *ch = *chp;
	size_t at = *atp + n;

	while (ch != NULL && at >= ch->off) {
		at -= ch->off;
		ch = ch->next;
	}
	*chp = ch;
	*atp = ch != NULL ? at : 0;
}

static void
ptr_store(struct evbuffer_ptr *ptr, size_t pos, struct evbuffer_chain *ch,
          size_t at)
{
	ptr->pos = (ev_ssize_t)pos;
	ptr->internal_.chain = ch;
	ptr->internal_.pos_in_chain = at;
}

int
evbuffer_ptr_set(struct evbuffer *buffer, struct evbuffer_ptr *ptr,
                 size_t position, enum evbuffer_ptr_how how)
{
	struct evbuffer_chain *ch = buffer->first;
	size_t at = 0, pos = position;

	if (how == EVBUFFER_PTR_ADD) {
		if (!ptr_in_buffer(buffer, ptr))
			return ptr_fail(ptr);
		ptr_locate(buffer, ptr, &ch, &at);
		pos = (size_t)ptr->pos + position;
		if (pos < position)
			return ptr_fail(ptr);
	} else if (how != EVBUFFER_PTR_SET) {
		return ptr_fail(ptr);
	}
	if (pos > buffer->total_len)
		return ptr_fail(ptr);
	chain_advance(&ch, &at, position);
	ptr_store(ptr, pos, ch, at);
	return 0;
}

/* Do the len bytes at offset at of ch (across chunks) equal what? */
static int
chain_match(const struct evbuffer_chain *ch, size_t at, const char *what,
            size_t len)
{
	size_t n;

	for (; len > 0 && ch != NULL; ch = ch->next, at = 0) {
		n = ch->off - at < len ? ch->off - at : len;
		if (memcmp(chain_data(ch) + at, what, n) != 0)
			return 0;
		what += n;
		len -= n;
	}
	return len == 0;
}

/* Moves (ch, at) to the next byte equal to c, and *pos with it; memchr()
 * scans each chunk. Returns 0 if there is none. */
static int
chain_find_byte(struct evbuffer_chain **chp, size_t *atp, size_t *pos, int c)
{
	struct evbuffer_chain *ch = *chp;
	size_t at = *atp;
	unsigned char *hit;

	for (; ch != NULL; ch = ch->next, at = 0) {
		hit = memchr(chain_data(ch) + at, c, ch->off - at);
		if (hit != NULL) {
			*pos += (size_t)(hit - chain_data(ch)) - at;
			*chp = ch;
			*atp = (size_t)(hit - chain_data(ch));
			return 1;
		}
		*pos += ch->off - at;
	}
	return 0;
}

/* Each place where the first byte matches is compared in full, across
 * chunks if need be. A match must end by limit. */
struct evbuffer_ptr
evbuffer_search_range(struct evbuffer *buffer, const char *what, size_t len,
                      const struct evbuffer_ptr *start,
                      const struct evbuffer_ptr *end)
{
	struct evbuffer_ptr pos = {0, {NULL, 0}};
	size_t limit = end != NULL ? (size_t)end->pos : buffer->total_len;
	struct evbuffer_chain *ch;
	size_t at, p;

	if (start != NULL)
		pos = *start;
	if (!ptr_in_buffer(buffer, &pos) || (end != NULL && end->pos < 0))
		goto not_found;
	ptr_locate(buffer, &pos, &ch, &at);
	p = (size_t)pos.pos;
	if (chain_map_range(ch, at, buffer->total_len - p) < 0)
		goto not_found;
	while (len == 0 || chain_find_byte(&ch, &at, &p, what[0])) {
		if (p + len > limit)
			break;
		if (len == 0 || chain_match(ch, at, what, len)) {
			ptr_store(&pos, p, ch, at);
			return pos;
		}
		p++;
		chain_advance(&ch, &at, 1);
	}
not_found:
	ptr_fail(&pos);
	return pos;
}

struct evbuffer_ptr
evbuffer_search(struct evbuffer *buffer, const char *what, size_t len,
                const struct evbuffer_ptr *start)
{
	return evbuffer_search_range(buffer, what, len, start, NULL);
}

/* Counts, and fills while vec_out has room: see event2/buffer.h for what
 * a negative len means with and without room. Only the chunks shown are
 * brought into memory. */
int
evbuffer_peek(struct evbuffer *buffer, ev_ssize_t len,
              struct evbuffer_ptr *start_at, struct evbuffer_iovec *vec_out,
              int n_vec)
{
	struct evbuffer_chain *ch = buffer->first;
	size_t at = 0, seen = 0;
	int idx = 0;

	if (start_at != NULL) {
		if (!ptr_in_buffer(buffer, start_at))
			return 0;
		ptr_locate(buffer, start_at, &ch, &at);
	}
	for (; ch != NULL && ch->off > 0; ch = ch->next, at = 0) {
		if (len >= 0 && seen >= (size_t)len)
			break;
		if (idx < n_vec) {
			if (chain_map(ch) < 0)
				return -1;
			vec_out[idx].iov_base = chain_data(ch) + at;
			vec_out[idx].iov_len = ch->off - at;
		} else if (len < 0 && n_vec > 0) {
			break;
		}
		idx++;
		seen += ch->off - at;
	}
	return idx;
}

/* ------------------------------------------------------------------ */
/* Descriptors                                                         */
/* ------------------------------------------------------------------ */

/* How much one evbuffer_read() asks for (reason 4). FIONREAD says 0 at
 * end of file, and fails on some descriptors: then read the maximum, and
 * let read() tell. */
static int
read_size(evutil_socket_t fd, int howmuch)
{
	int n;

	if (ioctl(fd, FIONREAD, &n) < 0 || n <= 0 || n > EVBUFFER_MAX_READ)
		n = EVBUFFER_MAX_READ;
	if (howmuch < 0 || howmuch > n)
		howmuch = n;
	return howmuch;
}

int
evbuffer_read(struct evbuffer *buffer, evutil_socket_t fd, int howmuch)
{
	struct evbuffer_iovec vec[2];
	ssize_t n;
	int n_vec;

	if (buffer->frozen_back)
		return -1;
	howmuch = read_size(fd, howmuch);
	n_vec = buffer_reserve(buffer, (size_t)howmuch, vec, 2);
	if (n_vec < 0)
		return -1;
	vec_trim(vec, n_vec, (size_t)howmuch);
	n = readv(fd, vec, n_vec);
	if (n <= 0)
		return (int)n;
	vec_trim(vec, n_vec, (size_t)n);
	buffer_commit(buffer, vec, n_vec);
	buffer_changed(buffer);
	return (int)n;
}

/* Writes up to howmuch bytes from the memory chunks at the front, as far
 * as the first file chunk, with one writev(2) (reason 6). */
static ssize_t
buffer_writev(struct evbuffer *buf, evutil_socket_t fd, size_t howmuch)
{
	struct iovec vec[MAX_WRITE_IOVEC];
	struct evbuffer_chain *ch = buf->first;
	int n_vec = 0;

	for (; howmuch > 0 && n_vec < MAX_WRITE_IOVEC; ch = ch->next) {
		if (ch->flags & CHAIN_FILE)
			break;
		vec[n_vec].iov_base = chain_data(ch);
		vec[n_vec].iov_len = ch->off < howmuch ? ch->off : howmuch;
		howmuch -= vec[n_vec++].iov_len;
	}
	return writev(fd, vec, n_vec);
}

/* Sends up to howmuch bytes of the file chunk ch with sendfile(2) (reason
 * 9). A few descriptors refuse it (EINVAL: a file opened with O_APPEND,
 * for one); they get the mapped bytes with write(). */
static ssize_t
chain_sendfile(struct evbuffer_chain *ch, evutil_socket_t fd, size_t howmuch)
{
	off_t at = ch->owner.file.offset + (off_t)ch->misalign;
	size_t len = ch->off < howmuch ? ch->off : howmuch;
	ssize_t n = sendfile(fd, ch->owner.file.fd, &at, len);

	if (n >= 0 || (errno != EINVAL && errno != ENOSYS))
		return n;
	if (chain_map(ch) < 0)
		return -1;
	return write(fd, chain_data(ch), len);
}

/* One system call: writev() of the memory chunks at the front, or
 * sendfile() when a file's bytes come first (reason 9). */
int
evbuffer_write_atmost(struct evbuffer *buffer, evutil_socket_t fd,
                      ev_ssize_t howmuch)
{
	ssize_t n;

	if (buffer->frozen_front)
		return -1;
	if (howmuch < 0 || (size_t)howmuch > buffer->total_len)
		howmuch = (ev_ssize_t)buffer->total_len;
	/* As libevent: nothing to write is -1, with errno untouched. */
	if (howmuch == 0)
		return -1;
	if (buffer->first->flags & CHAIN_FILE)
		n = chain_sendfile(buffer->first, fd, (size_t)howmuch);
	else
		n = buffer_writev(buffer, fd, (size_t)howmuch);
	if (n > 0) {
		buffer_drain(buffer, (size_t)n);
		buffer_changed(buffer);
	}
	return (int)n;
}

int
evbuffer_write(struct evbuffer *buffer, evutil_socket_t fd)
{
	return evbuffer_write_atmost(buffer, fd, -1);
}

/* ------------------------------------------------------------------ */
/* Callbacks and freezing                                              */
/* ------------------------------------------------------------------ */

/* Tells the enabled callbacks, newest first, what changed since they last
 * ran. The next entry is read before a callback runs, so a callback may
 * remove itself. */
static void
buffer_run_callbacks(struct evbuffer *buf)
{
	struct evbuffer_cb_entry *e, *next;
	struct evbuffer_cb_info info;

	if (buf->n_add_for_cb == 0 && buf->n_del_for_cb == 0)
		return;
	info.orig_size = buf->total_len + buf->n_del_for_cb - buf->n_add_for_cb;
	info.n_added = buf->n_add_for_cb;
	info.n_deleted = buf->n_del_for_cb;
	buf->n_add_for_cb = 0;
	buf->n_del_for_cb = 0;
	for (e = buf->callbacks; e != NULL; e = next) {
		next = e->next;
		if (e->flags & EVBUFFER_CB_ENABLED)
			e->cb(buf, &info, e->cbarg);
	}
}

/* The end of every public function that changed the length. */
static void
buffer_changed(struct evbuffer *buf)
{
	if (buf->callbacks == NULL) {
		buf->n_add_for_cb = 0;
		buf->n_del_for_cb = 0;
	} else if (buf->deferred != NULL) {
		if (buf->n_add_for_cb != 0 || buf->n_del_for_cb != 0)
			event_active(buf->deferred, EV_TIMEOUT, 1);
	} else {
		buffer_run_callbacks(buf);
	}
}

static void
buffer_deferred_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	buffer_run_callbacks(arg);
}

int
evbuffer_defer_callbacks(struct evbuffer *buffer, struct event_base *base)
{
	struct event *ev = event_new(base, -1, 0, buffer_deferred_cb, buffer);

	if (ev == NULL)
		return -1;
	if (buffer->deferred != NULL)
		event_free(buffer->deferred);
	buffer->deferred = ev;
	return 0;
}

struct evbuffer_cb_entry *
evbuffer_add_cb(struct evbuffer *buffer, evbuffer_cb_func cb, void *cbarg)
{
	struct evbuffer_cb_entry *e;

	if (cb == NULL) {
		errno = EINVAL;
		return NULL;
	}
	e = mm_calloc_(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	e->cb = cb;
	e->cbarg = cbarg;
	e->flags = EVBUFFER_CB_ENABLED;
	e->next = buffer->callbacks;
	buffer->callbacks = e;
	return e;
}

int
evbuffer_remove_cb_entry(struct evbuffer *buffer, struct evbuffer_cb_entry *ent)
{
	struct evbuffer_cb_entry **p;

	for (p = &buffer->callbacks; *p != NULL; p = &(*p)->next) {
		if (*p == ent) {
			*p = ent->next;
			mm_free_(ent);
			return 0;
		}
	}
	return -1;
}

int
evbuffer_remove_cb(struct evbuffer *buffer, evbuffer_cb_func cb, void *cbarg)
{
	struct evbuffer_cb_entry *e;

	for (e = buffer->callbacks; e != NULL; e = e->next)
		if (e->cb == cb && e->cbarg == cbarg)
			return evbuffer_remove_cb_entry(buffer, e);
	return -1;
}

int
evbuffer_cb_set_flags(struct evbuffer *buffer, struct evbuffer_cb_entry *cb,
                      ev_uint32_t flags)
{
	(void)buffer;
	cb->flags |= flags;
	return 0;
}

int
evbuffer_cb_clear_flags(struct evbuffer *buffer, struct evbuffer_cb_entry *cb,
                        ev_uint32_t flags)
{
	(void)buffer;
	cb->flags &= ~flags;
	return 0;
}

int
evbuffer_freeze(struct evbuffer *buf, int at_front)
{
	if (at_front)
		buf->frozen_front = 1;
	else
		buf->frozen_back = 1;
	return 0;
}

int
evbuffer_unfreeze(struct evbuffer *buf, int at_front)
{
	if (at_front)
		buf->frozen_front = 0;
	else
		buf->frozen_back = 0;
	return 0;
}
