/*
 * test_evutil.c - event2/util.h (evutil), and the log and allocator hooks
 * of event2/event.h that evutil's functions go through.
 *
 * The same source builds against libevent 2.1 and against minievent, and
 * passes on both: every expected value below is what libevent does, so a
 * case that fails only on minievent is a difference to fix (or to list in
 * lib/README.md). Nothing here depends on the backend.
 *
 * Run: make -C tests/lib LIB=minievent && \
 *      tests/lib/run.sh epoll tests/lib/build-minievent/test_evutil
 * or both libraries at once: make -C lib check-evutil
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/util.h>

#include "unit.h"

/* ---- Types and limits ---- */

static void
test_integer_types(void)
{
	/* libevent makes them macros, and programs may test for them. */
#if !defined(ev_uint64_t) || !defined(ev_int8_t) || !defined(ev_ssize_t) ||    \
        !defined(ev_socklen_t) || !defined(evutil_socket_t)
	unit_fail_(__FILE__, __LINE__, "an ev_* type is not a #define");
#endif
	assert_int_eq(sizeof(ev_uint64_t), 8);
	assert_int_eq(sizeof(ev_int64_t), 8);
	assert_int_eq(sizeof(ev_uint32_t), 4);
	assert_int_eq(sizeof(ev_int32_t), 4);
	assert_int_eq(sizeof(ev_uint16_t), 2);
	assert_int_eq(sizeof(ev_int16_t), 2);
	assert_int_eq(sizeof(ev_uint8_t), 1);
	assert_int_eq(sizeof(ev_int8_t), 1);
	assert_int_eq(sizeof(ev_uintptr_t), sizeof(void *));
	assert_int_eq(sizeof(ev_intptr_t), sizeof(void *));
	assert_int_eq(sizeof(ev_ssize_t), sizeof(size_t));
	assert_int_eq(sizeof(ev_off_t), 8);
	assert_int_eq(sizeof(ev_socklen_t), sizeof(socklen_t));
	assert_int_eq(sizeof(evutil_socket_t), sizeof(int));
	assert_true((ev_int8_t)-1 < 0);
	assert_true((ev_uint8_t)-1 > 0);
}

static void
test_integer_limits(void)
{
	assert_true(EV_UINT64_MAX == 0xffffffffffffffffull);
	assert_int_eq(EV_INT64_MAX, 0x7fffffffffffffffll);
	assert_true(EV_INT64_MIN == -EV_INT64_MAX - 1);
	assert_int_eq(EV_UINT32_MAX, 0xffffffffll);
	assert_int_eq(EV_INT32_MAX, 0x7fffffff);
	assert_int_eq(EV_INT32_MIN, -0x7fffffffll - 1);
	assert_int_eq(EV_UINT16_MAX, 65535);
	assert_int_eq(EV_INT16_MAX, 32767);
	assert_int_eq(EV_INT16_MIN, -32768);
	assert_int_eq(EV_UINT8_MAX, 255);
	assert_int_eq(EV_INT8_MAX, 127);
	assert_int_eq(EV_INT8_MIN, -128);
	assert_true(EV_SIZE_MAX == (size_t)-1);
	assert_int_eq(EV_SSIZE_MAX, (ev_ssize_t)(EV_SIZE_MAX >> 1));
	assert_int_eq(EV_SSIZE_MIN, -EV_SSIZE_MAX - 1);
}

/* ---- Sockets ---- */

/* The warnings evutil logs, captured through event_set_log_callback(). A
 * log callback takes no argument, so the capture must be a static. */
static char captured_log[512];
static int captured_severity = -1;

static void
capture_log_cb(int severity, const char *msg)
{
	captured_severity = severity;
	snprintf(captured_log, sizeof(captured_log), "%s", msg);
}

/* A file descriptor number that is surely not open. */
static int
closed_fd(void)
{
	int fd = dup(0);

	assert_int_ge(fd, 0);
	assert_int_eq(close(fd), 0);
	return fd;
}

