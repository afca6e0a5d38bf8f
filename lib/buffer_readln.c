/*
 * buffer_readln.c - lines in an evbuffer: evbuffer_search_eol() finds the
 * end of a line, evbuffer_readln() takes a line out.
 *
 * Introduced in chapter 13 (evbuffer). Written with the public API of
 * event2/buffer.h only (and the library's allocator), so that it reads as
 * an example of that API, and so that exercise 13 can replace this file.
 *
 * How a search goes: evbuffer_peek() shows the bytes from a position to
 * the end of their chunk, memchr() looks for the end-of-line byte in them,
 * and if it is not there evbuffer_ptr_set() moves the position to the next
 * chunk. Each chunk is scanned once, and nothing is copied.
 *
 * The end-of-line styles are in event2/buffer.h (enum evbuffer_eol_style).
 * The cases that need care:
 *  - CRLF, CRLF_STRICT: the '\r' of "\r\n" may end one chunk and the '\n'
 *    begin the next, so the scan remembers the last byte of the chunk
 *    before. A '\r' at the very end of the buffer is no end of line yet:
 *    its '\n' may come with the next read.
 *  - ANY: the end of line is the whole run of '\r' and '\n' bytes, which
 *    may go on into the next chunks.
 *  - A '\r' before the start of the search does not count.
 */
#include <string.h>

#include "event2/buffer.h"
#include "mm-internal.h"

/* The bytes from it to the end of its chunk: their number, 0 at the end
 * of the buffer. */
static size_t
peek_at(struct evbuffer *buf, struct evbuffer_ptr *it,
        const unsigned char **data)
{
	struct evbuffer_iovec vec;

	if (evbuffer_peek(buf, -1, it, &vec, 1) < 1)
		return 0;
	*data = vec.iov_base;
	return vec.iov_len;
}

/* The first of data[0..len) that is c1 or c2, or NULL: two memchr()
 * calls, the second only up to where the first found its byte. */
static const unsigned char *
find_first(const unsigned char *data, size_t len, int c1, int c2)
{
	const unsigned char *hit = memchr(data, c1, len);
	const unsigned char *hit2;

	if (c2 != c1) {
		hit2 = memchr(data, c2,
		              hit != NULL ? (size_t)(hit - data) : len);
		if (hit2 != NULL)
			hit = hit2;
	}
	return hit;
}

/*
 * Finds the first byte at or after *it that is c1 or c2, and returns its
 * position, or -1 if there is none. *it is left at the start of the chunk
 * piece that holds it. *prev receives the byte before it, or -1 if that
 * byte lies before where the scan began.
 */
static ev_ssize_t
find_byte(struct evbuffer *buf, struct evbuffer_ptr *it, int c1, int c2,
          int *prev)
{
	const unsigned char *data, *hit;
	size_t len;

	*prev = -1;
	while ((len = peek_at(buf, it, &data)) > 0) {
		hit = find_first(data, len, c1, c2);
		if (hit != NULL) {
			if (hit > data)
				*prev = hit[-1];
			return it->pos + (hit - data);
		}
		*prev = data[len - 1];
		evbuffer_ptr_set(buf, it, len, EVBUFFER_PTR_ADD);
	}
	return -1;
}

/* How many bytes from it on are '\r' or '\n' (EVBUFFER_EOL_ANY). */
static size_t
eol_run_length(struct evbuffer *buf, struct evbuffer_ptr it)
{
	const unsigned char *data;
	size_t len, i, n = 0;

	while ((len = peek_at(buf, &it, &data)) > 0) {
		for (i = 0; i < len && (data[i] == '\r' || data[i] == '\n');
		     i++)
			;
		n += i;
		if (i < len)
			break;
		evbuffer_ptr_set(buf, &it, len, EVBUFFER_PTR_ADD);
	}
	return n;
}

/* EVBUFFER_EOL_ANY: the first '\r' or '\n' and the run that follows. */
static ev_ssize_t
find_any(struct evbuffer *buf, struct evbuffer_ptr *it, size_t *eol_len)
{
	ev_ssize_t pos;
	int prev;

	pos = find_byte(buf, it, '\n', '\r', &prev);
	if (pos < 0)
		return -1;
	evbuffer_ptr_set(buf, it, (size_t)(pos - it->pos), EVBUFFER_PTR_ADD);
	*eol_len = eol_run_length(buf, *it);
	return pos;
}

