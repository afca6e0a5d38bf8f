/*
 * evutil.c - the helpers of event2/util.h: socket set-up, address parsing
 * and comparison, name resolution, strings, clocks and random bytes.
 *
 * Introduced in chapter 10. There is no data structure here: each function
 * stands alone, and most are a few lines over a system call. Where libevent
 * has a quirk a program could notice (how a port or an IPv4 address is
 * parsed, what evutil_snprintf returns for an empty buffer, how addresses
 * sort), minievent copies the behaviour, and the comment says so.
 *
 * Interface: every function declared in event2/util.h (the rest of that
 * header is macros), and evutil_tv_to_msec_() for the backends
 * (event-internal.h). Sections below, in order: sockets, strings, time,
 * addresses, name resolution, randomness.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <unistd.h>

#include "event-internal.h"
#include "event2/util.h"
#include "log-internal.h"
#include "mm-internal.h"

/* Room for any address text evutil_parse_sockaddr_port accepts, as in
 * libevent: longer input is malformed. */
#define UTIL_ADDR_MAX 128

/* ---- Sockets ---- */

int
evutil_socketpair(int family, int type, int protocol, evutil_socket_t sv[2])
{
	return socketpair(family, type, protocol, sv);
}

int
evutil_make_socket_nonblocking(evutil_socket_t sock)
{
	int flags = fcntl(sock, F_GETFL);

	if (flags < 0) {
		event_warn_("fcntl(%d, F_GETFL)", sock);
		return -1;
	}
	/* Skip the second system call when there is nothing to change. */
	if ((flags & O_NONBLOCK) == 0 &&
	    fcntl(sock, F_SETFL, flags | O_NONBLOCK) < 0) {
		event_warn_("fcntl(%d, F_SETFL)", sock);
		return -1;
	}
	return 0;
}

int
evutil_make_socket_closeonexec(evutil_socket_t sock)
{
	int flags = fcntl(sock, F_GETFD);

	if (flags < 0) {
		event_warn_("fcntl(%d, F_GETFD)", sock);
		return -1;
	}
	if ((flags & FD_CLOEXEC) == 0 &&
	    fcntl(sock, F_SETFD, flags | FD_CLOEXEC) < 0) {
		event_warn_("fcntl(%d, F_SETFD)", sock);
		return -1;
	}
	return 0;
}

/* Sets an int socket option to 1. 0 or -1 with errno. */
static int
util_sockopt_on(evutil_socket_t sock, int level, int name)
{
	int one = 1;

	return setsockopt(sock, level, name, &one, sizeof(one));
}

int
evutil_make_listen_socket_reuseable(evutil_socket_t sock)
{
	return util_sockopt_on(sock, SOL_SOCKET, SO_REUSEADDR);
}

int
evutil_make_listen_socket_reuseable_port(evutil_socket_t sock)
{
	return util_sockopt_on(sock, SOL_SOCKET, SO_REUSEPORT);
}

int
evutil_make_listen_socket_ipv6only(evutil_socket_t sock)
{
	return util_sockopt_on(sock, IPPROTO_IPV6, IPV6_V6ONLY);
}

int
evutil_make_tcp_listen_socket_deferred(evutil_socket_t sock)
{
	/* The value is a timeout in seconds; 1 is libevent's choice. After
	 * it the kernel hands the connection over anyway once it has
	 * retransmitted its SYN-ACK. */
	return util_sockopt_on(sock, IPPROTO_TCP, TCP_DEFER_ACCEPT);
}

int
evutil_closesocket(evutil_socket_t sock)
{
	/* Never retried on EINTR: Linux has released the descriptor by
	 * then, and a retry could close one another thread just opened. */
	return close(sock);
}

/* ---- Strings ---- */

ev_int64_t
evutil_strtoll(const char *s, char **endptr, int base)
{
	return (ev_int64_t)strtoll(s, endptr, base);
}

int
evutil_snprintf(char *buf, size_t buflen, const char *format, ...)
{
	va_list ap;
	int r;

	va_start(ap, format);
	r = evutil_vsnprintf(buf, buflen, format, ap);
	va_end(ap);
	return r;
}

