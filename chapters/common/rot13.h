/*
 * rot13.h - the ROT13 line protocol that every server in the tutorial speaks.
 *
 * Introduced in chapter 01 (blocking-io). The rules (README.md, "The ROT13
 * line protocol"):
 *  - each line ending in '\n' is answered with its ROT13 and '\n'; only ASCII
 *    letters change, every other byte (NUL and '\r' too) comes back as it was;
 *  - once ROT13_LINE_MAX bytes of one line are buffered they are answered
 *    (followed by '\n') and the rest of the line goes on as a new line, so a
 *    connection never holds more than ROT13_LINE_MAX bytes of a line;
 *  - at the client's EOF an unterminated last line is answered too.
 *
 * Interface:
 *  - rot13_char():  one byte
 *  - rot13_feed():  turns received bytes into the answers they complete
 *  - rot13_flush(): answers the unterminated line at EOF
 *  - ROT13_OUT_MAX(n): how much room feed and flush may need for n bytes
 */
#ifndef COMMON_ROT13_H_INCLUDED_
#define COMMON_ROT13_H_INCLUDED_

#include <stddef.h>

#define ROT13_LINE_MAX 16384

/* The line being assembled on one connection: bytes already rotated. */
struct rot13_line {
	size_t len;
	char buf[ROT13_LINE_MAX];
};

/*
 * Room that rot13_feed() (and a following rot13_flush()) may write for n
 * input bytes: the partial line already held plus the n new bytes, one extra
 * '\n' for every ROT13_LINE_MAX of them, and one for the flush.
 */
#define ROT13_OUT_MAX(n)                                                       \
	((ROT13_LINE_MAX + (size_t)(n)) +                                      \
	 (ROT13_LINE_MAX + (size_t)(n)) / ROT13_LINE_MAX + 1)

/* Rotates an ASCII letter by 13 places; any other byte is returned as is. */
char rot13_char(char c);

/*
 * Consumes all n bytes of in. Bytes of an unfinished line are kept in line;
 * every answer they complete is appended to out, which must have room for
 * ROT13_OUT_MAX(n) bytes. Returns the number of bytes written to out.
 */
size_t rot13_feed(struct rot13_line *line, const char *in, size_t n, char *out);

/*
 * At EOF: if a line is unfinished, writes its answer (and '\n') to out, which
 * needs ROT13_LINE_MAX + 1 bytes of room. Returns the bytes written (0 if
 * there was nothing to answer).
 */
size_t rot13_flush(struct rot13_line *line, char *out);

#endif /* COMMON_ROT13_H_INCLUDED_ */
