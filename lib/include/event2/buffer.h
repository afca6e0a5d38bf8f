/*
 * event2/buffer.h - minievent's evbuffer: a byte queue for network I/O,
 * following libevent 2.1's event2/buffer.h.
 *
 * Introduced in chapter 13 (evbuffer). A program written for libevent's
 * event2/buffer.h compiles against this header unchanged: the names,
 * types, constants and their values, and the behaviour are libevent's.
 * Where minievent differs, the comment of the function says so (see also
 * notes/libevent-api-map.md).
 *
 * The model:
 *  - A struct evbuffer is a queue of bytes: you add at the end (the back)
 *    and take from the start (the front). Inside, it is a chain of chunks,
 *    so adding never moves the bytes already queued and moving a whole
 *    buffer into another relinks chunks instead of copying bytes.
 *  - Bytes may therefore sit in several pieces of memory. evbuffer_peek()
 *    shows them in place; evbuffer_pullup() makes a prefix contiguous
 *    when you need one flat array (at the price of a copy).
 *  - evbuffer_read() and evbuffer_write() move bytes between a buffer and
 *    a descriptor with one readv(2) or writev(2) call (sendfile(2) for
 *    the bytes of a file added with evbuffer_add_file()).
 *  - Callbacks (evbuffer_add_cb()) are told after every change how many
 *    bytes were added and removed: bufferevents are built on them.
 *
 * Where minievent differs from libevent 2.1:
 *  - Not provided: evbuffer_add_buffer_reference() and the
 *    evbuffer_file_segment functions; files are added with
 *    evbuffer_add_file() only. Its bytes are sent with sendfile(2)
 *    whatever the buffer's flags, and every other function sees the
 *    real bytes (see evbuffer_add_file()).
 *  - evbuffer_free() cancels callbacks deferred with
 *    evbuffer_defer_callbacks() that have not run yet.
 *  - evbuffer_add_cb() refuses a NULL callback.
 *  - A buffer that empties keeps one small chunk (at most 8 KB) to reuse,
 *    where libevent frees them all.
 *
 * Threads: minievent has no locks; a buffer must be used from one thread
 * at a time (libevent without evthread_use_pthreads() has the same rule).
 */
#ifndef EVENT2_BUFFER_H_INCLUDED_
#define EVENT2_BUFFER_H_INCLUDED_

#include <stdarg.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <event2/util.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A buffer. Opaque; create it with evbuffer_new(). */
struct evbuffer;
struct event_base;

/**
 * A position inside a buffer, from its first byte (pos 0) to just past
 * its last (pos == evbuffer_get_length()). Set it with evbuffer_ptr_set()
 * or get one from a search; a search that fails returns pos -1.
 *
 * Any change that removes or rearranges bytes (drain, remove, pullup,
 * prepend...) makes every evbuffer_ptr of that buffer invalid; adding at
 * the back does not. Only pos is yours to read; internal_ remembers the
 * chunk and the offset in it, so that moving forward is cheap.
 */
struct evbuffer_ptr {
	ev_ssize_t pos;
	struct {
		void *chain;
		size_t pos_in_chain;
	} internal_;
};

/**
 * One extent of memory: iov_base and iov_len. On Linux it is the system's
 * struct iovec, so an array of them can be passed to readv(2)/writev(2).
 */
#define evbuffer_iovec iovec
#define EVBUFFER_IOVEC_IS_NATIVE_

/* ------------------------------------------------------------------ */
/* Creating, freeing, locking                                          */
/* ------------------------------------------------------------------ */

/**
 * Creates an empty buffer.
 *
 * @return the buffer, owned by the caller (evbuffer_free()), or NULL if
 *         out of memory.
 */
struct evbuffer *evbuffer_new(void);

/**
 * Frees a buffer and the bytes in it. Memory added by reference has its
 * cleanup function run; files added with evbuffer_add_file() are closed.
 * Its callbacks are removed without being called.
 */
void evbuffer_free(struct evbuffer *buf);

/**
 * In libevent, gives the buffer a lock so that several threads may use
 * it. minievent has no thread support yet (see event2/event.h): it does
 * what libevent 2.1 does when no evthread_use_*() function was called,
 * which is to fail, leaving the buffer as it was.
 *
 * @param lock ignored.
 * @return -1.
 */
