/*
 * readln_split.c - chapter 13: evbuffer_readln's five end-of-line styles,
 * when the bytes of a line arrive in several reads.
 *
 * The reads are the arguments (C escapes: \r \n \t \0 \\ \xHH); by default
 * "ab\r" then "\ncd\n": the CR and LF of one CRLF split across two reads,
 * as TCP may deliver them. For each EVBUFFER_EOL_* style, a fresh evbuffer
 * gets the reads one by one, and after each read every line readln can
 * take out is taken; the row shows those lines per read ("-": none) and
 * what is left in the buffer at the end. evbuffer_add() puts consecutive
 * reads into the same chunk when it has room; with -c each read becomes a
 * chunk of its own (evbuffer_add_reference), so the split is a chunk
 * boundary too. The answers must not change.
 *
 * Run:   ./readln_split [-c] [READ...]
 *        ./readln_split
 *        ./readln_split 'Host: a\r\n\r\n'
 * Watch: EVBUFFER_EOL_ANY answers "ab" at once and then an empty line for
 * the lone "\n": one line became two. And it never sees the empty line
 * that ends a header block ("\r\n\r\n" is one end of line to it). CRLF waits
 * for the "\n" that may follow a final "\r"; CRLF_STRICT ignores a bare "\n";
 * LF keeps the "\r".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#define MAX_READS 16
#define MAX_ARG   4096 /* bytes in one read, after unescaping */
#define TEXT_MAX  8192 /* one cell of the table, escaped */

static const struct {
	enum evbuffer_eol_style style;
	const char *name;
} styles[] = {
        {EVBUFFER_EOL_ANY, "EVBUFFER_EOL_ANY"},
        {EVBUFFER_EOL_CRLF, "EVBUFFER_EOL_CRLF"},
        {EVBUFFER_EOL_CRLF_STRICT, "EVBUFFER_EOL_CRLF_STRICT"},
        {EVBUFFER_EOL_LF, "EVBUFFER_EOL_LF"},
        {EVBUFFER_EOL_NUL, "EVBUFFER_EOL_NUL"},
};
#define NSTYLES (sizeof(styles) / sizeof(styles[0]))

struct chunk {
	char bytes[MAX_ARG];
	size_t len;
};

static size_t unescape(const char *s, char *out);
static void escape(const char *p, size_t n, char *out);
static void run_style(size_t s, const struct chunk *reads, int nreads,
                      int chunked, char cells[][TEXT_MAX]);
static void take_lines(struct evbuffer *buf, enum evbuffer_eol_style style,
                       char *cell);
static int column_width(char cells[][MAX_READS + 1][TEXT_MAX], int r);
_Noreturn static void die(const char *what);

int
main(int argc, char **argv)
{
	static const char *const dflt[] = {"ab\\r", "\\ncd\\n"};
	static struct chunk reads[MAX_READS];
	static char cells[NSTYLES][MAX_READS + 1][TEXT_MAX];
	int chunked = argc > 1 && strcmp(argv[1], "-c") == 0;
	const char *const *args = (const char *const *)argv + 1 + chunked;
	int nreads = argc - 1 - chunked;

	if (nreads == 0) {
		args = dflt;
		nreads = 2;
	}
	if (nreads > MAX_READS) {
		fprintf(stderr,
		        "usage: readln_split [-c] [READ...] (at most %d)\n",
		        MAX_READS);
		return 2;
	}
	printf("reads:");
	for (int r = 0; r < nreads; r++) {
		if (strlen(args[r]) >= MAX_ARG)
			die("a read is too long");
		reads[r].len = unescape(args[r], reads[r].bytes);
		escape(reads[r].bytes, reads[r].len, cells[0][0]);
		printf(" %s%s", cells[0][0], r + 1 < nreads ? " then" : "\n");
	}
	for (size_t s = 0; s < NSTYLES; s++)
		run_style(s, reads, nreads, chunked, cells[s]);
	for (size_t s = 0; s < NSTYLES; s++) {
		printf("%-25s", styles[s].name);
		for (int r = 0; r < nreads; r++)
			printf(" %-*s |", column_width(cells, r), cells[s][r]);
		printf(" left %s\n", cells[s][nreads]);
	}
	return 0;
}