int
evutil_vsnprintf(char *buf, size_t buflen, const char *format, va_list ap)
{
	int r;

	/* libevent returns 0 here, not the would-be length: kept so that a
	 * caller's arithmetic comes out the same on both libraries. */
	if (buflen == 0)
		return 0;
	r = vsnprintf(buf, buflen, format, ap);
	/* C99's vsnprintf terminates already; an encoding error (r < 0)
	 * may leave buf unterminated, and the promise is "always". */
	buf[buflen - 1] = '\0';
	if (r < 0)
		buf[0] = '\0';
	return r;
}

/* Lower-cases ASCII letters only: tolower() would follow the locale. */
static char
util_ascii_tolower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

int
evutil_ascii_strcasecmp(const char *str1, const char *str2)
{
	return evutil_ascii_strncasecmp(str1, str2, (size_t)-1);
}

int
evutil_ascii_strncasecmp(const char *str1, const char *str2, size_t n)
{
	for (; n > 0; n--, str1++, str2++) {
		char c1 = util_ascii_tolower(*str1);
		char c2 = util_ascii_tolower(*str2);

		if (c1 != c2)
			return c1 < c2 ? -1 : 1;
		if (c1 == '\0')
			break;
	}
	return 0;
}

/* ---- Time ---- */

struct evutil_monotonic_timer {
	clockid_t clock;       /* what clock_gettime() reads */
	int fallback;          /* read the wall clock instead */
	struct timeval last;   /* fallback: the last value returned */
	struct timeval adjust; /* fallback: total backward steps so far */
};

struct evutil_monotonic_timer *
evutil_monotonic_timer_new(void)
{
	return mm_calloc_(1, sizeof(struct evutil_monotonic_timer));
}

void
evutil_monotonic_timer_free(struct evutil_monotonic_timer *timer)
{
	mm_free_(timer);
}

int
evutil_configure_monotonic_time(struct evutil_monotonic_timer *timer, int flags)
{
	struct timespec res;

	memset(timer, 0, sizeof(*timer));
	timer->fallback = (flags & EV_MONOT_FALLBACK) != 0;
	timer->clock = CLOCK_MONOTONIC;
	/* The coarse clock is read without a system call or a hardware
	 * counter, but ticks only every jiffy: worth it only if fine. */
	if ((flags & EV_MONOT_PRECISE) == 0 &&
	    clock_getres(CLOCK_MONOTONIC_COARSE, &res) == 0 &&
	    res.tv_sec == 0 && res.tv_nsec <= 1000000)
		timer->clock = CLOCK_MONOTONIC_COARSE;
	return timer->fallback ? 0 : clock_gettime(timer->clock, &res);
}

/* The wall clock, made monotonic: a backward step is added to adjust, so
 * the time returned stays put until the wall clock catches up again. */
static int
util_gettime_fallback(struct evutil_monotonic_timer *timer, struct timeval *tp)
{
	struct timeval now, step;

	if (gettimeofday(&now, NULL) < 0)
		return -1;
	evutil_timeradd(&now, &timer->adjust, &now);
	if (evutil_timercmp(&now, &timer->last, <)) {
		evutil_timersub(&timer->last, &now, &step);
		evutil_timeradd(&timer->adjust, &step, &timer->adjust);
		now = timer->last;
	}
	timer->last = now;
	*tp = now;
	return 0;
}

int
evutil_gettime_monotonic(struct evutil_monotonic_timer *timer,
                         struct timeval *tp)
{
	struct timespec ts;

	if (timer->fallback)
		return util_gettime_fallback(timer, tp);
	if (clock_gettime(timer->clock, &ts) < 0)
		return -1;
	tp->tv_sec = ts.tv_sec;
	tp->tv_usec = ts.tv_nsec / 1000;
	return 0;
}