static void
test_socketpair(void)
{
	evutil_socket_t sv[2];
	char buf[4] = "";

	assert_int_eq(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_eq(write(sv[0], "abc", 3), 3);
	assert_int_eq(read(sv[1], buf, sizeof(buf) - 1), 3);
	assert_str_eq(buf, "abc");
	assert_int_eq(evutil_closesocket(sv[0]), 0);
	assert_int_eq(evutil_closesocket(sv[1]), 0);
	assert_int_eq(evutil_socketpair(-1, SOCK_STREAM, 0, sv), -1);
}

static void
test_make_socket_nonblocking(void)
{
	evutil_socket_t sv[2];
	char byte;

	assert_int_eq(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_eq(fcntl(sv[0], F_GETFL) & O_NONBLOCK, 0);
	assert_int_eq(evutil_make_socket_nonblocking(sv[0]), 0);
	assert_int_ne(fcntl(sv[0], F_GETFL) & O_NONBLOCK, 0);
	/* A read with nothing to read now fails instead of waiting. */
	assert_int_eq(read(sv[0], &byte, 1), -1);
	assert_int_eq(errno, EAGAIN);
	/* Again is harmless. */
	assert_int_eq(evutil_make_socket_nonblocking(sv[0]), 0);
	assert_int_eq(evutil_closesocket(sv[0]), 0);
	assert_int_eq(evutil_closesocket(sv[1]), 0);
}

static void
test_make_socket_nonblocking_bad_fd_logs(void)
{
	char expect[128];
	int fd = closed_fd();

	event_set_log_callback(capture_log_cb);
	errno = 0;
	assert_int_eq(evutil_make_socket_nonblocking(fd), -1);
	assert_int_eq(errno, EBADF);
	assert_int_eq(captured_severity, EVENT_LOG_WARN);
	snprintf(expect, sizeof(expect), "fcntl(%d, F_GETFL): %s", fd,
	         strerror(EBADF));
	assert_str_eq(captured_log, expect);
	event_set_log_callback(NULL);
}

static void
test_make_socket_closeonexec(void)
{
	evutil_socket_t sv[2];

	assert_int_eq(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_eq(fcntl(sv[0], F_GETFD) & FD_CLOEXEC, 0);
	assert_int_eq(evutil_make_socket_closeonexec(sv[0]), 0);
	assert_int_ne(fcntl(sv[0], F_GETFD) & FD_CLOEXEC, 0);
	assert_int_eq(evutil_make_socket_closeonexec(sv[0]), 0);
	assert_int_eq(evutil_closesocket(sv[0]), 0);
	assert_int_eq(evutil_closesocket(sv[1]), 0);
	event_set_log_callback(capture_log_cb);
	assert_int_eq(evutil_make_socket_closeonexec(closed_fd()), -1);
	assert_int_eq(captured_severity, EVENT_LOG_WARN);
	event_set_log_callback(NULL);
}

static int
sockopt_value(int fd, int level, int name)
{
	int value = -1;
	socklen_t len = sizeof(value);

	assert_int_eq(getsockopt(fd, level, name, &value, &len), 0);
	return value;
}

static void
test_listen_socket_options(void)
{
	evutil_socket_t fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_int_ge(fd, 0);
	assert_int_eq(sockopt_value(fd, SOL_SOCKET, SO_REUSEADDR), 0);
	assert_int_eq(evutil_make_listen_socket_reuseable(fd), 0);
	assert_int_eq(sockopt_value(fd, SOL_SOCKET, SO_REUSEADDR), 1);
	assert_int_eq(evutil_make_listen_socket_reuseable_port(fd), 0);
	assert_int_eq(sockopt_value(fd, SOL_SOCKET, SO_REUSEPORT), 1);
	assert_int_eq(evutil_make_tcp_listen_socket_deferred(fd), 0);
	assert_int_gt(sockopt_value(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT), 0);
	assert_int_eq(evutil_closesocket(fd), 0);
	fd = closed_fd();
	assert_int_eq(evutil_make_listen_socket_reuseable(fd), -1);
	assert_int_eq(evutil_make_listen_socket_reuseable_port(fd), -1);
	assert_int_eq(evutil_make_tcp_listen_socket_deferred(fd), -1);
}

static void
test_listen_socket_ipv6only(void)
{
	evutil_socket_t fd = socket(AF_INET6, SOCK_STREAM, 0);

	if (fd < 0)
		unit_skip("no IPv6 sockets here");
	assert_int_eq(evutil_make_listen_socket_ipv6only(fd), 0);
	assert_int_eq(sockopt_value(fd, IPPROTO_IPV6, IPV6_V6ONLY), 1);
	assert_int_eq(evutil_closesocket(fd), 0);
	assert_int_eq(evutil_make_listen_socket_ipv6only(closed_fd()), -1);
}

static void
test_closesocket(void)
{
	evutil_socket_t sv[2];

	assert_int_eq(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_eq(evutil_closesocket(sv[0]), 0);
	assert_int_eq(EVUTIL_CLOSESOCKET(sv[1]), 0);
	/* Closed: a second close fails with EBADF. */
	assert_int_eq(evutil_closesocket(sv[0]), -1);
	assert_int_eq(errno, EBADF);
	assert_int_eq(EVUTIL_INVALID_SOCKET, -1);
}

static void
test_socket_error_macros(void)
{
	EVUTIL_SET_SOCKET_ERROR(EPIPE);
	assert_int_eq(errno, EPIPE);
	assert_int_eq(EVUTIL_SOCKET_ERROR(), EPIPE);
	assert_int_eq(evutil_socket_geterror(0), EPIPE);
	assert_str_eq(evutil_socket_error_to_string(ECONNRESET),
	              strerror(ECONNRESET));
}

/* ---- Time ---- */

static struct timeval
tv(long sec, long usec)
{
	struct timeval t = {.tv_sec = sec, .tv_usec = usec};

	return t;
}

static void
test_timer_macros(void)
{
	struct timeval a = tv(1, 700000), b = tv(2, 400000), r;

	evutil_timeradd(&a, &b, &r);
	assert_int_eq(r.tv_sec, 4);
	assert_int_eq(r.tv_usec, 100000);
	evutil_timersub(&b, &a, &r);
	assert_int_eq(r.tv_sec, 0);
	assert_int_eq(r.tv_usec, 700000);
	evutil_timersub(&a, &b, &r);
	assert_int_eq(r.tv_sec, -1);
	assert_int_eq(r.tv_usec, 300000);
	assert_true(evutil_timercmp(&a, &b, <));
	assert_true(evutil_timercmp(&a, &a, <=));
	assert_true(evutil_timercmp(&a, &a, ==));
	assert_true(evutil_timercmp(&b, &a, >));
	assert_true(evutil_timercmp(&b, &a, >=));
	assert_false(evutil_timercmp(&a, &b, >=));
	/* Same seconds: the microseconds decide. */
	r = tv(1, 800000);
	assert_true(evutil_timercmp(&a, &r, <));
	assert_true(evutil_timerisset(&a));
	evutil_timerclear(&a);
	assert_int_eq(a.tv_sec, 0);
	assert_int_eq(a.tv_usec, 0);
	assert_false(evutil_timerisset(&a));
}

static void
test_gettimeofday(void)
{
	struct timeval now;
	time_t before = time(NULL);

	assert_int_eq(evutil_gettimeofday(&now, NULL), 0);
	assert_int_ge(now.tv_sec, before);
	assert_int_le(now.tv_sec, time(NULL));
	assert_int_ge(now.tv_usec, 0);
	assert_int_lt(now.tv_usec, 1000000);
}

/* Reads timer twice and checks it did not go backwards. */
static void
check_monotonic(int flags)
{
	struct evutil_monotonic_timer *timer = evutil_monotonic_timer_new();
	struct timeval t1, t2;

	assert_not_null(timer);
	assert_int_eq(evutil_configure_monotonic_time(timer, flags), 0);
	assert_int_eq(evutil_gettime_monotonic(timer, &t1), 0);
	assert_int_eq(evutil_gettime_monotonic(timer, &t2), 0);
	assert_true(evutil_timercmp(&t1, &t2, <=));
	assert_int_lt(t2.tv_usec, 1000000);
	evutil_monotonic_timer_free(timer);
}

static void
test_monotonic_timer(void)
{
	check_monotonic(0);
	check_monotonic(EV_MONOT_PRECISE);
	check_monotonic(EV_MONOT_FALLBACK);
}

static void
test_date_rfc1123(void)
{
	struct tm tm = {.tm_year = 94,
	                .tm_mon = 10,
	                .tm_mday = 6,
	                .tm_wday = 0,
	                .tm_hour = 8,
	                .tm_min = 49,
	                .tm_sec = 37};
	char date[64];

	assert_int_eq(evutil_date_rfc1123(date, sizeof(date), &tm), 29);
	assert_str_eq(date, "Sun, 06 Nov 1994 08:49:37 GMT");
	/* Truncated: still terminated, and the return says how long. */
	assert_int_eq(evutil_date_rfc1123(date, 10, &tm), 29);
	assert_str_eq(date, "Sun, 06 N");
	assert_int_eq(evutil_date_rfc1123(date, sizeof(date), NULL), 29);
	assert_str_eq(date + 25, " GMT");
}

/* ---- Strings ---- */

static void
test_strtoll(void)
{
	char *end;

	assert_int_eq(evutil_strtoll("9223372036854775807", NULL, 10),
	              EV_INT64_MAX);
	assert_int_eq(evutil_strtoll("-9223372036854775808", NULL, 10),
	              EV_INT64_MIN);
	errno = 0;
	assert_int_eq(evutil_strtoll("9223372036854775808", NULL, 10),
	              EV_INT64_MAX);
	assert_int_eq(errno, ERANGE);
	assert_int_eq(evutil_strtoll("  -0x10z", &end, 0), -16);
	assert_str_eq(end, "z");
	assert_int_eq(evutil_strtoll("0777", NULL, 0), 511);
	assert_int_eq(evutil_strtoll("zz", NULL, 36), 36 * 35 + 35);
}

static int call_vsnprintf(char *buf, size_t len, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int
call_vsnprintf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = evutil_vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return r;
}

static void
test_snprintf(void)
{
	char buf[8];

	assert_int_eq(evutil_snprintf(buf, sizeof(buf), "%d-%s", 42, "ab"), 5);
	assert_str_eq(buf, "42-ab");
	/* Too long: cut short, terminated, and the full length returned. */
	assert_int_eq(evutil_snprintf(buf, sizeof(buf), "%s", "hello world"),
	              11);
	assert_str_eq(buf, "hello w");
	assert_int_eq(evutil_snprintf(buf, 8, "%s", "exactly"), 7);
	assert_str_eq(buf, "exactly");
	assert_int_eq(evutil_snprintf(buf, 1, "%s", "hello world"), 11);
	assert_str_eq(buf, "");
	/* libevent's rule for an empty buffer: nothing written, 0 returned. */
	memcpy(buf, "xyz", 4);
	assert_int_eq(evutil_snprintf(buf, 0, "%s", "hello world"), 0);
	assert_str_eq(buf, "xyz");
	assert_int_eq(call_vsnprintf(buf, sizeof(buf), "%05d", 42), 5);
	assert_str_eq(buf, "00042");
	assert_int_eq(call_vsnprintf(buf, 4, "%s", "abcdef"), 6);
	assert_str_eq(buf, "abc");
}

struct strcase {
	const char *a, *b;
	size_t n; /* for strncasecmp */
	int all;  /* evutil_ascii_strcasecmp(a, b) */
	int first_n;
};

static void
test_ascii_strcasecmp(void)
{
	/* A byte above 127 compares as the platform's char, as in libevent:
	 * below 'a' where char is signed (x86), above where unsigned. */
	const int high = (char)0x80 < 'a' ? -1 : 1;
	const struct strcase cases[] = {
	        {"abc", "ABC", 3, 0, 0},
	        {"abc", "ABD", 2, -1, 0},
	        {"b", "A", 1, 1, 1},
	        {"ab", "abc", 2, -1, 0},
	        {"abc", "ab", 3, 1, 1},
	        {"", "", 5, 0, 0},
	        {"x", "y", 0, -1, 0},
	        {"Hello", "hELLO!", 5, -1, 0},
	        {"[", "{", 1, -1, -1},
	        {"\x80", "a", 1, high, high},
	        {"HTTP/1.1", "http/1.1", 99, 0, 0},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct strcase *c = &cases[i];
		int all = evutil_ascii_strcasecmp(c->a, c->b);
		int first_n = evutil_ascii_strncasecmp(c->a, c->b, c->n);

		if (all != c->all || first_n != c->first_n)
			unit_fail_(__FILE__, __LINE__,
			           "(\"%s\", \"%s\", n=%zu): strcasecmp %d, "
			           "expected %d; strncasecmp %d, expected %d",
			           c->a, c->b, c->n, all, c->all, first_n,
			           c->first_n);
	}
}

/* ---- Addresses ---- */

static void
check_ntop(int af, const char *text)
{
	unsigned char addr[16];
	char out[64];

	assert_int_eq(inet_pton(af, text, addr), 1);
	assert_ptr_eq(evutil_inet_ntop(af, addr, out, sizeof(out)), out);
	assert_str_eq(out, text);
}

static void
test_inet_ntop(void)
{
	unsigned char addr[16] = {0};
	char small[4];

	check_ntop(AF_INET, "127.0.0.1");
	check_ntop(AF_INET, "255.255.255.255");
	check_ntop(AF_INET6, "::");
	check_ntop(AF_INET6, "::1");
	check_ntop(AF_INET6, "2001:db8::1");
	check_ntop(AF_INET6, "fe80::1:2");
	check_ntop(AF_INET6, "::ffff:1.2.3.4");
	/* The longest run of zero groups is the one shortened. */
	check_ntop(AF_INET6, "1:0:0:1::1");
	check_ntop(AF_INET6, "1:2:3:4:5:6:7:8");
	assert_null(evutil_inet_ntop(AF_INET, addr, small, sizeof(small)));
	/* Too small by more than one: libevent, when the text fits but its
	 * NUL does not, returns it cut short instead of NULL. */
	assert_null(evutil_inet_ntop(AF_INET6, addr, small, 1));
}

struct pton_case {
	int af;
	const char *text;
	int result;
};

static void
test_inet_pton(void)
{
	const struct pton_case cases[] = {
	        {AF_INET, "1.2.3.4", 1},
	        {AF_INET, "0.0.0.0", 1},
	        {AF_INET, "255.255.255.255", 1},
	        /* libevent reads each part as decimal, leading zeros too. */
	        {AF_INET, "01.2.3.4", 1},
	        {AF_INET, "256.1.1.1", 0},
	        {AF_INET, "1.2.3", 0},
	        {AF_INET, "1.2.3.4.5", 0},
	        {AF_INET, "1..2.3", 0},
	        {AF_INET, "1.2.3.4 ", 0},
	        {AF_INET, "1.2.3.4x", 0},
	        {AF_INET, "a.b.c.d", 0},
	        {AF_INET, "", 0},
	        {AF_INET6, "::", 1},
	        {AF_INET6, "::1", 1},
	        {AF_INET6, "2001:db8:0:0:1:0:0:1", 1},
	        {AF_INET6, "::ffff:1.2.3.4", 1},
	        {AF_INET6, "1:2:3:4:5:6:7:8", 1},
	        {AF_INET6, "1:2:3:4:5:6:7:8:9", 0},
	        {AF_INET6, "1::2::3", 0},
	        {AF_INET6, "12345::", 0},
	        {AF_INET6, "g::", 0},
	        {AF_INET6, "1.2.3.4", 0},
	        {AF_INET6, "", 0},
	        {AF_UNIX, "1.2.3.4", -1},
	};
	unsigned char addr[16];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct pton_case *c = &cases[i];
		int r = evutil_inet_pton(c->af, c->text, addr);

		if (r != c->result)
			unit_fail_(__FILE__, __LINE__,
			           "evutil_inet_pton(%d, \"%s\") = %d, "
			           "expected %d",
			           c->af, c->text, r, c->result);
	}
	assert_int_eq(evutil_inet_pton(AF_INET, "10.0.0.1", addr), 1);
	assert_int_eq(memcmp(addr, "\x0a\x00\x00\x01", 4), 0);
	assert_int_eq(evutil_inet_pton(AF_INET, "010.0.0.1", addr), 1);
	assert_int_eq(addr[0], 10);
}

static void
test_inet_pton_scope(void)
{
	struct in6_addr addr, expect;
	unsigned index = 99;

	assert_int_eq(inet_pton(AF_INET6, "fe80::1", &expect), 1);
	assert_int_eq(
	        evutil_inet_pton_scope(AF_INET6, "fe80::1", &addr, &index), 1);
	assert_int_eq(index, 0);
	assert_int_eq(
	        evutil_inet_pton_scope(AF_INET6, "fe80::1%7", &addr, &index),
	        1);
	assert_int_eq(index, 7);
	assert_int_eq(memcmp(&addr, &expect, sizeof(addr)), 0);
	if (if_nametoindex("lo") != 0) {
		assert_int_eq(evutil_inet_pton_scope(AF_INET6, "fe80::1%lo",
		                                     &addr, &index),
		              1);
		assert_int_eq(index, if_nametoindex("lo"));
	}
	assert_int_eq(evutil_inet_pton_scope(AF_INET6, "fe80::1%nosuch0", &addr,
	                                     &index),
	              0);
	assert_int_eq(evutil_inet_pton_scope(AF_INET, "1.2.3.4", &addr, &index),
	              1);
	assert_int_eq(index, 0);
}

struct parse_case {
	const char *text;
	int result;          /* 0 or -1 */
	const char *address; /* as inet_ntop writes it */
	int port;
};

/* Parses c->text and compares with what libevent gives. */
static void
check_parse(const struct parse_case *c)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	int len = sizeof(ss), port = -1;
	char addr[64] = "";
	int r = evutil_parse_sockaddr_port(c->text, (struct sockaddr *)&ss,
	                                   &len);

	if (r == 0 && ss.ss_family == AF_INET) {
		inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof(addr));
		port = ntohs(sin->sin_port);
		len -= (int)sizeof(*sin);
	} else if (r == 0 && ss.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &sin6->sin6_addr, addr, sizeof(addr));
		port = ntohs(sin6->sin6_port);
		len -= (int)sizeof(*sin6);
	}
	if (r != c->result ||
	    (r == 0 && (strcmp(addr, c->address) || port != c->port || len)))
		unit_fail_(__FILE__, __LINE__,
		           "parse(\"%s\") = %d, %s port %d (len off by %d); "
		           "expected %d, %s port %d",
		           c->text, r, addr, port, len, c->result,
		           c->address ? c->address : "-", c->port);
}

