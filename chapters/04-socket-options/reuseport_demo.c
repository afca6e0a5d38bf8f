/*
 * reuseport_demo - chapter 04: SO_REUSEPORT, several listeners on one port.
 *
 * Two sockets that both set SO_REUSEPORT before bind() may listen on the
 * same address and port; the kernel then spreads incoming connections
 * between them by a hash of each connection's addresses and ports. That is
 * how several worker processes (nginx, HAProxy, a libevent server started
 * N times) share one port without sharing one accept queue. The demo opens
 * two such listeners, makes 100 connections and counts who accepted what,
 * then shows the rules: every socket must set the option, the first one
 * included, and on Linux all of them must belong to the same user.
 *
 *   ./reuseport_demo
 *
 * Watch: the two counts add up to 100 and neither is 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROG        "reuseport_demo"
#define CONNECTIONS 100
#define NOBODY      65534 /* the unprivileged user of most distributions */
#define DEADLINE_MS 5000

static int listen_on(int port, int reuseport, int *err);
static int local_port(int fd);
static int spread(int port, const int listener[2], int count[2]);
static int accept_all(const int listener[2], int fds[], int count[2]);
static void second_listener(int first_opt, int second_opt);
static void other_user(int port, const int listener[2]);
static const char *bind_result(int fd, int err);

int
main(int argc, char **argv)
{
	int listener[2], count[2] = {0, 0}, err, port;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: %s\n", PROG);
		return 2;
	}
	printf("1. Two listeners on one port, both with SO_REUSEPORT\n");
	if ((listener[0] = listen_on(0, 1, &err)) < 0 ||
	    (listener[1] = listen_on(local_port(listener[0]), 1, &err)) < 0) {
		fprintf(stderr, PROG ": listen: %s\n", strerror(err));
		return 1;
	}
	port = local_port(listener[0]);
	printf("   listeners A and B both listen on 127.0.0.1:%d\n", port);
	if (spread(port, listener, count) < 0)
		return 1;
	printf("   %d connections: listener A accepted %d, listener B "
	       "accepted %d\n",
	       CONNECTIONS, count[0], count[1]);

	printf("2. The same user, but another socket without the option\n");
	second_listener(0, 1);
	second_listener(1, 0);
	printf("3. Both with SO_REUSEPORT, but owned by another user\n");
	other_user(port, listener);
	close(listener[0]);
	close(listener[1]);
	return 0;
}

/* Makes CONNECTIONS connections and counts them per listener. */
static int
spread(int port, const int listener[2], int count[2])
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	int clients[CONNECTIONS], servers[CONNECTIONS], n = 0, rc = 0;

	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (; n < CONNECTIONS; n++) {
		clients[n] = socket(AF_INET, SOCK_STREAM, 0);
		if (clients[n] < 0 ||
		    connect(clients[n], (struct sockaddr *)&sin, sizeof(sin)) <
		            0) {
			perror(PROG ": connect");
			if (clients[n] >= 0)
				close(clients[n]);
			rc = -1;
			break;
		}
	}
	if (rc == 0 && accept_all(listener, servers, count) < 0)
		rc = -1;
	for (int i = 0; i < n; i++)
		close(clients[i]);
	for (int i = 0; i < count[0] + count[1]; i++)
		close(servers[i]);
	return rc;
}

/*
 * Accepts until all CONNECTIONS have come out of the two accept queues. A
 * connection enters a queue when the client's last handshake ACK is
 * processed, which may be a moment after connect() returned: poll for it.
 */
static int
accept_all(const int listener[2], int fds[], int count[2])
{
	struct pollfd pfd[2] = {{.fd = listener[0], .events = POLLIN},
	                        {.fd = listener[1], .events = POLLIN}};
	int n = 0;

	while (n < CONNECTIONS) {
		int ready = poll(pfd, 2, DEADLINE_MS);
		if (ready <= 0) {
			fprintf(stderr, PROG ": only %d of %d accepted\n", n,
			        CONNECTIONS);
			return -1;
		}
		for (int i = 0; i < 2 && n < CONNECTIONS; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			if ((fds[n] = accept(listener[i], NULL, NULL)) < 0) {
				perror(PROG ": accept");
				return -1;
			}
			n++;
			count[i]++;
		}
	}
	return 0;
}

/* A first listener with first_opt, then a second one on its port. */
static void
second_listener(int first_opt, int second_opt)
{
	int err, first = listen_on(0, first_opt, &err), second;

	if (first < 0) {
		fprintf(stderr, PROG ": listen: %s\n", strerror(err));
		return;
	}
	second = listen_on(local_port(first), second_opt, &err);
	printf("   first %s, second %s: second bind: %s\n",
	       first_opt ? "with" : "without", second_opt ? "with" : "without",
	       bind_result(second, err));
	if (second >= 0)
		close(second);
	close(first);
}

/* Linux refuses to let another user's socket join the group (hijacking). */
static void
other_user(int port, const int listener[2])
{
	int err, fd, status;
	pid_t pid;

	if (geteuid() != 0) {
		printf("   (run as root to see it: the demo switches users)\n");
		return;
	}
	fflush(stdout);
	if ((pid = fork()) < 0) {
		perror(PROG ": fork");
		return;
	}
	if (pid == 0) {
		close(listener[0]); /* the child's copies: not needed */
		close(listener[1]);
		/* The socket's owner is fixed when it is created. */
		if (seteuid(NOBODY) < 0) {
			perror(PROG ": seteuid");
			_exit(1);
		}
		fd = listen_on(port, 1, &err);
		printf("   user %d joins user 0's group on port %d: bind: %s\n",
		       NOBODY, port, bind_result(fd, err));
		if (fd >= 0)
			close(fd);
		fflush(stdout); /* _exit() does not flush stdio */
		_exit(0);
	}
	if (waitpid(pid, &status, 0) < 0)
		perror(PROG ": waitpid");
}

static const char *
bind_result(int fd, int err)
{
	if (fd >= 0)
		return "ok";
	return err == EADDRINUSE ? "EADDRINUSE (Address already in use)"
	                         : strerror(err);
}

/* A listening socket on 127.0.0.1:port, or -1 with the error in *err. */
static int
listen_on(int port, int reuseport, int *err)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 ||
	    (reuseport &&
	     setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(fd, 2 * CONNECTIONS) < 0) {
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
