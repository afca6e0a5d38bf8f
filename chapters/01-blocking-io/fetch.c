/*
 * fetch - chapter 01: a blocking HTTP client, and what send() and recv()
 * really return.
 *
 * It resolves ADDR with getaddrinfo(), connects, sends one HTTP/1.0 request
 * with a loop that survives partial sends and EINTR, and reads the answer
 * until the server closes. Every send() and recv() result goes to stderr;
 * the answer itself goes to stdout.
 *
 *   ./http_standin -p 40780 &                 a local stand-in web server
 *   ./fetch -p 40780 >page.txt                GET: watch the recv() sizes
 *   ./http_standin -p 40781 -r 10 &           one that reads uploads slowly
 *   ./fetch -p 40781 -u 262144 >/dev/null     POST: watch send() take less
 *
 * Watch: recv() returns what has arrived so far, not what the server wrote
 * in one call. With -u, SIGALRM every 50 ms interrupts send() while it
 * waits for room: it returns the bytes it took so far, or -1 with EINTR.
 */
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "net.h"

#define DEFAULT_PORT  "40713" /* SERVER_DEFAULT_PORT of net.h */
#define RECV_SIZE     1024 /* small, as in the original, so reads are short */
#define UPLOAD_SNDBUF 4096 /* -u: a small send buffer fills quickly */
#define TICK_MS       50   /* -u: the period of SIGALRM */

struct options {
	const char *addr, *port;
	size_t upload; /* -u: bytes of body to POST; 0 sends a GET */
};

static void parse_options(struct options *opt, int argc, char **argv);
static int connect_to(const char *addr, const char *port);
static char *make_request(const struct options *opt, size_t *len);
static int ticks_start(int ms);
static int send_request(int fd, const char *buf, size_t len);
static int read_response(int fd);

int
main(int argc, char **argv)
{
	struct options opt;
	size_t len;
	char *req;
	int fd, sndbuf = UPLOAD_SNDBUF, status = 1;

	parse_options(&opt, argc, argv);
	fd = connect_to(opt.addr, opt.port);
	if (fd < 0)
		return 1;
	req = make_request(&opt, &len);
	if (req == NULL) {
		perror("fetch: request");
		goto out;
	}
	if (opt.upload > 0 && (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
	                                  sizeof(sndbuf)) < 0 ||
	                       ticks_start(TICK_MS) < 0)) {
		perror("fetch: setting up the upload");
		goto out;
	}
	if (send_request(fd, req, len) < 0) {
		perror("fetch: send");
		goto out;
	}
	/* A tick already pending may still interrupt recv(): EINTR. */
	if (opt.upload > 0 && ticks_start(0) < 0) {
		perror("fetch: stopping the timer");
		goto out;
	}
	if (read_response(fd) < 0) {
		perror("fetch: recv");
		goto out;
	}
	status = 0;
out:
	free(req);
	close(fd);
	return status;
}

static void
parse_options(struct options *opt, int argc, char **argv)
{
	char *end = NULL;
	int ch;

	*opt = (struct options){.addr = SERVER_DEFAULT_ADDR,
	                        .port = DEFAULT_PORT};
	while ((ch = getopt(argc, argv, "a:p:u:")) != -1) {
		if (ch == 'a')
			opt->addr = optarg;
		else if (ch == 'p')
			opt->port = optarg;
		else if (ch == 'u' && isdigit((unsigned char)optarg[0]))
			opt->upload = strtoull(optarg, &end, 10);
		if (ch == '?' || (ch == 'u' && (end == NULL || *end != '\0')))
			break;
	}
	if (ch != -1 || optind != argc) {
		fprintf(stderr,
		        "usage: fetch [-a HOST] [-p PORT] [-u BYTES]\n");
		exit(2);
	}
}

/*
 * getaddrinfo() instead of the original's gethostbyname(): it is
 * thread-safe (the result is ours, not a static buffer), it handles IPv4
 * and IPv6 alike, and it resolves the port too. One name may have several
 * addresses; try each until one connects.
 */