static void
test_parse_sockaddr_port(void)
{
	const struct parse_case cases[] = {
	        {"1.2.3.4", 0, "1.2.3.4", 0},
	        {"1.2.3.4:80", 0, "1.2.3.4", 80},
	        {"1.2.3.4:65535", 0, "1.2.3.4", 65535},
	        {"[::1]", 0, "::1", 0},
	        {"[::1]:8080", 0, "::1", 8080},
	        {"::1", 0, "::1", 0},
	        {"2001:db8::1", 0, "2001:db8::1", 0},
	        {"[::ffff:1.2.3.4]:9", 0, "::ffff:1.2.3.4", 9},
	        /* Two colons make it IPv6: this is an address, no port. */
	        {"::1:80", 0, "::0.1.0.128", 0},
	        /* libevent's port is read like atoi(). */
	        {"1.2.3.4:80abc", 0, "1.2.3.4", 80},
	        {"1.2.3.4: 80", 0, "1.2.3.4", 80},
	        {"1.2.3.4:+80", 0, "1.2.3.4", 80},
	        {"[::1]junk", 0, "::1", 0},
	        {"01.2.3.4", 0, "1.2.3.4", 0},
	        {"1.2.3.4:0", -1, NULL, 0},
	        {"1.2.3.4:65536", -1, NULL, 0},
	        {"1.2.3.4:-1", -1, NULL, 0},
	        {"1.2.3.4:", -1, NULL, 0},
	        {"1.2.3.4:0x50", -1, NULL, 0},
	        {"1.2.3.4:99999999999", -1, NULL, 0},
	        {"[::1]:", -1, NULL, 0},
	        {"[::1]:0", -1, NULL, 0},
	        {"1.2.3", -1, NULL, 0},
	        {"256.1.1.1", -1, NULL, 0},
	        {"[1.2.3.4]", -1, NULL, 0},
	        {"localhost:80", -1, NULL, 0},
	        {":80", -1, NULL, 0},
	        {"[::1", -1, NULL, 0},
	        {"[]:80", -1, NULL, 0},
	        {"", -1, NULL, 0},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_parse(&cases[i]);
}

static void
test_parse_sockaddr_port_outlen(void)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 sin6;
	const unsigned char *bytes = (const unsigned char *)&ss;
	int len = sizeof(struct sockaddr_in) - 1;
	size_t i;

	/* Too small: -1, and *outlen untouched. */
	assert_int_eq(evutil_parse_sockaddr_port("1.2.3.4",
	                                         (struct sockaddr *)&ss, &len),
	              -1);
	assert_int_eq(len, sizeof(struct sockaddr_in) - 1);
	len = sizeof(struct sockaddr_in6) - 1;
	assert_int_eq(evutil_parse_sockaddr_port(
	                      "[::1]:1", (struct sockaddr *)&sin6, &len),
	              -1);
	/* Success zeroes the whole of *outlen bytes, not just the address. */
	memset(&ss, 0xa5, sizeof(ss));
	len = sizeof(ss);
	assert_int_eq(evutil_parse_sockaddr_port("1.2.3.4:1",
	                                         (struct sockaddr *)&ss, &len),
	              0);
	assert_int_eq(len, sizeof(struct sockaddr_in));
	for (i = sizeof(struct sockaddr_in); i < sizeof(ss); i++)
		assert_int_eq(bytes[i], 0);
	len = sizeof(sin6);
	assert_int_eq(evutil_parse_sockaddr_port(
	                      "[fe80::1%5]:7", (struct sockaddr *)&sin6, &len),
	              0);
	assert_int_eq(sin6.sin6_scope_id, 5);
	assert_int_eq(ntohs(sin6.sin6_port), 7);
}

