/*
 * test_sockopts - the tests of exercise 04-socket-options.
 *
 * 1. listen_reusable() returns a listening socket with SO_REUSEADDR set.
 * 2. It can listen again on a port at once while a TIME_WAIT entry, made
 *    here on purpose (the server closes first), still holds the port.
 * 3. close_abortively() resets the connection: the peer's recv() fails
 *    with ECONNRESET instead of returning 0, and the descriptor is closed.
 *
 * Prints "ok: ..." or "FAIL: ..., expected ..., got ..." per check; exits 1
 * if any check failed. Every wait is bounded (DEADLINE_S).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DEADLINE_S      10
#define TCP_TIME_WAIT_S 6 /* the "st" column of /proc/net/tcp */

int listen_reusable(const char *addr, int port);
int close_abortively(int fd);

static int failures;

#define FAIL(...)                                                              \
	do {                                                                   \
		printf("FAIL: " __VA_ARGS__);                                  \
		failures++;                                                    \
	} while (0)

static int
local_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	if (getsockname(fd, (struct sockaddr *)&sin, &len) < 0)
		return -1;
	return ntohs(sin.sin_port);
}

/* A client connected to 127.0.0.1:port, with a bounded recv(). */
static int
connect_to(int port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct timeval limit = {.tv_sec = DEADLINE_S};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit)) <
	            0 ||
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		printf("test_sockopts: connect to port %d: %s\n", port,
		       strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int
int_option(int fd, int name)
{
	int value = -1;
	socklen_t len = sizeof(value);

	if (getsockopt(fd, SOL_SOCKET, name, &value, &len) < 0)
		return -1;
	return value;
}

static void
test_listener(void)
{
	int fd = listen_reusable("127.0.0.1", 0);

	if (fd < 0) {
		FAIL("listen_reusable(\"127.0.0.1\", 0): expected a socket, "
		     "got -1 (%s)\n",
		     strerror(errno));
		return;
	}
	if (int_option(fd, SO_ACCEPTCONN) != 1)
		FAIL("listen_reusable: expected a listening socket, got one "
		     "that does not listen\n");
	if (int_option(fd, SO_REUSEADDR) != 1)
		FAIL("listen_reusable: expected SO_REUSEADDR set to 1, got "
		     "%d\n",
		     int_option(fd, SO_REUSEADDR));
	else
		printf("ok: listen_reusable() listens with SO_REUSEADDR\n");
	close(fd);
	if (listen_reusable("not an address", 0) != -1)
		FAIL("listen_reusable(\"not an address\"): expected -1\n");
}

/* Whether /proc/net/tcp lists 127.0.0.1:lport <-> :rport in TIME_WAIT. */
static int
in_time_wait(int lport, int rport)
{
	unsigned laddr, lp, raddr, rp, state;
	char line[256];
	int found = 0;
	FILE *f = fopen("/proc/net/tcp", "r");

	while (f && !found && fgets(line, sizeof(line), f))
		found = sscanf(line, " %*u: %x:%x %x:%x %x", &laddr, &lp,
		               &raddr, &rp, &state) == 5 &&
		        laddr == htonl(INADDR_LOOPBACK) &&
		        lp == (unsigned)lport && rp == (unsigned)rport &&
		        state == TCP_TIME_WAIT_S;
	if (f)
		fclose(f);
	return found;
}

/* Makes a TIME_WAIT entry on a port of listen_reusable(); returns the port. */
static int
make_time_wait(void)
{
	struct timespec tick = {.tv_nsec = 10 * 1000 * 1000};
	int listener, client, server, port, peer;
	char byte;

	if ((listener = listen_reusable("127.0.0.1", 0)) < 0)
		return -1;
	port = local_port(listener);
	if ((client = connect_to(port)) < 0)
		return -1;
	peer = local_port(client);
	if ((server = accept(listener, NULL, NULL)) < 0)
		return -1;
	close(server); /* the server closes first: its side gets TIME_WAIT */
	if (recv(client, &byte, 1, 0) != 0)
		printf("test_sockopts: expected EOF on the client\n");
	close(client);
	for (int ms = 0; !in_time_wait(port, peer); ms += 10) {
		if (ms >= DEADLINE_S * 1000) {
			printf("test_sockopts: no TIME_WAIT entry on port %d\n",
			       port);
			return -1;
		}
		nanosleep(&tick, NULL);
	}
	close(listener); /* as a server does when it stops */
	return port;
}

static void
test_rebind(void)
{
	int port = make_time_wait(), fd, client;

	if (port < 0) {
		FAIL("could not set up a TIME_WAIT entry (see above)\n");
		return;
	}
	fd = listen_reusable("127.0.0.1", port);
	if (fd < 0) {
		FAIL("listen_reusable(\"127.0.0.1\", %d) while a TIME_WAIT "
		     "entry holds the port: expected a socket, got -1 (%s)\n",
		     port, strerror(errno));
		return;
	}
	if ((client = connect_to(port)) < 0)
		FAIL("expected the new listener on port %d to take a "
		     "connection\n",
		     port);
	else
		printf("ok: listening again on port %d despite its TIME_WAIT "
		       "entry\n",
		       port);
	if (client >= 0)
		close(client);
	close(fd);
}

static void
test_abortive_close(void)
{
	int listener = listen_reusable("127.0.0.1", 0), client, server, rc;
	char byte;
	ssize_t n;

	if (listener < 0 || (client = connect_to(local_port(listener))) < 0 ||
	    (server = accept(listener, NULL, NULL)) < 0) {
		FAIL("could not set up a connection: %s\n", strerror(errno));
		return;
	}
	close(listener);
	rc = close_abortively(server);
	if (rc != 0)
		FAIL("close_abortively: expected 0, got %d (%s)\n", rc,
		     strerror(errno));
	if (fcntl(server, F_GETFD) != -1)
		FAIL("close_abortively: expected the descriptor closed, it "
		     "is still open\n");
	n = recv(client, &byte, 1, 0);
	if (n == 0)
		FAIL("close_abortively: expected the peer's recv() to fail "
		     "with ECONNRESET, got 0 (EOF: the connection was closed "
		     "with a FIN)\n");
	else if (n < 0 && errno != ECONNRESET)
		FAIL("close_abortively: expected ECONNRESET at the peer, got "
		     "%s\n",
		     strerror(errno));
	else if (n < 0)
		printf("ok: close_abortively() reset the connection "
		       "(ECONNRESET)\n");
	close(client);
}

int
main(void)
{
	test_listener();
	test_rebind();
	test_abortive_close();
	return failures ? 1 : 0;
}
