/*
 * sockopts.c - exercise 04-socket-options: the file you edit.
 *
 * Two functions, each one socket option away from done (chapter 04 shows
 * both options at work; README.md says how your code is checked):
 *
 *  - listen_reusable(addr, port): a listening TCP socket on addr:port that
 *    a restarted server can create again at once, even while a connection
 *    it closed first still holds the port in TIME_WAIT.
 *  - close_abortively(fd): closes a connected TCP socket so that the peer
 *    sees the connection reset (its recv() fails with ECONNRESET) instead
 *    of an orderly end (recv() returning 0).
 *
 * As shipped, both work but set no option: the tests fail. `make check`
 * tests your file, `make hint` gives a hint.
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
	int fd, saved;

	sin.sin_port = htons((unsigned short)port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		errno = EINVAL;
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
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
 * returns: 0, or -1 with errno set.
 */
int
close_abortively(int fd)
{
	return close(fd);
}