/* Parses text into ss; the test fails if it does not parse. */
static const struct sockaddr *
sa(struct sockaddr_storage *ss, const char *text)
{
	int len = sizeof(*ss);

	if (evutil_parse_sockaddr_port(text, (struct sockaddr *)ss, &len))
		unit_fail_(__FILE__, __LINE__, "cannot parse %s", text);
	return (const struct sockaddr *)ss;
}

static int
sign(int x)
{
	return (x > 0) - (x < 0);
}

static void
test_sockaddr_cmp(void)
{
	struct sockaddr_storage a, b;
	struct sockaddr_storage un = {.ss_family = AF_UNIX};

	assert_int_eq(evutil_sockaddr_cmp(sa(&a, "1.2.3.4:80"),
	                                  sa(&b, "1.2.3.4:80"), 1),
	              0);
	assert_int_ne(evutil_sockaddr_cmp(sa(&a, "1.2.3.4:80"),
	                                  sa(&b, "1.2.3.4:81"), 1),
	              0);
	assert_int_eq(evutil_sockaddr_cmp(sa(&a, "1.2.3.4:80"),
	                                  sa(&b, "1.2.3.4:81"), 0),
	              0);
	assert_int_ne(
	        evutil_sockaddr_cmp(sa(&a, "1.2.3.4"), sa(&b, "1.2.3.5"), 0),
	        0);
	assert_int_eq(
	        evutil_sockaddr_cmp(sa(&a, "[::1]:5"), sa(&b, "[::1]:5"), 1),
	        0);
	assert_int_ne(
	        evutil_sockaddr_cmp(sa(&a, "[::1]:5"), sa(&b, "[::1]:6"), 1),
	        0);
	assert_int_eq(
	        evutil_sockaddr_cmp(sa(&a, "[::1]:5"), sa(&b, "[::1]:6"), 0),
	        0);
	/* Family first: AF_INET (2) sorts before AF_INET6 (10). */
	assert_int_lt(evutil_sockaddr_cmp(sa(&a, "9.9.9.9"), sa(&b, "::"), 0),
	              0);
	assert_int_gt(evutil_sockaddr_cmp(sa(&a, "::"), sa(&b, "9.9.9.9"), 0),
	              0);
	/* IPv6 addresses sort by their bytes. */
	assert_int_lt(evutil_sockaddr_cmp(sa(&a, "::1"), sa(&b, "::2"), 0), 0);
	assert_int_gt(evutil_sockaddr_cmp(sa(&a, "1::"), sa(&b, "::2"), 0), 0);
	/* An order: swapping the arguments flips the sign. */
	assert_int_eq(sign(evutil_sockaddr_cmp(sa(&a, "1.0.0.2"),
	                                       sa(&b, "2.0.0.1"), 0)),
	              -sign(evutil_sockaddr_cmp(sa(&a, "2.0.0.1"),
	                                        sa(&b, "1.0.0.2"), 0)));
	assert_int_eq(sign(evutil_sockaddr_cmp(sa(&a, "1.2.3.4:256"),
	                                       sa(&b, "1.2.3.4:1"), 1)),
	              -sign(evutil_sockaddr_cmp(sa(&a, "1.2.3.4:1"),
	                                        sa(&b, "1.2.3.4:256"), 1)));
	/* Other families are never equal. */
	assert_int_ne(evutil_sockaddr_cmp((struct sockaddr *)&un,
	                                  (struct sockaddr *)&un, 1),
	              0);
}

