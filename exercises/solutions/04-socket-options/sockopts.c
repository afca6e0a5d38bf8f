/*
 * sockopts.c - exercise 04-socket-options: the reference solution.
 *
 *  - listen_reusable(addr, port): SO_REUSEADDR, set before bind(), lets a
 *    new listener take a port that TIME_WAIT entries still hold.
 *  - close_abortively(fd): SO_LINGER with l_onoff = 1 and l_linger = 0
 *    turns close() into an abortive close: an RST instead of a FIN.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

int listen_reusable(const char *addr, int port);
int close_abortively(int fd);

/*
 * Returns a TCP socket listening on the IPv4 address addr (numeric, e.g.
 * "127.0.0.1") and port (0: the kernel picks one), or -1 with errno set;
 * nothing is left open on failure.
 */
int
listen_reusable(const char *addr, int port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	int fd, saved, one = 1;

	sin.sin_port = htons((unsigned short)port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		errno = EINVAL;
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	/* bind() is where the kernel checks the port against the sockets
	 * that hold it, TIME_WAIT entries included: set the option first.
	 * On Linux the entries left by this socket's connections remember
	 * it too, so the next listener can take the port over. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(fd, SOMAXCONN) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/*
 * Closes fd so that the peer's connection is reset. Returns what close()
 * returns: 0, or -1 with errno set. Data still queued to send is thrown
 * away and no TIME_WAIT entry is left: use it for peers you mean to drop.
 */
int
close_abortively(int fd)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	int saved;

	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0) {
		saved = errno;
		close(fd); /* the caller gave fd up either way */
		errno = saved;
		return -1;
	}
	return close(fd);
}