int
evutil_date_rfc1123(char *date, const size_t datelen, const struct tm *tm)
{
	/* English names whatever the locale: strftime's %a would follow it. */
	static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed",
	                                "Thu", "Fri", "Sat"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr",
	                                   "May", "Jun", "Jul", "Aug",
	                                   "Sep", "Oct", "Nov", "Dec"};
	struct tm now;
	time_t t;

	if (tm == NULL) {
		t = time(NULL);
		tm = gmtime_r(&t, &now);
	}
	if (tm == NULL || tm->tm_wday < 0 || tm->tm_wday > 6 ||
	    tm->tm_mon < 0 || tm->tm_mon > 11) {
		errno = EINVAL;
		return -1;
	}
	return evutil_snprintf(
	        date, datelen, "%s, %02d %s %4d %02d:%02d:%02d GMT",
	        days[tm->tm_wday], tm->tm_mday, months[tm->tm_mon],
	        1900 + tm->tm_year, tm->tm_hour, tm->tm_min, tm->tm_sec);
}

/* ---- Addresses ---- */

const char *
evutil_inet_ntop(int af, const void *src, char *dst, size_t len)
{
	if (len > (socklen_t)-1)
		len = (socklen_t)-1;
	return inet_ntop(af, src, dst, (socklen_t)len);
}

/*
 * Parses a dotted quad the way libevent does, which is laxer than
 * inet_pton(3): each part is read as a decimal number by strtoul, so
 * "010" is ten (not refused, not octal) and blanks or a '+' before a part
 * are allowed. Four parts, each 0-255, and nothing after. 1 or 0.
 */
static int
util_inet_pton4(const char *src, struct in_addr *dst)
{
	unsigned long part;
	uint32_t addr = 0;
	char *end;
	int i;

	for (i = 0; i < 4; i++) {
		part = strtoul(src, &end, 10);
		if (end == src || part > 255)
			return 0;
		if (*end != (i < 3 ? '.' : '\0'))
			return 0;
		addr = (addr << 8) | (uint32_t)part;
		src = end + 1;
	}
	dst->s_addr = htonl(addr);
	return 1;
}

int
evutil_inet_pton(int af, const char *src, void *dst)
{
	if (af == AF_INET)
		return util_inet_pton4(src, dst);
	return inet_pton(af, src, dst);
}

int
evutil_inet_pton_scope(int af, const char *src, void *dst, unsigned *indexp)
{
	char addr[UTIL_ADDR_MAX];
	const char *zone = af == AF_INET6 ? strchr(src, '%') : NULL;
	unsigned long index;
	char *end;

	*indexp = 0;
	if (zone == NULL)
		return evutil_inet_pton(af, src, dst);
	if ((size_t)(zone - src) >= sizeof(addr))
		return 0;
	/* A zone is an interface name, or failing that its number. */
	index = if_nametoindex(zone + 1);
	if (index == 0) {
		index = strtoul(zone + 1, &end, 10);
		if (*end != '\0' || index > (unsigned)-1)
			return 0;
	}
	memcpy(addr, src, (size_t)(zone - src));
	addr[zone - src] = '\0';
	*indexp = (unsigned)index;
	return evutil_inet_pton(af, addr, dst);
}

/* Reads a port like atoi() (libevent's way) but refuses what does not fit
 * in 1-65535 instead of letting an int overflow wrap it into range. */
static int
util_parse_port(const char *s)
{
	long port = strtol(s, NULL, 10);

	return (port >= 1 && port <= 65535) ? (int)port : -1;
}

/* Copies the first len bytes of src into addr as a string. 0 or -1. */
static int
util_copy_addr(char addr[UTIL_ADDR_MAX], const char *src, size_t len)
{
	if (len >= UTIL_ADDR_MAX)
		return -1;
	memcpy(addr, src, len);
	addr[len] = '\0';
	return 0;
}

/*
 * Splits str into its address (copied into addr) and its port (*port, or
 * NULL if none); *is_ipv6 tells which family the address must be.
 * 0, or -1 if str is malformed.
 */