/* EVBUFFER_EOL_CRLF_STRICT: a '\n' without its '\r' is passed over. */
static ev_ssize_t
find_crlf(struct evbuffer *buf, struct evbuffer_ptr *it, size_t *eol_len)
{
	ev_ssize_t pos;
	int prev;

	while ((pos = find_byte(buf, it, '\n', '\n', &prev)) >= 0) {
		if (prev == '\r') {
			*eol_len = 2;
			return pos - 1;
		}
		evbuffer_ptr_set(buf, it, (size_t)(pos + 1 - it->pos),
		                 EVBUFFER_PTR_ADD);
	}
	return -1;
}

/* Finds the first end of line at or after *it (which it moves along).
 * Returns its position and sets *eol_len, or returns -1. */
static ev_ssize_t
find_eol(struct evbuffer *buf, struct evbuffer_ptr *it,
         enum evbuffer_eol_style eol_style, size_t *eol_len)
{
	ev_ssize_t pos = -1;
	int prev;

	*eol_len = 1;
	switch (eol_style) {
	case EVBUFFER_EOL_ANY:
		return find_any(buf, it, eol_len);
	case EVBUFFER_EOL_CRLF:
		pos = find_byte(buf, it, '\n', '\n', &prev);
		if (pos >= 0 && prev == '\r') {
			*eol_len = 2;
			pos--;
		}
		return pos;
	case EVBUFFER_EOL_CRLF_STRICT:
		return find_crlf(buf, it, eol_len);
	case EVBUFFER_EOL_LF:
		return find_byte(buf, it, '\n', '\n', &prev);
	case EVBUFFER_EOL_NUL:
		return find_byte(buf, it, '\0', '\0', &prev);
	}
	return -1;
}

/* The scan moves a copy of start; the result is then set from start, as an
 * evbuffer_ptr only moves forward (the '\r' of "\r\n" may lie in the piece
 * before the one where the scan stopped). */
struct evbuffer_ptr
evbuffer_search_eol(struct evbuffer *buffer, struct evbuffer_ptr *start,
                    size_t *eol_len_out, enum evbuffer_eol_style eol_style)
{
	struct evbuffer_ptr from, it;
	ev_ssize_t pos = -1;
	size_t eol_len = 0;

	if (start != NULL)
		from = *start;
	else
		evbuffer_ptr_set(buffer, &from, 0, EVBUFFER_PTR_SET);
	it = from;
	if (from.pos >= 0)
		pos = find_eol(buffer, &it, eol_style, &eol_len);
	if (pos < 0) {
		eol_len = 0;
		from.pos = -1;
	} else {
		evbuffer_ptr_set(buffer, &from, (size_t)(pos - from.pos),
		                 EVBUFFER_PTR_ADD);
	}
	if (eol_len_out != NULL)
		*eol_len_out = eol_len;
	return from;
}

/* The line is copied out, then it and its end of line are removed. */
char *
evbuffer_readln(struct evbuffer *buffer, size_t *n_read_out,
                enum evbuffer_eol_style eol_style)
{
	struct evbuffer_ptr it;
	ev_ssize_t pos;
	size_t eol_len, n;
	char *line;

	if (n_read_out != NULL)
		*n_read_out = 0;
	evbuffer_ptr_set(buffer, &it, 0, EVBUFFER_PTR_SET);
	pos = find_eol(buffer, &it, eol_style, &eol_len);
	if (pos < 0)
		return NULL;
	n = (size_t)pos;
	line = mm_malloc_(n + 1);
	if (line == NULL)
		return NULL;
	/* Either fails only if the front is frozen: the remove when the line
	 * is not empty, and then nothing was removed. */
	if (evbuffer_remove(buffer, line, n) != (int)n ||
	    evbuffer_drain(buffer, eol_len) < 0) {
		mm_free_(line);
		return NULL;
	}
	line[n] = '\0';
	if (n_read_out != NULL)
		*n_read_out = n;
	return line;
}
