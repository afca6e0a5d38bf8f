/*
 * rot13.c - the ROT13 line protocol (see rot13.h). Chapter 01.
 *
 * A line is rotated as its bytes arrive and held in struct rot13_line until
 * its '\n' comes or it reaches ROT13_LINE_MAX bytes; then it is copied to the
 * caller's output as one answer. Memory per connection is therefore one
 * struct rot13_line, whatever the client sends.
 */
#include <string.h>

#include "rot13.h"

char
rot13_char(char c)
{
	/* Compare ranges instead of isalpha(): a locale could make other bytes
	 * letters, and the protocol says only ASCII letters change. */
	if ((c >= 'a' && c <= 'm') || (c >= 'A' && c <= 'M'))
		return (char)(c + 13);
	if ((c >= 'n' && c <= 'z') || (c >= 'N' && c <= 'Z'))
		return (char)(c - 13);
	return c;
}

/* Appends the held line and its '\n' to out; returns the bytes written. */
static size_t
rot13_answer(struct rot13_line *line, char *out)
{
	size_t n = line->len;

	memcpy(out, line->buf, n);
	out[n] = '\n';
	line->len = 0;
	return n + 1;
}

size_t
rot13_feed(struct rot13_line *line, const char *in, size_t n, char *out)
{
	size_t produced = 0;

	for (size_t i = 0; i < n; i++) {
		if (in[i] == '\n') {
			produced += rot13_answer(line, out + produced);
			continue;
		}
		line->buf[line->len++] = rot13_char(in[i]);
		if (line->len == ROT13_LINE_MAX)
			produced += rot13_answer(line, out + produced);
	}
	return produced;
}

size_t
rot13_flush(struct rot13_line *line, char *out)
{
	if (line->len == 0)
		return 0;
	return rot13_answer(line, out);
}