static int
util_split_addr_port(const char *str, char addr[UTIL_ADDR_MAX],
                     const char **port, int *is_ipv6)
{
	const char *colon = strchr(str, ':');
	const char *close;

	*port = NULL;
	*is_ipv6 = 1;
	if (str[0] == '[') {
		close = strchr(str, ']');
		if (close == NULL)
			return -1;
		if (close[1] == ':')
			*port = close + 2;
		return util_copy_addr(addr, str + 1, (size_t)(close - str - 1));
	}
	/* Two colons or more: a bare IPv6 address, which has no port. */
	if (colon != NULL && strchr(colon + 1, ':') != NULL)
		return util_copy_addr(addr, str, strlen(str));
	*is_ipv6 = 0;
	if (colon == NULL)
		return util_copy_addr(addr, str, strlen(str));
	*port = colon + 1;
	return util_copy_addr(addr, str, (size_t)(colon - str));
}

/* Copies sa (salen bytes) to out if it fits in *outlen, zeroing the rest
 * of out as libevent does. 0 or -1. */
static int
util_store_sockaddr(const void *sa, int salen, struct sockaddr *out,
                    int *outlen)
{
	if (*outlen < salen)
		return -1;
	memset(out, 0, (size_t)*outlen);
	memcpy(out, sa, (size_t)salen);
	*outlen = salen;
	return 0;
}