int evbuffer_enable_locking(struct evbuffer *buf, void *lock);

/** Takes the buffer's lock. A buffer has no lock (see
 * evbuffer_enable_locking()): does nothing, as in libevent then. */
void evbuffer_lock(struct evbuffer *buf);

/** Releases the buffer's lock. Does nothing, as evbuffer_lock(). */
void evbuffer_unlock(struct evbuffer *buf);

/**
 * Flag for evbuffer_set_flags(): the buffer's bytes will go to a
 * descriptor (a bufferevent sets it on its output). libevent sends files
 * with sendfile(2) only when it is set; minievent records it and always
 * does (see evbuffer_add_file()).
 */
#define EVBUFFER_FLAG_DRAINS_TO_FD 1

/**
 * Sets flags (EVBUFFER_FLAG_DRAINS_TO_FD) on the buffer.
 *
 * @return 0.
 */
int evbuffer_set_flags(struct evbuffer *buf, ev_uint64_t flags);

/**
 * Clears flags set by evbuffer_set_flags().
 *
 * @return 0.
 */
int evbuffer_clear_flags(struct evbuffer *buf, ev_uint64_t flags);

/* ------------------------------------------------------------------ */
/* Size and space                                                      */
/* ------------------------------------------------------------------ */

/** @return the number of bytes in the buffer. */
size_t evbuffer_get_length(const struct evbuffer *buf);

/**
 * @return the number of bytes stored contiguously at the front of the
 *         buffer (in its first chunk): evbuffer_pullup() of that many
 *         bytes copies nothing. 0 if the buffer is empty.
 */
size_t evbuffer_get_contiguous_space(const struct evbuffer *buf);

/**
 * Makes room so that datlen more bytes can be added without allocating:
 * afterwards, the free space at the back is at least datlen bytes in one
 * chunk.
 *
 * @return 0, or -1 if out of memory.
 */
int evbuffer_expand(struct evbuffer *buf, size_t datlen);

/**
 * Lends the caller free space at the back of the buffer, to fill in place
 * (for example with read(2)) and then hand back with
 * evbuffer_commit_space(): the bytes are added without being copied.
 *
 * The space is given as one or two extents in vec; each may be larger
 * than asked. Reserving again before committing returns the same space.
 * Between the two calls, do nothing else that adds to the buffer or moves
 * its chunks.
 *
 * @param size the space wanted, at least; must not be negative.
 * @param vec receives the extents.
 * @param n_vec the size of vec: 1 (one contiguous extent; may cost a copy)
 *        or more (only the first 2 are used).
 * @return the number of extents filled in vec (1 or 2), or -1 if the back
 *         is frozen, size < 0, n_vec < 1, or out of memory. As in
 *         libevent, size 0 with n_vec >= 2 returns 0 (no extent).
 */
int evbuffer_reserve_space(struct evbuffer *buf, ev_ssize_t size,
                           struct evbuffer_iovec *vec, int n_vec);

/**
 * Adds to the buffer the bytes written into space from
 * evbuffer_reserve_space(). Set each extent's iov_len to the number of
 * bytes you wrote in it (no more than it was); extents must be filled in
 * order, and n_vecs may be less than were reserved (0 commits nothing).
 *
 * @return 0, or -1 if the back is frozen, or vec does not match the space
 *         reserved (other data was added since, or a length is too big).
 */
int evbuffer_commit_space(struct evbuffer *buf, struct evbuffer_iovec *vec,
                          int n_vecs);

/* ------------------------------------------------------------------ */
/* Adding                                                              */
/* ------------------------------------------------------------------ */

/**
 * Appends a copy of datlen bytes from data.
 *
 * @return 0, or -1 if the back is frozen or out of memory (then nothing
 *         was added).
 */
int evbuffer_add(struct evbuffer *buf, const void *data, size_t datlen);

/**
 * Appends the bytes of n_vec extents, in order, copying them.
 *
 * @return the number of bytes added: all of them, or 0 if the back is
 *         frozen or out of memory.
 */
size_t evbuffer_add_iovec(struct evbuffer *buffer, struct evbuffer_iovec *vec,
                          int n_vec);