/* ---- Name resolution ---- */

static void
test_addrinfo_constants(void)
{
	/* Both libraries use the system's values on Linux. */
	assert_int_eq(EVUTIL_AI_PASSIVE, AI_PASSIVE);
	assert_int_eq(EVUTIL_AI_CANONNAME, AI_CANONNAME);
	assert_int_eq(EVUTIL_AI_NUMERICHOST, AI_NUMERICHOST);
	assert_int_eq(EVUTIL_AI_NUMERICSERV, AI_NUMERICSERV);
	assert_int_eq(EVUTIL_AI_V4MAPPED, AI_V4MAPPED);
	assert_int_eq(EVUTIL_AI_ALL, AI_ALL);
	assert_int_eq(EVUTIL_AI_ADDRCONFIG, AI_ADDRCONFIG);
	assert_int_eq(EVUTIL_EAI_ADDRFAMILY, EAI_ADDRFAMILY);
	assert_int_eq(EVUTIL_EAI_AGAIN, EAI_AGAIN);
	assert_int_eq(EVUTIL_EAI_BADFLAGS, EAI_BADFLAGS);
	assert_int_eq(EVUTIL_EAI_FAIL, EAI_FAIL);
	assert_int_eq(EVUTIL_EAI_FAMILY, EAI_FAMILY);
	assert_int_eq(EVUTIL_EAI_MEMORY, EAI_MEMORY);
	assert_int_eq(EVUTIL_EAI_NODATA, EAI_NODATA);
	assert_int_eq(EVUTIL_EAI_NONAME, EAI_NONAME);
	assert_int_eq(EVUTIL_EAI_SERVICE, EAI_SERVICE);
	assert_int_eq(EVUTIL_EAI_SOCKTYPE, EAI_SOCKTYPE);
	assert_int_eq(EVUTIL_EAI_SYSTEM, EAI_SYSTEM);
	assert_int_eq(EVUTIL_EAI_CANCEL, -90001);
}

