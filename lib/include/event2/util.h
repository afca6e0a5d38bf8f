/*
 * event2/util.h - portable types and socket, address, time and string
 * helpers, as in libevent 2.1 ("evutil").
 *
 * Introduced in chapter 10. libevent runs on Unix and Windows; evutil is
 * the layer that hides the differences (a socket is an int here but a
 * SOCKET there, errno versus WSAGetLastError(), ...). minievent is Linux
 * only, so many of these are thin: a macro over the system call, kept so
 * that a program written for libevent compiles here unchanged.
 *
 * Interface, in the order below:
 *  - integer types ev_[u]int{8,16,32,64}_t, ev_[u]intptr_t, ev_ssize_t,
 *    ev_off_t, ev_socklen_t, evutil_socket_t, and their EV_*_MAX/MIN limits
 *  - socket set-up: evutil_make_socket_nonblocking(), ..._closeonexec(),
 *    evutil_make_listen_socket_reuseable(), ..._reuseable_port(),
 *    ..._ipv6only(), evutil_make_tcp_listen_socket_deferred(),
 *    evutil_closesocket(), evutil_socketpair()
 *  - errors: EVUTIL_SOCKET_ERROR(), EVUTIL_SET_SOCKET_ERROR(),
 *    evutil_socket_geterror(), evutil_socket_error_to_string()
 *  - time: evutil_timeradd/timersub/timercmp/timerclear/timerisset,
 *    evutil_gettimeofday(), the evutil_monotonic_timer functions,
 *    evutil_date_rfc1123()
 *  - strings: evutil_strtoll(), evutil_snprintf(), evutil_vsnprintf(),
 *    evutil_ascii_strcasecmp(), evutil_ascii_strncasecmp()
 *  - addresses: evutil_inet_ntop(), evutil_inet_pton(),
 *    evutil_inet_pton_scope(), evutil_parse_sockaddr_port(),
 *    evutil_sockaddr_cmp(), evutil_getaddrinfo() and friends
 *  - randomness: evutil_secure_rng_*()
 *
 * Every function may be called from an event callback. None of them keeps
 * a pointer to its arguments after it returns, except where noted.
 */
#ifndef EVENT2_UTIL_H_INCLUDED_
#define EVENT2_UTIL_H_INCLUDED_

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <netdb.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Integer types.
 *
 * libevent predates <stdint.h> on some of its platforms, so it names its
 * own fixed-width types. They are macros, not typedefs, exactly as in
 * libevent: code that does `#ifdef ev_uint64_t` keeps working.
 */
#define ev_uint64_t  uint64_t
#define ev_int64_t   int64_t
#define ev_uint32_t  uint32_t
#define ev_int32_t   int32_t
#define ev_uint16_t  uint16_t
#define ev_int16_t   int16_t
#define ev_uint8_t   uint8_t
#define ev_int8_t    int8_t
#define ev_uintptr_t uintptr_t
#define ev_intptr_t  intptr_t

/* A signed size: what read() and write() return. */
#define ev_ssize_t ssize_t

/*
 * A file offset. It is always 64 bits, as in libevent on every 64-bit
 * system, so that its size does not depend on whether the program that
 * includes this header was built with _FILE_OFFSET_BITS=64.
 */
#define ev_off_t ev_int64_t

/* The type of the length argument of bind(), accept(), getsockname(). */
#define ev_socklen_t socklen_t

/*
 * A socket. An int (a file descriptor) on Unix; libevent makes it an
 * intptr_t on Windows, so portable code never assumes it is an int.
 */
#define evutil_socket_t int

/* The largest and smallest values of the ev_* integer types. */
#define EV_UINT64_MAX UINT64_MAX
#define EV_INT64_MAX  INT64_MAX
#define EV_INT64_MIN  INT64_MIN
#define EV_UINT32_MAX UINT32_MAX
#define EV_INT32_MAX  INT32_MAX
#define EV_INT32_MIN  INT32_MIN
#define EV_UINT16_MAX UINT16_MAX
#define EV_INT16_MAX  INT16_MAX
#define EV_INT16_MIN  INT16_MIN
#define EV_UINT8_MAX  UINT8_MAX
#define EV_INT8_MAX   INT8_MAX
#define EV_INT8_MIN   INT8_MIN