static int
connect_to(const char *addr, const char *port)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai;
	char host[NI_MAXHOST], serv[NI_MAXSERV];
	int fd = -1, err;

	err = getaddrinfo(addr, port, &hints, &res);
	if (err != 0) {
		fprintf(stderr, "fetch: %s port %s: %s\n", addr, port,
		        err == EAI_SYSTEM ? strerror(errno)
		                          : gai_strerror(err));
		return -1;
	}
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host),
		                serv, sizeof(serv),
		                NI_NUMERICHOST | NI_NUMERICSERV) != 0)
			snprintf(host, sizeof(host), "?");
		fprintf(stderr, "connect() to %s port %s: ", host, serv);
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			err = errno; /* fprintf() below may change errno */
			close(fd);
			fd = -1;
			errno = err;
		}
		fprintf(stderr, "%s\n", fd < 0 ? strerror(errno) : "connected");
	}
	freeaddrinfo(res);
	return fd;
}

/* The whole request in one buffer, so one send loop covers it all. */
static char *
make_request(const struct options *opt, size_t *len)
{
	char head[256], *buf;
	int n = opt->upload == 0
	                ? snprintf(head, sizeof(head),
	                           "GET / HTTP/1.0\r\nHost: %s\r\n\r\n",
	                           opt->addr)
	                : snprintf(head, sizeof(head),
	                           "POST / HTTP/1.0\r\nHost: %s\r\n"
	                           "Content-Length: %zu\r\n\r\n",
	                           opt->addr, opt->upload);

	if (n < 0 || (size_t)n >= sizeof(head)) {
		errno = ENAMETOOLONG; /* the host name did not fit */
		return NULL;
	}
	buf = malloc((size_t)n + opt->upload);
	if (buf == NULL)
		return NULL;
	memcpy(buf, head, (size_t)n);
	memset(buf + n, 'x', opt->upload);
	*len = (size_t)n + opt->upload;
	return buf;
}

static void
on_tick(int sig)
{
	(void)sig; /* interrupting the blocked send() is the whole point */
}

/* SIGALRM every ms milliseconds (0 stops it), without SA_RESTART. */
static int
ticks_start(int ms)
{
	struct sigaction sa = {.sa_handler = on_tick};
	struct itimerval it = {{0, ms * 1000L}, {0, ms * 1000L}};

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: a blocked call returns early */
	if (ms > 0 && sigaction(SIGALRM, &sa, NULL) < 0)
		return -1;
	return setitimer(ITIMER_REAL, &it, NULL);
}

/*
 * The loop the original wondered about: yes, send() can take fewer bytes
 * than asked. A blocking send() waits for room in the socket's send
 * buffer; if a signal arrives after some bytes went in, it returns that
 * count, and if none went in, -1 with EINTR. (A non-blocking socket
 * returns early as soon as the buffer is full: chapter 05.)
 */
static int
send_request(int fd, const char *buf, size_t len)
{
	size_t sent = 0, calls = 0, partial = 0, eintr = 0;

	while (sent < len) {
		ssize_t k = send(fd, buf + sent, len - sent, MSG_NOSIGNAL);
		calls++;
		if (k < 0 && errno != EINTR)
			return -1;
		if (k < 0)
			eintr++;
		else if ((size_t)k < len - sent)
			partial++;
		fprintf(stderr, "send(%zu bytes) = %zd%s\n", len - sent, k,
		        k < 0                    ? " EINTR: none taken, again"
		        : (size_t)k < len - sent ? " partial: send the rest"
		                                 : "");
		sent += k > 0 ? (size_t)k : 0;
	}
	fprintf(stderr,
	        "sent %zu bytes in %zu send() calls: %zu partial, "
	        "%zu EINTR\n",
	        sent, calls, partial, eintr);
	if (partial == 0)
		fprintf(stderr, "no partial send: the kernel had room for "
		                "every byte before any signal came\n");
	return 0;
}

/* recv() returns whatever has arrived, 1 byte to RECV_SIZE; 0 is EOF. */
static int
read_response(int fd)
{
	char buf[RECV_SIZE];
	size_t total = 0, calls = 0;
	ssize_t k;

	do {
		k = recv(fd, buf, sizeof(buf), 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		calls++;
		fprintf(stderr, "recv() = %zd%s\n", k,
		        k == 0 ? ": the server closed the connection" : "");
		if (fwrite(buf, 1, (size_t)k, stdout) != (size_t)k ||
		    fflush(stdout) != 0)
			return -1;
		total += (size_t)k;
	} while (k != 0);
	fprintf(stderr, "received %zu bytes in %zu recv() calls\n", total,
	        calls);
	return 0;
}
