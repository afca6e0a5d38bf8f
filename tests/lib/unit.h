/*
 * unit.h - the small unit-test framework of the lib tests (tests/lib).
 *
 * Each test case is a void function. unit_main() runs every case, or the
 * ones named on the command line, each in its own child process (fork) with
 * a time limit, so that a crash, a failed assertion or an event loop that
 * never returns fails that case alone and the run goes on. It prints one
 * line per case ("ok", "skip" or "FAIL") and a summary, and exits 0 only
 * if nothing failed.
 *
 * Interface:
 *  - UNIT_TEST(name): a table entry for the function test_name
 *  - unit_main(argc, argv, table): the whole program; options
 *    -l (list the cases), -n (no fork: run in this process, for a
 *    debugger), -t SECONDS (time limit per case; default 10, or
 *    $UNIT_TIMEOUT)
 *  - assert_*(...): on failure print the expression, both sides, file and
 *    line, and end the case as failed
 *  - unit_skip(why): end the case as skipped (the feature is missing)
 *  - struct unit_trace, unit_trace(): a string that callbacks append
 *    words to, so a test can compare the order things ran in
 */
#ifndef UNIT_H_INCLUDED_
#define UNIT_H_INCLUDED_

#include <stddef.h>
#include <string.h>

struct unit_test {
	const char *name;
	void (*fn)(void);
};

#define UNIT_TEST(name)                                                        \
	{                                                                      \
#name, test_##name                                             \
	}
#define UNIT_END                                                               \
	{                                                                      \
		NULL, NULL                                                     \
	}

int unit_main(int argc, char **argv, const struct unit_test *tests);

/* The exit status of a skipped case (as automake uses it). */
#define UNIT_SKIP_STATUS 77

void unit_skip(const char *why) __attribute__((noreturn));
void unit_fail_int_(const char *file, int line, const char *expr,
                    const char *a_text, long long a, const char *b_text,
                    long long b) __attribute__((noreturn));
void unit_fail_str_(const char *file, int line, const char *expr,
                    const char *a_text, const char *a, const char *b_text,
                    const char *b) __attribute__((noreturn));
void unit_fail_ptr_(const char *file, int line, const char *expr,
                    const char *a_text, const void *a, const char *b_text,
                    const void *b) __attribute__((noreturn));
void unit_fail_(const char *file, int line, const char *fmt, ...)
        __attribute__((noreturn, format(printf, 3, 4)));

/* Both sides are evaluated once, as long long, then compared with op. */
#define assert_int_op_(name, a, op, b)                                         \
	do {                                                                   \
		long long a_ = (long long)(a), b_ = (long long)(b);            \
		if (!(a_ op b_))                                               \
			unit_fail_int_(__FILE__, __LINE__,                     \
			               name "(" #a ", " #b ")", #a, a_, #b,    \
			               b_);                                    \
	} while (0)

#define assert_int_eq(a, b) assert_int_op_("assert_int_eq", a, ==, b)
#define assert_int_ne(a, b) assert_int_op_("assert_int_ne", a, !=, b)
#define assert_int_lt(a, b) assert_int_op_("assert_int_lt", a, <, b)
#define assert_int_le(a, b) assert_int_op_("assert_int_le", a, <=, b)
#define assert_int_gt(a, b) assert_int_op_("assert_int_gt", a, >, b)
#define assert_int_ge(a, b) assert_int_op_("assert_int_ge", a, >=, b)

#define assert_true(expr)                                                      \
	do {                                                                   \
		if (!(expr))                                                   \
			unit_fail_(__FILE__, __LINE__,                         \
			           "assert_true(%s) failed: it is false",      \
			           #expr);                                     \
	} while (0)

#define assert_false(expr)                                                     \
	do {                                                                   \
		if (expr)                                                      \
			unit_fail_(__FILE__, __LINE__,                         \
			           "assert_false(%s) failed: it is true",      \
			           #expr);                                     \
	} while (0)

#define assert_ptr_op_(name, a, op, b)                                         \
	do {                                                                   \
		const void *a_ = (a), *b_ = (b);                               \
		if (!(a_ op b_))                                               \
			unit_fail_ptr_(__FILE__, __LINE__,                     \
			               name "(" #a ", " #b ")", #a, a_, #b,    \
			               b_);                                    \
	} while (0)

#define assert_ptr_eq(a, b) assert_ptr_op_("assert_ptr_eq", a, ==, b)
#define assert_ptr_ne(a, b) assert_ptr_op_("assert_ptr_ne", a, !=, b)

#define assert_null(a)                                                         \
	do {                                                                   \
		const void *a_ = (a);                                          \
		if (a_)                                                        \
			unit_fail_(__FILE__, __LINE__,                         \
			           "assert_null(%s) failed: it is %p", #a,     \
			           a_);                                        \
	} while (0)

#define assert_not_null(a)                                                     \
	do {                                                                   \
		if (!(a))                                                      \
			unit_fail_(__FILE__, __LINE__,                         \
			           "assert_not_null(%s) failed: it is NULL",   \
			           #a);                                        \
	} while (0)

/* NULL is allowed on either side and equals only NULL. */
#define assert_str_eq(a, b)                                                    \
	do {                                                                   \
		const char *a_ = (a), *b_ = (b);                               \
		if (a_ != b_ && (!a_ || !b_ || strcmp(a_, b_) != 0))           \
			unit_fail_str_(__FILE__, __LINE__,                     \
			               "assert_str_eq(" #a ", " #b ")", #a,    \
			               a_, #b, b_);                            \
	} while (0)

/* Both strings must be non-NULL and differ. */
#define assert_str_ne(a, b)                                                    \
	do {                                                                   \
		const char *a_ = (a), *b_ = (b);                               \
		if (!a_ || !b_ || strcmp(a_, b_) == 0)                         \
			unit_fail_str_(__FILE__, __LINE__,                     \
			               "assert_str_ne(" #a ", " #b ")", #a,    \
			               a_, #b, b_);                            \
	} while (0)

/* Passes when needle occurs in haystack. */
#define assert_str_contains(haystack, needle)                                  \
	do {                                                                   \
		const char *a_ = (haystack), *b_ = (needle);                   \
		if (!a_ || !b_ || !strstr(a_, b_))                             \
			unit_fail_str_(__FILE__, __LINE__,                     \
			               "assert_str_contains(" #haystack        \
			               ", " #needle ")",                       \
			               #haystack, a_, #needle, b_);            \
	} while (0)

/* A words-in-order record: unit_trace(&t, "a%d", 1) appends "a1", with a
 * space before it unless it is the first word. */
struct unit_trace {
	char buf[1024];
	size_t len;
};

void unit_trace(struct unit_trace *t, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

#endif /* UNIT_H_INCLUDED_ */