/* The largest size_t, and the range of ev_ssize_t. */
#define EV_SIZE_MAX SIZE_MAX
#if SIZE_MAX == UINT64_MAX
#define EV_SSIZE_MAX EV_INT64_MAX
#else
#define EV_SSIZE_MAX EV_INT32_MAX
#endif
#define EV_SSIZE_MIN ((-EV_SSIZE_MAX) - 1)

/*
 * Socket set-up.
 */

/*
 * Creates a pair of connected sockets, as socketpair(2): family (AF_UNIX on
 * Unix), type (SOCK_STREAM or SOCK_DGRAM, optionally or-ed with
 * SOCK_NONBLOCK and SOCK_CLOEXEC), protocol (0), and sv receives the two
 * ends. Returns 0, or -1 with errno set. On Windows libevent emulates this
 * over TCP on 127.0.0.1; here it is socketpair() itself.
 */
int evutil_socketpair(int family, int type, int protocol,
                      evutil_socket_t sv[2]);

/*
 * Puts sock in non-blocking mode (O_NONBLOCK), so that read, write, accept
 * and connect return EAGAIN/EINPROGRESS instead of waiting. Every socket
 * an event loop watches should be non-blocking: readiness is a hint, and a
 * blocking call after a stale hint would stall the whole loop.
 * Returns 0, or -1 with errno set (the failure is also logged as a
 * warning).
 */
int evutil_make_socket_nonblocking(evutil_socket_t sock);

/*
 * Marks sock close-on-exec (FD_CLOEXEC), so that a program started with
 * exec*() does not inherit it. Returns 0, or -1 with errno set (the failure
 * is also logged as a warning).
 */
int evutil_make_socket_closeonexec(evutil_socket_t sock);

/*
 * Lets a listening socket be bound again at once after it is closed, while
 * old connections on its port still sit in TIME_WAIT (SO_REUSEADDR). Call
 * it before bind(). It does not let two live listeners share a port; see
 * evutil_make_listen_socket_reuseable_port() for that.
 * Returns 0, or -1 with errno set.
 */
int evutil_make_listen_socket_reuseable(evutil_socket_t sock);

/*
 * Lets several sockets that all set this option bind and listen on the
 * same address and port at once (SO_REUSEPORT, Linux 3.9 and later); the
 * kernel spreads new connections among them. Call it before bind().
 * Returns 0, or -1 with errno set.
 */
int evutil_make_listen_socket_reuseable_port(evutil_socket_t sock);

/*
 * Makes an AF_INET6 listening socket accept IPv6 only (IPV6_V6ONLY), so
 * that another socket may bind the same port for IPv4. Call it before
 * bind(). Returns 0, or -1 with errno set.
 */
int evutil_make_listen_socket_ipv6only(evutil_socket_t sock);

/*
 * Asks the kernel not to complete accept() on a TCP listener until the
 * client has sent data (TCP_DEFER_ACCEPT), saving a wake-up for protocols
 * where the client speaks first. Do not use it for protocols where the
 * server speaks first. Returns 0, or -1 with errno set.
 */
int evutil_make_tcp_listen_socket_deferred(evutil_socket_t sock);

/*
 * Closes a socket: close() on Unix, closesocket() on Windows, which is why
 * portable code never calls close() on a socket. Returns 0, or -1 with
 * errno set. The descriptor is released even when -1 is returned for
 * EINTR: do not close it again.
 */
int evutil_closesocket(evutil_socket_t sock);

/* The same, spelled as libevent 2.0's macro. */
#define EVUTIL_CLOSESOCKET(s) evutil_closesocket(s)

/* The value of an evutil_socket_t that is not a socket. */
#define EVUTIL_INVALID_SOCKET -1

/*
 * Socket errors. On Windows a socket call leaves its error in
 * WSAGetLastError(), not errno, and strerror() does not know the codes;
 * on Unix all of these are errno and strerror().
 *
 *  - EVUTIL_SOCKET_ERROR(): the error of the last failed socket call
 *  - EVUTIL_SET_SOCKET_ERROR(errcode): set it
 *  - evutil_socket_geterror(sock): the last error for sock
 *  - evutil_socket_error_to_string(errcode): its text, as strerror()
 */