/**
 * Appends formatted text, as printf(3), without the terminating NUL.
 *
 * @return the number of bytes added, or -1 if the back is frozen, the
 *         format fails, or out of memory.
 */
int evbuffer_add_printf(struct evbuffer *buf, const char *fmt, ...)
#ifdef __GNUC__
        __attribute__((format(printf, 2, 3)))
#endif
        ;

/** The same as evbuffer_add_printf(), taking a va_list (left unused: the
 * function formats a copy of it). */
int evbuffer_add_vprintf(struct evbuffer *buf, const char *fmt, va_list ap)
#ifdef __GNUC__
        __attribute__((format(printf, 2, 0)))
#endif
        ;

/**
 * Moves every byte of inbuf to the end of outbuf. Chunks are relinked,
 * not copied; inbuf is left empty.
 *
 * @return 0 (also when inbuf is empty or is outbuf: nothing moves), or -1
 *         if outbuf's back or inbuf's front is frozen.
 */
int evbuffer_add_buffer(struct evbuffer *outbuf, struct evbuffer *inbuf);

/**
 * Moves every byte of src to the front of dst, before dst's bytes,
 * relinking chunks; src is left empty.
 *
 * @return 0 (also when src is empty or is dst), or -1 if the front of src
 *         or of dst is frozen.
 */
int evbuffer_prepend_buffer(struct evbuffer *dst, struct evbuffer *src);

/**
 * Inserts a copy of size bytes from data before the buffer's first byte.
 *
 * @return 0, or -1 if the front is frozen or out of memory.
 */
int evbuffer_prepend(struct evbuffer *buf, const void *data, size_t size);

/** Called once, when the buffer no longer needs memory it was given by
 * evbuffer_add_reference(): data and datalen as added, and extra. */
typedef void (*evbuffer_ref_cleanup_cb)(const void *data, size_t datalen,
                                        void *extra);

/**
 * Appends datlen bytes at data without copying them: the buffer points at
 * your memory, which must stay valid and unchanged until cleanupfn is
 * called. That happens exactly once, when the last of those bytes has
 * left the buffer (drained, removed, written, or copied away by
 * evbuffer_pullup()) or the buffer is freed; moving them to another
 * buffer moves the duty too.
 *
 * @param cleanupfn may be NULL (nothing is called).
 * @param cleanupfn_arg passed to cleanupfn as extra.
 * @return 0, or -1 if the back is frozen or out of memory (then cleanupfn
 *         is not called).
 */
int evbuffer_add_reference(struct evbuffer *outbuf, const void *data,
                           size_t datlen, evbuffer_ref_cleanup_cb cleanupfn,
                           void *cleanupfn_arg);

/**
 * Appends length bytes of the file fd, from offset, without reading them:
 * evbuffer_write() sends them with sendfile(2), so the kernel copies them
 * from its page cache to the socket and they never pass through this
 * process. Until then the buffer holds only the file's range. A function
 * that needs the bytes in memory (copyout, remove, pullup, peek, search,
 * readln, or an evbuffer_remove_buffer() that splits them) maps them with
 * mmap(2) at that moment; it returns its failure value if mmap fails.
 * Moving whole buffers (evbuffer_add_buffer() and the like) moves the
 * range, unread.
 *
 * libevent 2.1 uses sendfile only when the buffer has
 * EVBUFFER_FLAG_DRAINS_TO_FD (else it maps the file at once); then its
 * peek, copyout and pullup show wrong bytes, evbuffer_write_atmost()
 * sends the whole file whatever its limit, and a full socket makes
 * evbuffer_write() return 0. minievent sends with sendfile always, shows
 * the real bytes, keeps to the limit, and returns -1 with EAGAIN. It also
 * checks the range: libevent takes any length, and for -1 the whole
 * file's size even when offset is not 0.
 *
 * The buffer takes fd: it is closed when the last of the bytes has left
 * the buffer, or at once if length is 0, or on failure. The file must not
 * shrink meanwhile: sendfile would then send nothing (evbuffer_write()
 * returns 0), and reading a mapping past the end of a file raises SIGBUS.
 *
 * @param offset where to start in the file, 0 or more.
 * @param length how many bytes, or -1 for all from offset to the end of
 *        the file.
 * @return 0, or -1 if the back is frozen, fd is not open, offset/length
 *         is out of the file, or out of memory.
 */