static void
test_getaddrinfo_numeric(void)
{
	struct evutil_addrinfo hints, *res = NULL;
	const struct sockaddr_in *sin;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = EVUTIL_AI_NUMERICHOST;
	assert_int_eq(evutil_getaddrinfo("127.0.0.1", "8080", &hints, &res), 0);
	assert_not_null(res);
	assert_null(res->ai_next);
	assert_int_eq(res->ai_family, AF_INET);
	assert_int_eq(res->ai_socktype, SOCK_STREAM);
	assert_int_eq(res->ai_protocol, IPPROTO_TCP);
	assert_int_eq(res->ai_addrlen, sizeof(struct sockaddr_in));
	sin = (const struct sockaddr_in *)res->ai_addr;
	assert_int_eq(ntohs(sin->sin_port), 8080);
	assert_int_eq(ntohl(sin->sin_addr.s_addr), 0x7f000001);
	evutil_freeaddrinfo(res);
	res = NULL;
	assert_int_eq(evutil_getaddrinfo("not-an-address", "80", &hints, &res),
	              EVUTIL_EAI_NONAME);
	hints.ai_family = 12345;
	assert_int_eq(evutil_getaddrinfo("127.0.0.1", "80", &hints, &res),
	              EVUTIL_EAI_FAMILY);
	assert_int_eq(evutil_getaddrinfo(NULL, NULL, NULL, &res),
	              EVUTIL_EAI_NONAME);
}