#define EVUTIL_SOCKET_ERROR() (errno)
#define EVUTIL_SET_SOCKET_ERROR(errcode)                                       \
	do {                                                                   \
		errno = (errcode);                                             \
	} while (0)
#define evutil_socket_geterror(sock)           (errno)
#define evutil_socket_error_to_string(errcode) (strerror(errcode))

/*
 * struct timeval arithmetic.
 *
 * Each argument is a pointer to a struct timeval whose tv_usec lies in
 * [0, 999999]; results are normalised the same way. The arguments may be
 * evaluated more than once, so do not pass expressions with side effects.
 *
 *  - evutil_timeradd(a, b, res): *res = *a + *b
 *  - evutil_timersub(a, b, res): *res = *a - *b (tv_sec may go negative)
 *  - evutil_timercmp(a, b, op): *a op *b, op one of < <= == != >= >
 *  - evutil_timerclear(tv): *tv = 0
 *  - evutil_timerisset(tv): nonzero unless *tv is 0
 *
 * They are written out here rather than mapped to <sys/time.h>'s timeradd,
 * which a strict -std=c11 build does not declare.
 */
#define evutil_timeradd(tvp, uvp, vvp)                                         \
	do {                                                                   \
		(vvp)->tv_sec = (tvp)->tv_sec + (uvp)->tv_sec;                 \
		(vvp)->tv_usec = (tvp)->tv_usec + (uvp)->tv_usec;              \
		if ((vvp)->tv_usec >= 1000000) {                               \
			(vvp)->tv_sec++;                                       \
			(vvp)->tv_usec -= 1000000;                             \
		}                                                              \
	} while (0)
#define evutil_timersub(tvp, uvp, vvp)                                         \
	do {                                                                   \
		(vvp)->tv_sec = (tvp)->tv_sec - (uvp)->tv_sec;                 \
		(vvp)->tv_usec = (tvp)->tv_usec - (uvp)->tv_usec;              \
		if ((vvp)->tv_usec < 0) {                                      \
			(vvp)->tv_sec--;                                       \
			(vvp)->tv_usec += 1000000;                             \
		}                                                              \
	} while (0)
#define evutil_timercmp(tvp, uvp, cmp)                                         \
	(((tvp)->tv_sec == (uvp)->tv_sec) ? ((tvp)->tv_usec cmp(uvp)->tv_usec) \
	                                  : ((tvp)->tv_sec cmp(uvp)->tv_sec))
#define evutil_timerclear(tvp) ((tvp)->tv_sec = (tvp)->tv_usec = 0)
#define evutil_timerisset(tvp) ((tvp)->tv_sec || (tvp)->tv_usec)

/* offsetof(), for code written when not every compiler had it. */
#define evutil_offsetof(type, field) offsetof(type, field)

/*
 * The wall-clock time, as gettimeofday(2): tv receives it, tz must be
 * NULL. Returns 0, or -1 with errno set. The wall clock can jump (NTP,
 * an administrator); measure intervals with a monotonic clock instead.
 */
#define evutil_gettimeofday(tv, tz) gettimeofday((tv), (tz))

/*
 * A monotonic clock: one that never jumps backwards or forwards when the
 * wall clock is set, the right clock for timeouts. Opaque.
 */
struct evutil_monotonic_timer;

/* Flags for evutil_configure_monotonic_time(). */
#define EV_MONOT_PRECISE  1 /* want the finest resolution, even if slower */
#define EV_MONOT_FALLBACK 2 /* use the wall clock, never moving backwards */

/*
 * Allocates a monotonic timer; configure it with
 * evutil_configure_monotonic_time() before reading it. Returns NULL (errno
 * ENOMEM) if out of memory. Free it with evutil_monotonic_timer_free().
 */
struct evutil_monotonic_timer *evutil_monotonic_timer_new(void);

/* Frees a timer from evutil_monotonic_timer_new(); NULL is ignored. */
void evutil_monotonic_timer_free(struct evutil_monotonic_timer *timer);