int evbuffer_add_file(struct evbuffer *outbuf, int fd, ev_off_t offset,
                      ev_off_t length);

/* ------------------------------------------------------------------ */
/* Taking out                                                          */
/* ------------------------------------------------------------------ */

/**
 * Removes len bytes from the front (all of them if there are fewer).
 *
 * @return 0, or -1 if the front is frozen.
 */
int evbuffer_drain(struct evbuffer *buf, size_t len);

/**
 * Copies up to datlen bytes from the front into data and removes them.
 *
 * @return the number of bytes copied (0 if empty), or -1 if the front is
 *         frozen and there was something to take (then nothing is
 *         removed).
 */
int evbuffer_remove(struct evbuffer *buf, void *data, size_t datlen);

/**
 * Copies up to datlen bytes from the front into data_out, leaving the
 * buffer unchanged.
 *
 * @return the number of bytes copied, or -1 if the front is frozen and
 *         there was something to copy (as in libevent, although nothing
 *         would be removed).
 */
ev_ssize_t evbuffer_copyout(struct evbuffer *buf, void *data_out,
                            size_t datlen);

/**
 * Copies up to datlen bytes starting at pos (NULL: the front) into
 * data_out, leaving the buffer unchanged.
 *
 * @return the number of bytes copied (0 if pos is at the end), or -1 if
 *         pos lies past the end, or if the front is frozen and there was
 *         something to copy.
 */
ev_ssize_t evbuffer_copyout_from(struct evbuffer *buf,
                                 const struct evbuffer_ptr *pos, void *data_out,
                                 size_t datlen);

/**
 * Moves up to datlen bytes from the front of src to the end of dst. Whole
 * chunks are relinked; only a chunk split by the datlen boundary is
 * partly copied.
 *
 * @return the number of bytes moved, or -1 if src's front or dst's back is
 *         frozen.
 */
int evbuffer_remove_buffer(struct evbuffer *src, struct evbuffer *dst,
                           size_t datlen);

/**
 * Makes the first size bytes contiguous in memory (copying them into one
 * chunk if they were spread over several), and returns where they start.
 * The pointer is valid until the buffer next changes.
 *
 * @param size the number of bytes, or -1 for the whole buffer.
 * @return the first byte, or NULL if size is 0, or more than the buffer
 *         holds, or if the buffer is empty, or out of memory.
 */
unsigned char *evbuffer_pullup(struct evbuffer *buf, ev_ssize_t size);

/* ------------------------------------------------------------------ */
/* Lines                                                               */
/* ------------------------------------------------------------------ */

/** What ends a line, for evbuffer_readln() and evbuffer_search_eol(). */
enum evbuffer_eol_style {
	/** Any run of '\r' and '\n' bytes, however long ("\r\n\r\n" is one
	 * end of line). Beware: a "\r" and a "\n" arriving in two reads
	 * can end two lines (one of them empty). */
	EVBUFFER_EOL_ANY,
	/** "\n", or "\r\n": a '\r' counts only just before the '\n'. What
	 * most text protocols want. */
	EVBUFFER_EOL_CRLF,
	/** "\r\n" only. */
	EVBUFFER_EOL_CRLF_STRICT,
	/** "\n" only. */
	EVBUFFER_EOL_LF,
	/** A NUL byte ('\0'). */
	EVBUFFER_EOL_NUL
};

/**
 * Removes one line from the front of the buffer and returns it.
 *
 * @param n_read_out if not NULL, receives the line's length (the line may
 *        contain NUL bytes).
 * @param eol_style what ends a line.
 * @return the line without its end-of-line bytes, NUL-terminated, which
 *         the caller frees with free(3) (or the free function given to
 *         event_set_mem_functions()); NULL if no complete line is in the
 *         buffer (nothing is removed), the front is frozen, or out of
 *         memory. Both the line and its end are removed.
 */
char *evbuffer_readln(struct evbuffer *buffer, size_t *n_read_out,
                      enum evbuffer_eol_style eol_style);

/* ------------------------------------------------------------------ */
/* Positions, searching, peeking                                       */
/* ------------------------------------------------------------------ */