static int
count_results(struct evutil_addrinfo *res)
{
	int n = 0;

	for (; res != NULL; res = res->ai_next)
		n++;
	return n;
}

static void
test_getaddrinfo_passive_and_null_hints(void)
{
	struct evutil_addrinfo hints, *res = NULL, *ai;
	struct addrinfo zero, *sys = NULL;
	int any4 = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = EVUTIL_AI_PASSIVE;
	assert_int_eq(evutil_getaddrinfo(NULL, "80", &hints, &res), 0);
	for (ai = res; ai != NULL; ai = ai->ai_next)
		if (((struct sockaddr_in *)ai->ai_addr)->sin_addr.s_addr ==
		    htonl(INADDR_ANY))
			any4 = 1;
	assert_true(any4);
	evutil_freeaddrinfo(res);
	/* NULL hints mean all-zero hints (not glibc's defaults): every
	 * socket type, so as many results as getaddrinfo with zero hints. */
	memset(&zero, 0, sizeof(zero));
	assert_int_eq(getaddrinfo("127.0.0.1", "80", &zero, &sys), 0);
	assert_int_eq(evutil_getaddrinfo("127.0.0.1", "80", NULL, &res), 0);
	assert_int_eq(count_results(res), count_results(sys));
	assert_int_gt(count_results(res), 1);
	freeaddrinfo(sys);
	evutil_freeaddrinfo(res);
}

static void
test_getaddrinfo_service_name(void)
{
	struct evutil_addrinfo hints, *res = NULL;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = EVUTIL_AI_NUMERICHOST;
	if (evutil_getaddrinfo("127.0.0.1", "http", &hints, &res) != 0)
		unit_skip("no \"http\" in /etc/services here");
	assert_int_eq(ntohs(((struct sockaddr_in *)res->ai_addr)->sin_port),
	              80);
	evutil_freeaddrinfo(res);
	hints.ai_flags |= EVUTIL_AI_NUMERICSERV;
	assert_int_eq(evutil_getaddrinfo("127.0.0.1", "http", &hints, &res),
	              EVUTIL_EAI_NONAME);
}

static void
test_gai_strerror(void)
{
	assert_str_eq(evutil_gai_strerror(EVUTIL_EAI_CANCEL),
	              "Request canceled");
	assert_not_null(evutil_gai_strerror(EVUTIL_EAI_NONAME));
	assert_int_gt(strlen(evutil_gai_strerror(EVUTIL_EAI_NONAME)), 0);
	assert_str_ne(evutil_gai_strerror(EVUTIL_EAI_NONAME),
	              evutil_gai_strerror(EVUTIL_EAI_AGAIN));
}

/* ---- Randomness ---- */

static void
test_secure_rng(void)
{
	unsigned char a[64], b[64], zero[64] = {0};

	assert_int_eq(evutil_secure_rng_init(), 0);
	assert_int_eq(evutil_secure_rng_init(), 0);
	evutil_secure_rng_add_bytes("some entropy", 12);
	evutil_secure_rng_get_bytes(a, sizeof(a));
	evutil_secure_rng_get_bytes(b, sizeof(b));
	/* 2^-512 chances of a false failure. */
	assert_int_ne(memcmp(a, b, sizeof(a)), 0);
	assert_int_ne(memcmp(a, zero, sizeof(a)), 0);
	evutil_secure_rng_get_bytes(a, 0);
}

/* ---- Logging ---- */

/* Runs evutil_make_socket_nonblocking() on a closed descriptor in a child
 * whose stderr is a pipe, and returns what the child wrote there. */
