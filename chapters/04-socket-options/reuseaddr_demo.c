/*
 * reuseaddr_demo - chapter 04: SO_REUSEADDR and the TIME_WAIT state.
 *
 * The side of a TCP connection that closes first (the active close) keeps a
 * TIME_WAIT entry for 60 s on Linux. When that side is a server, the entry
 * sits on the server's port, and a restarted server cannot bind the port
 * again unless it sets SO_REUSEADDR. This program makes such an entry on
 * purpose, closes the listener as a stopping server would, and binds the
 * same port again: without options, with SO_REUSEPORT only, and with
 * SO_REUSEADDR. Then it repeats the experiment with a first listener that
 * did not set SO_REUSEADDR, to show the Linux rule that both sockets need it.
 *
 *   ./reuseaddr_demo
 *   ss -tan state time-wait        (within 60 s: the entries it left behind)
 *
 * Watch: the TIME_WAIT entry belongs to the server's port, not the client's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PROG            "reuseaddr_demo"
#define OPT_REUSEADDR   1
#define OPT_REUSEPORT   2
#define TCP_TIME_WAIT_S 6    /* the "st" column of /proc/net/tcp */
#define DEADLINE_MS     5000 /* how long we wait for the kernel */

static int listen_on(int port, int opts, int *err);
static int local_port(int fd);
static int make_time_wait(int opts);
static int in_time_wait(int lport, int rport);
static int wait_time_wait(int lport, int rport);
static void try_bind(int port, int opts, const char *label);
static const char *errno_name(int err);

int
main(int argc, char **argv)
{
	int port;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: %s\n", PROG);
		return 2;
	}
	printf("1. A listener with SO_REUSEADDR (as listen_tcp() makes it)\n");
	if ((port = make_time_wait(OPT_REUSEADDR)) < 0)
		return 1;
	printf("2. Bind 127.0.0.1:%d again while the TIME_WAIT entry lives\n",
	       port);
	try_bind(port, 0, "without options:       ");
	try_bind(port, OPT_REUSEPORT, "with SO_REUSEPORT only:");
	try_bind(port, OPT_REUSEADDR, "with SO_REUSEADDR:     ");

	printf("3. The same, but the first listener had no SO_REUSEADDR\n");
	if ((port = make_time_wait(0)) < 0)
		return 1;
	try_bind(port, OPT_REUSEADDR, "with SO_REUSEADDR:     ");
	printf("   On Linux the old socket must have had SO_REUSEADDR too.\n");
	return 0;
}

/* Returns the port whose TIME_WAIT entry it made, or -1. */
static int
make_time_wait(int opts)
{
	struct timeval limit = {.tv_sec = DEADLINE_MS / 1000};
	struct sockaddr_in sin = {.sin_family = AF_INET};
	int err, listener, client, server, port, peer;
	char byte;

	if ((listener = listen_on(0, opts, &err)) < 0) {
		fprintf(stderr, PROG ": listen: %s\n", strerror(err));
		return -1;
	}
	port = local_port(listener);
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	client = socket(AF_INET, SOCK_STREAM, 0);
	if (client < 0 ||
	    setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit)) <
	            0 ||
	    connect(client, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    (server = accept(listener, NULL, NULL)) < 0) {
		perror(PROG ": connect/accept");
		return -1;
	}
	peer = local_port(client);
	printf("   listening on 127.0.0.1:%d, a client connects from port %d\n",
	       port, peer);
	close(server); /* the server closes first: it will hold TIME_WAIT */
	if (recv(client, &byte, 1, 0) != 0) {
		perror(PROG ": the client expected EOF");
		return -1;
	}
	close(client); /* the client answers the FIN with its own */
	if (wait_time_wait(port, peer) < 0)
		return -1;
	printf("   the server closed first, the client read EOF and closed\n");
	printf("   TIME_WAIT entry: 127.0.0.1:%d -> 127.0.0.1:%d (server)\n",
	       port, peer);
	printf("   client side, 127.0.0.1:%d -> 127.0.0.1:%d: %s\n", peer, port,
	       in_time_wait(peer, port) ? "in TIME_WAIT too (unexpected)"
	                                : "no TIME_WAIT (it closed second)");
	close(listener);
	printf("   listener closed: only the TIME_WAIT entry holds port %d\n",
	       port);
	return port;
}

/* Binds a fresh socket to the port with the given options, and reports. */
static void
try_bind(int port, int opts, const char *label)
{
	int err, fd = listen_on(port, opts, &err);

	if (fd >= 0) {
		printf("   %s ok, listening again\n", label);
		close(fd);
	} else {
		printf("   %s bind: %s (%s)\n", label, errno_name(err),
		       strerror(err));
	}
}

/* A listening socket on 127.0.0.1:port, or -1 with the error in *err. */
static int
listen_on(int port, int opts, int *err)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* Options count only if set before bind(): bind is when the kernel
	 * checks the port against the sockets that already hold it. */
	if (fd < 0 ||
	    ((opts & OPT_REUSEADDR) &&
	     setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) ||
	    ((opts & OPT_REUSEPORT) &&
	     setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(fd, 16) < 0) {
		*err = errno;
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int
local_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	if (getsockname(fd, (struct sockaddr *)&sin, &len) < 0)
		return -1;
	return ntohs(sin.sin_port);
}

/*
 * Whether /proc/net/tcp (what ss reads too, through netlink) lists the
 * connection 127.0.0.1:lport <-> 127.0.0.1:rport in TIME_WAIT. Both ports
 * count: a new connection may reuse a local port whose TIME_WAIT entry is
 * for another peer.
 */
static int
in_time_wait(int lport, int rport)
{
	unsigned laddr, lp, raddr, rp, state;
	char line[256];
	int found = 0;
	FILE *f = fopen("/proc/net/tcp", "r");

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		found = sscanf(line, " %*u: %x:%x %x:%x %x", &laddr, &lp,
		               &raddr, &rp, &state) == 5 &&
		        laddr == htonl(INADDR_LOOPBACK) &&
		        lp == (unsigned)lport && rp == (unsigned)rport &&
		        state == TCP_TIME_WAIT_S;
	}
	fclose(f);
	return found;
}

/* The entry appears once the client's FIN is processed: poll, bounded. */
static int
wait_time_wait(int lport, int rport)
{
	struct timespec tick = {.tv_nsec = 10 * 1000 * 1000};

	for (int ms = 0; ms < DEADLINE_MS; ms += 10) {
		if (in_time_wait(lport, rport))
			return 0;
		nanosleep(&tick, NULL);
	}
	fprintf(stderr, PROG ": no TIME_WAIT entry on port %d after %d ms\n",
	        lport, DEADLINE_MS);
	return -1;
}

static const char *
errno_name(int err)
{
	return err == EADDRINUSE ? "EADDRINUSE" : "error";
}