/* Feeds the reads to a new buffer with one style; cells[r] gets the lines
 * taken after read r, cells[nreads] what was left at the end. */
static void
run_style(size_t s, const struct chunk *reads, int nreads, int chunked,
          char cells[][TEXT_MAX])
{
	struct evbuffer *buf = evbuffer_new();
	unsigned char *rest;

	if (buf == NULL)
		die("evbuffer_new");
	for (int r = 0; r < nreads; r++) {
		if ((chunked ? evbuffer_add_reference(buf, reads[r].bytes,
		                                      reads[r].len, NULL, NULL)
		             : evbuffer_add(buf, reads[r].bytes,
		                            reads[r].len)) < 0)
			die("evbuffer_add");
		take_lines(buf, styles[s].style, cells[r]);
	}
	rest = evbuffer_pullup(buf, -1);
	escape((char *)rest, evbuffer_get_length(buf), cells[nreads]);
	evbuffer_free(buf);
}

/* Takes every complete line out of buf; writes them into cell, escaped
 * and separated by spaces, or "-" if there was none. */
static void
take_lines(struct evbuffer *buf, enum evbuffer_eol_style style, char *cell)
{
	char *line, text[TEXT_MAX];
	size_t n, used = 0;

	strcpy(cell, "-");
	while ((line = evbuffer_readln(buf, &n, style)) != NULL) {
		escape(line, n, text);
		if (used + strlen(text) + 2 > TEXT_MAX)
			die("too many lines for one cell");
		used += (size_t)sprintf(cell + used, "%s%s", used ? " " : "",
		                        text);
		free(line); /* readln's line is malloc'ed; it is ours */
	}
}

/* The widest cell of column r. */
static int
column_width(char cells[][MAX_READS + 1][TEXT_MAX], int r)
{
	size_t w = 0;

	for (size_t s = 0; s < NSTYLES; s++)
		w = strlen(cells[s][r]) > w ? strlen(cells[s][r]) : w;
	return (int)w;
}

/* C escapes to bytes; returns the count (a "\0" makes a NUL byte). */
static size_t
unescape(const char *s, char *out)
{
	static const char names[] = "rnt0", values[] = {'\r', '\n', '\t', 0};
	const char *e;
	unsigned hex;
	size_t n = 0;
	int k;

	for (; *s; s++) {
		if (*s != '\\' || s[1] == '\0')
			out[n++] = *s;
		else if (s[1] == 'x' && sscanf(s + 2, "%2x%n", &hex, &k) == 1)
			out[n++] = (char)hex, s += 1 + k;
		else if ((e = strchr(names, *++s)) != NULL)
			out[n++] = values[e - names];
		else
			out[n++] = *s; /* \\ and any other escaped byte */
	}
	return n;
}

/* Bytes to a quoted string with C escapes; a quote inside is \x22, so the
 * string ends at the first '"' after its opening one. */
static void
escape(const char *p, size_t n, char *out)
{
	size_t o = 0;

	out[o++] = '"';
	for (size_t i = 0; i < n && o + 6 < TEXT_MAX; i++) {
		unsigned char c = (unsigned char)p[i];
		const char *e = c == '\r'   ? "\\r"
		                : c == '\n' ? "\\n"
		                : c == '\t' ? "\\t"
		                : c == '\0' ? "\\0"
		                : c == '\\' ? "\\\\"
		                            : NULL;
		if (e)
			o += (size_t)sprintf(out + o, "%s", e);
		else if (c < 0x20 || c >= 0x7f || c == '"')
			o += (size_t)sprintf(out + o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	strcpy(out + o, "\"");
}

_Noreturn static void
die(const char *what)
{
	fprintf(stderr, "readln_split: %s\n", what);
	exit(1);
}