/*
 * Chooses the clock timer reads: CLOCK_MONOTONIC_COARSE when its resolution
 * is 1 ms or finer (cheap to read), CLOCK_MONOTONIC with EV_MONOT_PRECISE,
 * and the wall clock clamped so it never runs backwards with
 * EV_MONOT_FALLBACK. Returns 0, or -1 with errno set.
 */
int evutil_configure_monotonic_time(struct evutil_monotonic_timer *timer,
                                    int flags);

/*
 * Stores in *tp the time of timer's clock, counted from an arbitrary
 * starting point: only differences between two readings mean anything.
 * Returns 0, or -1 with errno set.
 */
int evutil_gettime_monotonic(struct evutil_monotonic_timer *timer,
                             struct timeval *tp);

/*
 * Formats *tm (or, if tm is NULL, the current time) as an RFC 1123 date,
 * the form HTTP uses: "Sun, 06 Nov 1994 08:49:37 GMT", in English whatever
 * the locale. tm is taken to be UTC. Writes at most datelen bytes to date,
 * always NUL-terminated. Returns the length of the full date (29); a value
 * of datelen or more means it was truncated (and 0 when datelen is 0, as
 * evutil_snprintf()). Returns -1 (errno EINVAL) if tm's weekday or month
 * is out of range.
 */
int evutil_date_rfc1123(char *date, const size_t datelen, const struct tm *tm);

/*
 * Strings.
 */

/*
 * Parses a 64-bit signed integer, exactly as strtoll(3): s, endptr (if not
 * NULL, receives the first unparsed character) and base (0 reads 0x... as
 * hexadecimal and 0... as octal). Out of range, returns EV_INT64_MAX or
 * EV_INT64_MIN with errno ERANGE.
 */
ev_int64_t evutil_strtoll(const char *s, char **endptr, int base);

#ifdef __GNUC__
#define EVUTIL_CHECK_FMT_(a, b) __attribute__((format(printf, a, b)))
#else
#define EVUTIL_CHECK_FMT_(a, b)
#endif

/*
 * Formats like snprintf(3) into buf, which holds buflen bytes, and always
 * NUL-terminates it when buflen > 0. Returns the length the whole output
 * would have had, as C99 says (so a value >= buflen means it was cut
 * short), or -1 on an encoding error. As in libevent, when buflen is 0
 * nothing is written and 0 is returned.
 */
int evutil_snprintf(char *buf, size_t buflen, const char *format, ...)
        EVUTIL_CHECK_FMT_(3, 4);

/* The same, taking a va_list (which it leaves indeterminate, as vsnprintf
 * does: va_end it, and va_copy it first if you need it again). */
int evutil_vsnprintf(char *buf, size_t buflen, const char *format, va_list ap)
        EVUTIL_CHECK_FMT_(3, 0);

/*
 * Compares two NUL-terminated strings ignoring ASCII case only ('A'-'Z'
 * and 'a'-'z'), whatever the locale: the comparison network protocols such
 * as HTTP need. Returns -1, 0 or 1 as str1 sorts before, equal to or after
 * str2. Bytes above 127 compare as the platform's char does (signed on
 * x86), as in libevent.
 */
int evutil_ascii_strcasecmp(const char *str1, const char *str2);

/* The same, comparing at most the first n bytes. */
int evutil_ascii_strncasecmp(const char *str1, const char *str2, size_t n);

/*
 * Addresses.
 */

/*
 * Formats the address src of family af (AF_INET: a struct in_addr;
 * AF_INET6: a struct in6_addr) as text in dst, which holds len bytes, as
 * inet_ntop(3). Returns dst, or NULL if af is unknown (errno EAFNOSUPPORT)
 * or dst is too small (errno ENOSPC).
 */
const char *evutil_inet_ntop(int af, const void *src, char *dst, size_t len);

/*
 * Parses the text address src of family af into dst (a struct in_addr or
 * struct in6_addr), as inet_pton(3). An IPv4 address is four decimal
 * numbers 0-255 joined by dots; as in libevent, leading zeros are decimal
 * (010 is ten), and nothing may follow. Returns 1 on success, 0 if src is
 * not an address of that family, -1 (errno EAFNOSUPPORT) if af is unknown.
 */
