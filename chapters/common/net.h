/*
 * net.h - the socket helpers every pre-library chapter shares.
 *
 * Introduced in chapter 01 (blocking-io). Chapters 01-09 build their servers
 * from these few calls so that each chapter's own file shows only what that
 * chapter is about. From chapter 10 on, minievent (lib/) takes over.
 *
 * Interface:
 *  - server_options_parse(): the common command line, -p PORT and -a ADDR
 *  - listen_tcp():           socket + SO_REUSEADDR + bind + listen
 *  - announce_listening():   prints "listening on ADDR:PORT", flushed
 *  - send_all():             sends every byte despite partial sends and EINTR
 *  - set_nonblocking():      O_NONBLOCK the right way (chapter 05)
 *  - accept_error():         what to do when accept() fails
 *  - stop_signals_install(), stop_requested(), stop_fd(), wait_readable():
 *    a clean, race-free stop on SIGINT/SIGTERM (the self-pipe trick that
 *    chapter 12 explains in full)
 */
#ifndef COMMON_NET_H_INCLUDED_
#define COMMON_NET_H_INCLUDED_

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#define SERVER_DEFAULT_ADDR "127.0.0.1"
#define SERVER_DEFAULT_PORT 40713
#define SERVER_BACKLOG      128

struct server_options {
	const char *addr; /* -a ADDR: numeric IPv4 or IPv6 address */
	int port;         /* -p PORT: 0 asks the kernel for a free port */
};

/*
 * Fills opt from argv. Understands -p PORT, -a ADDR and -h; on anything else
 * prints a usage line to stderr and exits with status 2.
 */
void server_options_parse(struct server_options *opt, int argc, char **argv);

/*
 * For programs with options of their own: call from your getopt() loop with
 * the option character and optarg. Returns 0 if the option was -p or -a and
 * its value was good, -1 otherwise (then print your usage and exit).
 */
int server_option_apply(struct server_options *opt, int ch, const char *arg);

/* Sets opt to the defaults: 127.0.0.1, port 40713. */
void server_options_init(struct server_options *opt);

/*
 * Returns a TCP socket listening on addr:port with the given backlog, or -1
 * with errno set (the socket is closed on failure). SO_REUSEADDR is set so
 * that a restarted server is not refused by connections in TIME_WAIT
 * (chapter 04 shows the difference).
 */
int listen_tcp(const char *addr, int port, int backlog);

/*
 * Fills *ss with the address -a and -p name, for calls that make and bind
 * the socket themselves (evconnlistener_new_bind(), chapter 15). Returns
 * its length, or -1 with errno EINVAL if ADDR is not a numeric IPv4 or
 * IPv6 address.
 */
int server_sockaddr(const struct server_options *opt,
                    struct sockaddr_storage *ss);

/*
 * Prints "listening on ADDR:PORT" for the address the kernel actually gave
 * the socket (so port 0 shows the real port) and flushes stdout: tests and
 * scripts wait for this line. Returns 0, or -1 with errno set.
 */
int announce_listening(int fd);

/*
 * Sends all n bytes of buf on a blocking socket. send() may take fewer bytes
 * than asked, or be interrupted by a signal; this keeps going until every
 * byte is sent. Uses MSG_NOSIGNAL, so a vanished peer gives EPIPE instead of
 * killing the process with SIGPIPE. Returns n, or -1 with errno set (EINTR
 * only when a stop was requested).
 */
ssize_t send_all(int fd, const void *buf, size_t n);

/*
 * Adds O_NONBLOCK to fd's file status flags, keeping the flags already set
 * (F_GETFL first, then F_SETFL). Returns 0, or -1 with errno set.
 */
int set_nonblocking(int fd);

/*
 * Makes SIGINT and SIGTERM request a stop instead of killing the process.
 * The handler only records the request and writes one byte to a pipe that
 * is never drained, so stop_fd() stays readable from then on: any thread
 * waiting on it in poll/select/epoll wakes up, now or later, with no race.
 * The handler is installed without SA_RESTART, so a blocking call in
 * progress fails with EINTR. Returns 0, or -1 with errno set.
 */
int stop_signals_install(void);

/* Nonzero once SIGINT or SIGTERM has arrived. */
int stop_requested(void);

/* The read end of the stop pipe, or -1 before stop_signals_install(). */
int stop_fd(void);

/*
 * Blocks until fd is readable (1) or a stop is requested (0); -1 on error.
 * Blocking servers call it before accept() and recv() so that Ctrl-C stops
 * them even while they wait.
 */
int wait_readable(int fd);

/*
 * Call right after accept() failed, with errno as accept() left it.
 * Harmless failures (EINTR, ECONNABORTED: a client gave up, EAGAIN) return
 * quietly. Others are printed as "prog: accept: reason". When the process is
 * out of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM) it also
 * waits up to 100 ms (less if a stop is requested): the waiting connection
 * keeps the listener readable, and the accept loop would otherwise spin at
 * full CPU. Chapter 15 shows better cures. errno is left unchanged.
 */
void accept_error(const char *prog);

/* Closes the stop pipe; call once at exit so valgrind sees no open fds. */
void stop_signals_release(void);

#endif /* COMMON_NET_H_INCLUDED_ */
