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
 *    begin the next, so the scan remembers where the last chunk ended in
 *    '\r'. A '\r' at the very end of the buffer is no end of line yet:
 *    its '\n' may come with the next read.
 *  - ANY: the end of line is the whole run of '\r' and '\n' bytes, which
 *    may go on into the next chunks.
 *  - A '\r' before the start of the search does not count.
 */
#include <string.h>

#include "event2/buffer.h"
#include "mm-internal.h"

/* The bytes from pos to the end of its chunk: their number, 0 at the end
 * of the buffer. */
static size_t
peek_at(struct evbuffer *buf, struct evbuffer_ptr *pos,
        const unsigned char **data)
{
	struct evbuffer_iovec vec;

	if (evbuffer_peek(buf, -1, pos, &vec, 1) < 1)
		return 0;
	*data = vec.iov_base;
	return vec.iov_len;
}

/* The first of data[0..len) that is c1 or c2, or NULL. The '\r' search
 * stops where the '\n' was found, so no byte is scanned twice for long. */
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

/* Remembers in cr the position of data[i] (data begins at pos) if that
 * byte is '\r'; otherwise cr->pos becomes -1. */
static void
note_cr(struct evbuffer *buf, const struct evbuffer_ptr *pos,
        const unsigned char *data, size_t i, struct evbuffer_ptr *cr)
{
	cr->pos = -1;
	if (data[i] == '\r') {
		*cr = *pos;
		evbuffer_ptr_set(buf, cr, i, EVBUFFER_PTR_ADD);
	}
}

/*
 * Moves *pos to the first byte at or after it that is c1 or c2. cr then
 * holds the position of the byte before it if that byte is a '\r' at or
 * after where *pos started (else cr->pos is -1). Returns 0, or -1 if there
 * is no such byte.
 */
static int
find_byte(struct evbuffer *buf, struct evbuffer_ptr *pos, int c1, int c2,
          struct evbuffer_ptr *cr)
{
	const unsigned char *data, *hit;
	size_t len;

	cr->pos = -1;
	while ((len = peek_at(buf, pos, &data)) > 0) {
		hit = find_first(data, len, c1, c2);
		if (hit != NULL) {
			if (hit > data)
				note_cr(buf, pos, data,
				        (size_t)(hit - data) - 1, cr);
			return evbuffer_ptr_set(buf, pos, (size_t)(hit - data),
			                        EVBUFFER_PTR_ADD);
		}
		note_cr(buf, pos, data, len - 1, cr);
		evbuffer_ptr_set(buf, pos, len, EVBUFFER_PTR_ADD);
	}
	return -1;
}

/* How many bytes from pos on are '\r' or '\n' (EVBUFFER_EOL_ANY). */
static size_t
eol_run_length(struct evbuffer *buf, struct evbuffer_ptr pos)
{
	const unsigned char *data;
	size_t len, i, n = 0;

	while ((len = peek_at(buf, &pos, &data)) > 0) {
		for (i = 0; i < len && (data[i] == '\r' || data[i] == '\n');
		     i++)
			;
		n += i;
		if (i < len)
			break;
		evbuffer_ptr_set(buf, &pos, len, EVBUFFER_PTR_ADD);
	}
	return n;
}

/* EVBUFFER_EOL_CRLF_STRICT: a '\n' without its '\r' is passed over.
 * Returns the length of the end of line at *pos (2), or 0 if none. */
static size_t
find_crlf(struct evbuffer *buf, struct evbuffer_ptr *pos)
{
	struct evbuffer_ptr cr;

	while (find_byte(buf, pos, '\n', '\n', &cr) == 0) {
		if (cr.pos >= 0) {
			*pos = cr;
			return 2;
		}
		if (evbuffer_ptr_set(buf, pos, 1, EVBUFFER_PTR_ADD) < 0)
			break;
	}
	return 0;
}

/* Returns the length of the end of line found at *pos, or 0 if none. */
static size_t
find_eol(struct evbuffer *buf, struct evbuffer_ptr *pos,
         enum evbuffer_eol_style eol_style)
{
	struct evbuffer_ptr cr;

	switch (eol_style) {
	case EVBUFFER_EOL_ANY:
		if (find_byte(buf, pos, '\n', '\r', &cr) < 0)
			return 0;
		return eol_run_length(buf, *pos);
	case EVBUFFER_EOL_CRLF:
		if (find_byte(buf, pos, '\n', '\n', &cr) < 0)
			return 0;
		if (cr.pos < 0)
			return 1;
		*pos = cr;
		return 2;
	case EVBUFFER_EOL_CRLF_STRICT:
		return find_crlf(buf, pos);
	case EVBUFFER_EOL_LF:
		return find_byte(buf, pos, '\n', '\n', &cr) < 0 ? 0 : 1;
	case EVBUFFER_EOL_NUL:
		return find_byte(buf, pos, '\0', '\0', &cr) < 0 ? 0 : 1;
	}
	return 0;
}

struct evbuffer_ptr
evbuffer_search_eol(struct evbuffer *buffer, struct evbuffer_ptr *start,
                    size_t *eol_len_out, enum evbuffer_eol_style eol_style)
{
	struct evbuffer_ptr pos;
	size_t eol_len = 0;

	if (start != NULL)
		pos = *start;
	else
		evbuffer_ptr_set(buffer, &pos, 0, EVBUFFER_PTR_SET);
	if (pos.pos >= 0)
		eol_len = find_eol(buffer, &pos, eol_style);
	if (eol_len == 0)
		pos.pos = -1;
	if (eol_len_out != NULL)
		*eol_len_out = eol_len;
	return pos;
}

/* The line is copied out, then it and its end of line are removed. */
char *
evbuffer_readln(struct evbuffer *buffer, size_t *n_read_out,
                enum evbuffer_eol_style eol_style)
{
	struct evbuffer_ptr eol;
	size_t eol_len, n;
	char *line;

	if (n_read_out != NULL)
		*n_read_out = 0;
	eol = evbuffer_search_eol(buffer, NULL, &eol_len, eol_style);
	if (eol.pos < 0)
		return NULL;
	n = (size_t)eol.pos;
	line = mm_malloc_(n + 1);
	if (line == NULL)
		return NULL;
	/* Fails only if the front is frozen: then nothing was removed. */
	if (evbuffer_remove(buffer, line, n) != (int)n) {
		mm_free_(line);
		return NULL;
	}
	evbuffer_drain(buffer, eol_len);
	line[n] = '\0';
	if (n_read_out != NULL)
		*n_read_out = n;
	return line;
}