int evutil_inet_pton(int af, const char *src, void *dst);

/*
 * As evutil_inet_pton(), and for AF_INET6 also accepts a zone after '%'
 * ("fe80::1%eth0" or "fe80::1%2"): *indexp receives the interface index
 * (0 if there is no zone). Returns 0 for an unknown interface name.
 */
int evutil_inet_pton_scope(int af, const char *src, void *dst,
                           unsigned *indexp);

/*
 * Parses an address with an optional port, as a command line or a config
 * file gives it, into a socket address ready for bind() or connect():
 *
 *   "1.2.3.4"   "1.2.3.4:80"   "[::1]"   "[::1]:80"   "::1"
 *
 * A bare IPv6 address cannot carry a port: it is recognised by having two
 * colons or more. A missing port is 0. Names are not resolved (see
 * evutil_getaddrinfo()). As in libevent, the port is read the way atoi()
 * reads it: leading blanks and a '+' are allowed, and anything after the
 * digits (or after "]" when there is no ':') is ignored.
 *
 * out receives a struct sockaddr_in or sockaddr_in6 (pass a struct
 * sockaddr_storage); *outlen holds its size on entry and the size used on
 * success, and all *outlen bytes of out are zeroed first.
 * Returns 0, or -1 if the address is malformed, the port is not in
 * 1-65535, or out is too small (out and *outlen are then unchanged).
 */
int evutil_parse_sockaddr_port(const char *str, struct sockaddr *out,
                               int *outlen);

/*
 * Compares two socket addresses of family AF_INET or AF_INET6: the family
 * first, then the address, then (if include_port is nonzero) the port.
 * Returns 0 if they are equal, less than 0 if sa1 sorts first, more than 0
 * if sa2 does. The order is consistent but arbitrary (it compares values
 * in network byte order as libevent does, which is not numeric order on a
 * little-endian machine) and may change between versions: rely only on
 * zero versus nonzero, or on it for sorting. Other families compare as
 * unequal (1).
 */
int evutil_sockaddr_cmp(const struct sockaddr *sa1, const struct sockaddr *sa2,
                        int include_port);

/*
 * Name resolution: libevent's portable getaddrinfo(). On Linux,
 * struct evutil_addrinfo is the system's struct addrinfo (<netdb.h>):
 *
 *   struct evutil_addrinfo {
 *           int ai_flags;                    EVUTIL_AI_* (hints)
 *           int ai_family;                   AF_INET, AF_INET6, AF_UNSPEC
 *           int ai_socktype;                 SOCK_STREAM, SOCK_DGRAM, 0
 *           int ai_protocol;                 IPPROTO_TCP, ..., 0
 *           socklen_t ai_addrlen;            size of *ai_addr
 *           struct sockaddr *ai_addr;        the address, port included
 *           char *ai_canonname;              with EVUTIL_AI_CANONNAME
 *           struct evutil_addrinfo *ai_next; the next result, or NULL
 *   };
 *
 * <netdb.h> shows struct addrinfo and the AI_ and EAI_ constants only to a
 * program that asks for POSIX (_POSIX_C_SOURCE, or the compiler's default
 * GNU mode), some of them only to one that asks for _GNU_SOURCE. So that
 * this header compiles in every mode, the struct is declared here and the
 * constants are written as numbers: glibc's, which evutil.c checks at
 * compile time against the system's own.
 */
struct addrinfo;
#define evutil_addrinfo addrinfo

/* Hint flags (ai_flags). */
#define EVUTIL_AI_PASSIVE     0x0001 /* NULL node: the any address */
#define EVUTIL_AI_CANONNAME   0x0002 /* fill in ai_canonname */
#define EVUTIL_AI_NUMERICHOST 0x0004 /* node is an address: no DNS */
#define EVUTIL_AI_V4MAPPED    0x0008 /* IPv4 as ::ffff:a.b.c.d */
#define EVUTIL_AI_ALL         0x0010 /* with V4MAPPED: both kinds */
#define EVUTIL_AI_ADDRCONFIG  0x0020 /* only families configured here */
#define EVUTIL_AI_NUMERICSERV 0x0400 /* service is a port number */