int
evutil_parse_sockaddr_port(const char *str, struct sockaddr *out, int *outlen)
{
	char addr[UTIL_ADDR_MAX];
	const char *port_str;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	int is_ipv6, port = 0;
	unsigned scope;

	if (util_split_addr_port(str, addr, &port_str, &is_ipv6) < 0)
		return -1;
	if (port_str != NULL && (port = util_parse_port(port_str)) < 0)
		return -1;
	if (is_ipv6) {
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons((uint16_t)port);
		if (evutil_inet_pton_scope(AF_INET6, addr, &sin6.sin6_addr,
		                           &scope) != 1)
			return -1;
		sin6.sin6_scope_id = scope;
		return util_store_sockaddr(&sin6, sizeof(sin6), out, outlen);
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (evutil_inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		return -1;
	return util_store_sockaddr(&sin, sizeof(sin), out, outlen);
}

/* -1, 0 or 1 as a is less than, equal to or greater than b. */
static int
util_cmp_u32(uint32_t a, uint32_t b)
{
	return (a > b) - (a < b);
}

int
evutil_sockaddr_cmp(const struct sockaddr *sa1, const struct sockaddr *sa2,
                    int include_port)
{
	const struct sockaddr_in *a4 = (const void *)sa1;
	const struct sockaddr_in *b4 = (const void *)sa2;
	const struct sockaddr_in6 *a6 = (const void *)sa1;
	const struct sockaddr_in6 *b6 = (const void *)sa2;
	int r;

	if (sa1->sa_family != sa2->sa_family)
		return sa1->sa_family - sa2->sa_family;
	/* Ports and IPv4 addresses compare as the integers they are in
	 * network byte order, as in libevent, so both order alike. */
	if (sa1->sa_family == AF_INET) {
		r = util_cmp_u32(a4->sin_addr.s_addr, b4->sin_addr.s_addr);
		if (r == 0 && include_port)
			r = util_cmp_u32(a4->sin_port, b4->sin_port);
		return r;
	}
	if (sa1->sa_family == AF_INET6) {
		r = memcmp(&a6->sin6_addr, &b6->sin6_addr, 16);
		if (r == 0 && include_port)
			r = util_cmp_u32(a6->sin6_port, b6->sin6_port);
		return r;
	}
	return 1;
}

/* ---- Name resolution ---- */

/* event2/util.h spells the AI_ and EAI_ constants as glibc's numbers, so
 * that it compiles without POSIX or GNU mode; here is the proof that
 * they are this system's (a mismatch stops the build). */
#define UTIL_SAME(ours, system) _Static_assert(ours == system, #ours)
UTIL_SAME(EVUTIL_AI_PASSIVE, AI_PASSIVE);
UTIL_SAME(EVUTIL_AI_CANONNAME, AI_CANONNAME);
UTIL_SAME(EVUTIL_AI_NUMERICHOST, AI_NUMERICHOST);
UTIL_SAME(EVUTIL_AI_V4MAPPED, AI_V4MAPPED);
UTIL_SAME(EVUTIL_AI_ALL, AI_ALL);
UTIL_SAME(EVUTIL_AI_ADDRCONFIG, AI_ADDRCONFIG);
UTIL_SAME(EVUTIL_AI_NUMERICSERV, AI_NUMERICSERV);
UTIL_SAME(EVUTIL_EAI_BADFLAGS, EAI_BADFLAGS);
UTIL_SAME(EVUTIL_EAI_NONAME, EAI_NONAME);
UTIL_SAME(EVUTIL_EAI_AGAIN, EAI_AGAIN);
UTIL_SAME(EVUTIL_EAI_FAIL, EAI_FAIL);
UTIL_SAME(EVUTIL_EAI_NODATA, EAI_NODATA);
UTIL_SAME(EVUTIL_EAI_FAMILY, EAI_FAMILY);
UTIL_SAME(EVUTIL_EAI_SOCKTYPE, EAI_SOCKTYPE);
UTIL_SAME(EVUTIL_EAI_SERVICE, EAI_SERVICE);
UTIL_SAME(EVUTIL_EAI_ADDRFAMILY, EAI_ADDRFAMILY);
UTIL_SAME(EVUTIL_EAI_MEMORY, EAI_MEMORY);
UTIL_SAME(EVUTIL_EAI_SYSTEM, EAI_SYSTEM);

int
evutil_getaddrinfo(const char *nodename, const char *servname,
                   const struct evutil_addrinfo *hints,
                   struct evutil_addrinfo **res)
{
	struct evutil_addrinfo zero;

	/* getaddrinfo(3) reads NULL hints as AI_V4MAPPED|AI_ADDRCONFIG;
	 * libevent passes all-zero hints instead, and so do we. */
	if (hints == NULL) {
		memset(&zero, 0, sizeof(zero));
		hints = &zero;
	}
	return getaddrinfo(nodename, servname, hints, res);
}

void
evutil_freeaddrinfo(struct evutil_addrinfo *ai)
{
	if (ai != NULL)
		freeaddrinfo(ai);
}

const char *
evutil_gai_strerror(int err)
{
	if (err == EVUTIL_EAI_CANCEL)
		return "Request canceled";
	return gai_strerror(err);
}

/* ---- Randomness ---- */

/* Fills buf from the kernel, looping over short reads and signals.
 * 0, or -1 with errno set. */
static int
util_rng_fill(void *buf, size_t n)
{
	unsigned char *p = buf;
	ssize_t got;

	while (n > 0) {
		got = getrandom(p, n, 0);
		if (got < 0 && errno != EINTR)
			return -1;
		if (got > 0) {
			p += got;
			n -= (size_t)got;
		}
	}
	return 0;
}

void
evutil_secure_rng_get_bytes(void *buf, size_t n)
{
	if (util_rng_fill(buf, n) < 0)
		event_errx_(1, "evutil_secure_rng_get_bytes: getrandom: %s",
		            strerror(errno));
}

int
evutil_secure_rng_init(void)
{
	unsigned char byte;

	return util_rng_fill(&byte, 1);
}

int
evutil_secure_rng_set_urandom_device_file(char *fname)
{
	(void)fname;
	return 0;
}

void
evutil_secure_rng_add_bytes(const char *dat, size_t datlen)
{
	(void)dat;
	(void)datlen;
}

/* Backends: how long poll() or epoll_wait() may sleep (event-internal.h). */
int
evutil_tv_to_msec_(const struct timeval *tv)
{
	if (tv == NULL)
		return -1;
	if (tv->tv_sec < 0 || (tv->tv_sec == 0 && tv->tv_usec <= 0))
		return 0;
	if (tv->tv_sec >= INT_MAX / 1000 - 1)
		return INT_MAX;
	return (int)(tv->tv_sec * 1000 + (tv->tv_usec + 999) / 1000);
}