static void
stderr_of_failing_call(char *out, size_t outlen)
{
	int fds[2], status;
	ssize_t n;
	size_t got = 0;
	pid_t pid;

	assert_int_eq(pipe(fds), 0);
	pid = fork();
	assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		evutil_make_socket_nonblocking(closed_fd());
		_exit(0);
	}
	close(fds[1]);
	while (got + 1 < outlen &&
	       (n = read(fds[0], out + got, outlen - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(fds[0]);
	assert_int_eq(waitpid(pid, &status, 0), pid);
	assert_int_eq(status, 0);
}

static void
test_log_default_is_stderr(void)
{
	char out[256], expect[256];
	int fd = -1;

	stderr_of_failing_call(out, sizeof(out));
	/* The descriptor number is the child's: read it back. */
	assert_int_eq(sscanf(out, "[warn] fcntl(%d,", &fd), 1);
	snprintf(expect, sizeof(expect), "[warn] fcntl(%d, F_GETFL): %s\n", fd,
	         strerror(EBADF));
	assert_str_eq(out, expect);
}

static void
test_log_callback_and_reset(void)
{
	char out[256];

	event_set_log_callback(capture_log_cb);
	assert_int_eq(evutil_make_socket_nonblocking(closed_fd()), -1);
	assert_str_contains(captured_log, "F_GETFL");
	/* NULL puts stderr back. */
	event_set_log_callback(NULL);
	captured_log[0] = '\0';
	stderr_of_failing_call(out, sizeof(out));
	assert_str_contains(out, "[warn] fcntl(");
	assert_str_eq(captured_log, "");
}

/* ---- Memory ---- */

/* Counting allocators, for event_set_mem_functions(). */
static int mallocs, reallocs, frees;
static int fail_allocations;

static void *
count_malloc(size_t size)
{
	mallocs++;
	return fail_allocations ? NULL : malloc(size);
}

static void *
count_realloc(void *ptr, size_t size)
{
	reallocs++;
	return fail_allocations ? NULL : realloc(ptr, size);
}

static void
count_free(void *ptr)
{
	if (ptr != NULL)
		frees++;
	free(ptr);
}

static void
test_mem_functions(void)
{
	struct evutil_monotonic_timer *timer;

	event_set_mem_functions(count_malloc, count_realloc, count_free);
	timer = evutil_monotonic_timer_new();
	assert_not_null(timer);
	assert_int_eq(mallocs, 1);
	evutil_monotonic_timer_free(timer);
	assert_int_eq(frees, 1);
	/* An allocator that fails makes the library's allocation fail. */
	fail_allocations = 1;
	assert_null(evutil_monotonic_timer_new());
	fail_allocations = 0;
	/* Three NULLs restore the C library's functions. */
	event_set_mem_functions(NULL, NULL, NULL);
	timer = evutil_monotonic_timer_new();
	assert_not_null(timer);
	evutil_monotonic_timer_free(timer);
	assert_int_eq(mallocs, 2);
	assert_int_eq(frees, 1);
}

static void
test_mem_functions_cover_a_base(void)
{
	struct event_base *base;

	event_set_mem_functions(count_malloc, count_realloc, count_free);
	base = event_base_new();
	assert_not_null(base);
	assert_int_gt(mallocs, 0);
	event_base_free(base);
	/* Everything the base took went back through count_free. */
	assert_int_eq(frees, mallocs);
	event_set_mem_functions(NULL, NULL, NULL);
}

int
main(int argc, char **argv)
{
	static const struct unit_test tests[] = {
	        UNIT_TEST(integer_types),
	        UNIT_TEST(integer_limits),
	        UNIT_TEST(socketpair),
	        UNIT_TEST(make_socket_nonblocking),
	        UNIT_TEST(make_socket_nonblocking_bad_fd_logs),
	        UNIT_TEST(make_socket_closeonexec),
	        UNIT_TEST(listen_socket_options),
	        UNIT_TEST(listen_socket_ipv6only),
	        UNIT_TEST(closesocket),
	        UNIT_TEST(socket_error_macros),
	        UNIT_TEST(timer_macros),
	        UNIT_TEST(gettimeofday),
	        UNIT_TEST(monotonic_timer),
	        UNIT_TEST(date_rfc1123),
	        UNIT_TEST(strtoll),
	        UNIT_TEST(snprintf),
	        UNIT_TEST(ascii_strcasecmp),
	        UNIT_TEST(inet_ntop),
	        UNIT_TEST(inet_pton),
	        UNIT_TEST(inet_pton_scope),
	        UNIT_TEST(parse_sockaddr_port),
	        UNIT_TEST(parse_sockaddr_port_outlen),
	        UNIT_TEST(sockaddr_cmp),
	        UNIT_TEST(addrinfo_constants),
	        UNIT_TEST(getaddrinfo_numeric),
	        UNIT_TEST(getaddrinfo_passive_and_null_hints),
	        UNIT_TEST(getaddrinfo_service_name),
	        UNIT_TEST(gai_strerror),
	        UNIT_TEST(secure_rng),
	        UNIT_TEST(log_default_is_stderr),
	        UNIT_TEST(log_callback_and_reset),
	        UNIT_TEST(mem_functions),
	        UNIT_TEST(mem_functions_cover_a_base),
	        UNIT_END,
	};

	return unit_main(argc, argv, tests);
}