/* Error codes evutil_getaddrinfo() returns (negative on Linux). */
#define EVUTIL_EAI_BADFLAGS   -1     /* invalid ai_flags */
#define EVUTIL_EAI_NONAME     -2     /* unknown name or service */
#define EVUTIL_EAI_AGAIN      -3     /* temporary failure: try again */
#define EVUTIL_EAI_FAIL       -4     /* permanent failure */
#define EVUTIL_EAI_NODATA     -5     /* the name has no address */
#define EVUTIL_EAI_FAMILY     -6     /* ai_family not supported */
#define EVUTIL_EAI_SOCKTYPE   -7     /* ai_socktype not supported */
#define EVUTIL_EAI_SERVICE    -8     /* service not for this socktype */
#define EVUTIL_EAI_ADDRFAMILY -9     /* no address of that family */
#define EVUTIL_EAI_MEMORY     -10    /* out of memory */
#define EVUTIL_EAI_SYSTEM     -11    /* system error: see errno */
#define EVUTIL_EAI_CANCEL     -90001 /* an async lookup was cancelled */

/*
 * Resolves nodename (a host name or a numeric address; NULL for the local
 * or, with EVUTIL_AI_PASSIVE, the any address) and servname (a service
 * name such as "http" or a port number; NULL for port 0) into a list of
 * socket addresses, *res, as getaddrinfo(3) and RFC 3493 describe. hints
 * (may be NULL) restricts the family, socket type and protocol and gives
 * the EVUTIL_AI_* flags; its other fields must be 0.
 *
 * Returns 0 and sets *res to a list the caller frees with
 * evutil_freeaddrinfo(), or an EVUTIL_EAI_* code (then there is nothing
 * to free; for EVUTIL_EAI_SYSTEM, errno tells more). With hints NULL it
 * behaves as with hints all 0, as in libevent (getaddrinfo(3) itself
 * would add AI_V4MAPPED|AI_ADDRCONFIG).
 *
 * It blocks while it asks DNS: never call it with a name from inside an
 * event loop that must stay responsive (libevent's evdns_getaddrinfo() is
 * the non-blocking form; minievent does not have it). It is the system's
 * getaddrinfo() itself, so results come in the system's order (see
 * gai.conf(5)); libevent adds work-arounds for old systems that Linux does
 * not need.
 */
int evutil_getaddrinfo(const char *nodename, const char *servname,
                       const struct evutil_addrinfo *hints,
                       struct evutil_addrinfo **res);

/* Frees a whole list from evutil_getaddrinfo(). NULL is ignored here, but
 * libevent would crash on it: portable code does not pass NULL. */
void evutil_freeaddrinfo(struct evutil_addrinfo *ai);

/*
 * The text for an EVUTIL_EAI_* code, as gai_strerror(3), and "Request
 * canceled" for EVUTIL_EAI_CANCEL. The string is static: do not free it.
 */
const char *evutil_gai_strerror(int err);

/*
 * Cryptographically secure random bytes.
 *
 * libevent keeps its own ARC4 generator seeded from /dev/urandom;
 * minievent asks the kernel directly (getrandom(2)), which is both
 * simpler and stronger, and needs no seeding.
 */

/*
 * Fills buf with n random bytes. The kernel's generator never fails once
 * it is seeded at boot; if it cannot be read at all, this is a fatal error
 * (event_set_fatal_callback()), never a buffer of predictable bytes.
 */
void evutil_secure_rng_get_bytes(void *buf, size_t n);

/*
 * Checks that random bytes can be had; call it before giving up the means
 * to get them (chroot, seccomp). Returns 0 if so, -1 (errno set) if not.
 * It may be called any number of times.
 */
int evutil_secure_rng_init(void);

/*
 * Kept for libevent compatibility: libevent seeds from this file instead
 * of /dev/urandom. minievent does not read a file, so this does nothing
 * and returns 0.
 */
int evutil_secure_rng_set_urandom_device_file(char *fname);

/*
 * Kept for libevent compatibility: libevent mixes these bytes into its
 * generator. The kernel's generator needs no help, so this does nothing.
 */
void evutil_secure_rng_add_bytes(const char *dat, size_t datlen);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_UTIL_H_INCLUDED_ */