/** How evbuffer_ptr_set() moves a position. */
enum evbuffer_ptr_how {
	/** To the given offset from the start (ptr may be uninitialized). */
	EVBUFFER_PTR_SET,
	/** Forward by the given number of bytes. */
	EVBUFFER_PTR_ADD
};

/**
 * Sets ptr to position bytes from the start of the buffer
 * (EVBUFFER_PTR_SET) or moves it forward by position bytes
 * (EVBUFFER_PTR_ADD).
 *
 * @return 0, or -1 if the result would lie past the end of the buffer
 *         (ptr->pos is then -1).
 */
int evbuffer_ptr_set(struct evbuffer *buffer, struct evbuffer_ptr *ptr,
                     size_t position, enum evbuffer_ptr_how how);

/**
 * Finds the first occurrence of the len bytes at what, starting at start
 * (NULL: the front).
 *
 * @return its position, or a ptr whose pos is -1 if there is none.
 */
struct evbuffer_ptr evbuffer_search(struct evbuffer *buffer, const char *what,
                                    size_t len,
                                    const struct evbuffer_ptr *start);

/**
 * As evbuffer_search(), but the occurrence must end at or before end
 * (NULL: the end of the buffer).
 */
struct evbuffer_ptr evbuffer_search_range(struct evbuffer *buffer,
                                          const char *what, size_t len,
                                          const struct evbuffer_ptr *start,
                                          const struct evbuffer_ptr *end);

/**
 * Finds the first end of line of the given style at or after start
 * (NULL: the front).
 *
 * @param eol_len_out if not NULL, receives the length of the end of line
 *        found (0 if none).
 * @return its position, or a ptr whose pos is -1 if there is none.
 */
struct evbuffer_ptr evbuffer_search_eol(struct evbuffer *buffer,
                                        struct evbuffer_ptr *start,
                                        size_t *eol_len_out,
                                        enum evbuffer_eol_style eol_style);

/**
 * Shows where the bytes are, without copying or removing them: fills
 * vec_out with the extents holding len bytes from start_at (NULL: the
 * front). The pointers are valid until the buffer next changes.
 *
 * @param len how many bytes to show; negative for all of them. The last
 *        extent may hold more than asked.
 * @param vec_out the array to fill; may be NULL if n_vec is 0.
 * @param n_vec its size: with 0, only count.
 * @return the number of extents the bytes need, which may be more than
 *         n_vec (then only n_vec were filled); -1 if a file's bytes could
 *         not be mapped (see evbuffer_add_file()).
 */
int evbuffer_peek(struct evbuffer *buffer, ev_ssize_t len,
                  struct evbuffer_ptr *start_at, struct evbuffer_iovec *vec_out,
                  int n_vec);

/* ------------------------------------------------------------------ */
/* Descriptors                                                         */
/* ------------------------------------------------------------------ */

/**
 * Reads from fd into the buffer with one readv(2) into the free space of
 * at most two chunks. The amount is what FIONREAD says is waiting, capped
 * at 4096 bytes as libevent 2.1 caps it (4096 too when FIONREAD knows
 * nothing), and at howmuch when 0 <= howmuch.
 *
 * @param howmuch the most to read; negative for "as much as allowed".
 * @return the number of bytes read, 0 at end of file (and, as in
 *         libevent, when howmuch is 0), or -1 with errno set (EAGAIN when
 *         a non-blocking fd has nothing), or -1 if the back is frozen.
 */
int evbuffer_read(struct evbuffer *buffer, evutil_socket_t fd, int howmuch);

/**
 * Writes as much of the front of the buffer as fd takes, with one system
 * call, and removes what was written: writev(2) of up to 128 chunks of
 * memory, stopping before the bytes of a file; sendfile(2) when a file's
 * bytes (evbuffer_add_file()) come first. So a buffer holding memory,
 * then a file, then memory takes at least three calls.
 *
 * writev(2) on a socket whose peer has gone raises SIGPIPE, as in
 * libevent: a server ignores SIGPIPE and gets EPIPE instead.
 *
 * @return the number of bytes written, or -1 with errno set (EAGAIN when
 *         a non-blocking fd is full). Also -1, with errno unchanged, if the
 *         front is frozen or the buffer is empty (libevent's return): check
 *         evbuffer_get_length() first.
 */
int evbuffer_write(struct evbuffer *buffer, evutil_socket_t fd);

/**
 * As evbuffer_write(), but writes at most howmuch bytes (negative: no
 * limit), a file's bytes included.
 */
int evbuffer_write_atmost(struct evbuffer *buffer, evutil_socket_t fd,
                          ev_ssize_t howmuch);

/* ------------------------------------------------------------------ */
/* Callbacks and freezing                                              */
/* ------------------------------------------------------------------ */

/** What changed since a buffer's callbacks last ran. */
struct evbuffer_cb_info {
	/** The length of the buffer when the callbacks last ran. */
	size_t orig_size;
	/** Bytes added since then. */
	size_t n_added;
	/** Bytes removed since then. */
	size_t n_deleted;
};

/**
 * A buffer callback. It may add or remove bytes (which runs the callbacks
 * again, from inside this one), add callbacks, or remove itself; it must
 * not remove another callback, nor free the buffer.
 */
typedef void (*evbuffer_cb_func)(struct evbuffer *buffer,
                                 const struct evbuffer_cb_info *info,
                                 void *arg);

/** A callback registered on a buffer. Opaque. */
struct evbuffer_cb_entry;

/**
 * Registers cb, to be called with cbarg after every call that changes the
 * buffer's length (immediately, before that call returns, unless
 * evbuffer_defer_callbacks() was called). Callbacks run newest first. The
 * new callback is enabled.
 *
 * @return a handle for evbuffer_remove_cb_entry() and
 *         evbuffer_cb_set_flags(), owned by the buffer; NULL if out of
 *         memory, or (errno EINVAL) if cb is NULL: libevent accepts a NULL
 *         cb and crashes on the next change.
 */
struct evbuffer_cb_entry *evbuffer_add_cb(struct evbuffer *buffer,
                                          evbuffer_cb_func cb, void *cbarg);

/**
 * Unregisters and frees a callback; ent becomes invalid.
 *
 * @return 0, or -1 if ent is not registered on buffer.
 */
int evbuffer_remove_cb_entry(struct evbuffer *buffer,
                             struct evbuffer_cb_entry *ent);

/**
 * Unregisters the first callback registered with this cb and cbarg.
 *
 * @return 0, or -1 if there is none.
 */
int evbuffer_remove_cb(struct evbuffer *buffer, evbuffer_cb_func cb,
                       void *cbarg);

/** Callback flag: the callback runs. Cleared, it is skipped (but the
 * counts it would have seen are still reset when the others run). */
#define EVBUFFER_CB_ENABLED 1

/**
 * Sets flags (EVBUFFER_CB_ENABLED) on a callback.
 *
 * @return 0.
 */
int evbuffer_cb_set_flags(struct evbuffer *buffer, struct evbuffer_cb_entry *cb,
                          ev_uint32_t flags);

/**
 * Clears flags (EVBUFFER_CB_ENABLED) on a callback.
 *
 * @return 0.
 */
int evbuffer_cb_clear_flags(struct evbuffer *buffer,
                            struct evbuffer_cb_entry *cb, ev_uint32_t flags);

/**
 * Makes the buffer's callbacks run from base's loop instead of inside the
 * call that changed the buffer: changes accumulate and the callbacks see
 * them all at once, on the next loop iteration. Used by bufferevents
 * (BEV_OPT_DEFER_CALLBACKS). Freeing the buffer cancels a pending run
 * (libevent keeps the buffer alive and still runs it).
 *
 * @return 0, or -1 if out of memory.
 */
int evbuffer_defer_callbacks(struct evbuffer *buffer, struct event_base *base);

/**
 * Forbids changes at one end of the buffer until evbuffer_unfreeze().
 * With the front frozen, removing bytes (drain, remove, readln, write...)
 * and prepending fail; with the back frozen, adding (add, read,
 * reserve/commit...) fails. A bufferevent freezes the ends of its buffers
 * that only it may touch.
 *
 * @param at_front nonzero for the front, 0 for the back.
 * @return 0.
 */
int evbuffer_freeze(struct evbuffer *buf, int at_front);

/**
 * Allows changes at one end again (see evbuffer_freeze()).
 *
 * @return 0.
 */
int evbuffer_unfreeze(struct evbuffer *buf, int at_front);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_BUFFER_H_INCLUDED_ */
