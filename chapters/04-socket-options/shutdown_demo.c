/*
 * shutdown_demo - chapter 04: shutdown() versus close().
 *
 * close(fd) drops one descriptor; the kernel ends the connection only when
 * the last descriptor for it is gone. shutdown(fd, SHUT_WR) acts on the
 * connection itself, whoever else holds it: it sends a FIN now, so the peer
 * reads EOF, while data can still flow the other way (a half-close). This
 * program shows both, and what SHUT_RD does on Linux.
 *
 *   ./shutdown_demo
 *
 * Watch: in part 1 the answer arrives after the client's EOF; in part 2 the
 * connection outlives close() but not shutdown().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net.h"
#include "rot13.h"

#define PROG        "shutdown_demo"
#define QUESTION    "Why half-close?"
#define DEADLINE_MS 5000

static int half_close(void);
static int close_vs_shutdown(void);
static int shut_rd(void);
static int connect_pair(int *client, int *server);
static ssize_t read_to_eof(int fd, char *buf, size_t size);

int
main(int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: %s\n", PROG);
		return 2;
	}
	if (half_close() < 0 || close_vs_shutdown() < 0 || shut_rd() < 0)
		return 1;
	return 0;
}

/* The client says all it has to say, then waits for the answer. */
static int
half_close(void)
{
	char buf[64];
	ssize_t n;
	int client, server;

	printf("1. Half-close: shutdown(SHUT_WR), then read the answer\n");
	if (connect_pair(&client, &server) < 0)
		return -1;
	if (send_all(client, QUESTION, strlen(QUESTION)) < 0 ||
	    shutdown(client, SHUT_WR) < 0 ||
	    (n = read_to_eof(server, buf, sizeof(buf))) < 0) {
		perror(PROG ": half-close");
		return -1;
	}
	printf("   client: sent \"%s\", then shutdown(SHUT_WR)\n", QUESTION);
	printf("   server: read %zd bytes, then EOF; answers and closes\n", n);
	for (ssize_t i = 0; i < n; i++)
		buf[i] = rot13_char(buf[i]);
	if (send_all(server, buf, (size_t)n) < 0 || close(server) < 0 ||
	    (n = read_to_eof(client, buf, sizeof(buf) - 1)) < 0) {
		perror(PROG ": answer");
		return -1;
	}
	buf[n] = '\0';
	printf("   client: after its shutdown() it still received \"%s\"\n",
	       buf);
	close(client);
	return 0;
}

/* Two descriptors, one connection: close() one, then shutdown() the other. */
static int
close_vs_shutdown(void)
{
	char buf[64];
	ssize_t n;
	int client, server, copy;

	printf("2. close() drops a descriptor, shutdown() ends the "
	       "connection\n");
	if (connect_pair(&client, &server) < 0)
		return -1;
	if ((copy = dup(server)) < 0 || close(server) < 0 ||
	    send_all(copy, "still open", 10) < 0 ||
	    (n = recv(client, buf, sizeof(buf), 0)) <= 0) {
		perror(PROG ": close");
		return -1;
	}
	/* A FIN would have come before the data: none came. */
	printf("   server: dup(), close() one copy, send through the other\n"
	       "   client: received %zd bytes (\"%.*s\"), no EOF: the "
	       "connection is open\n",
	       n, (int)n, buf);
	if (shutdown(copy, SHUT_WR) < 0 ||
	    (n = read_to_eof(client, buf, sizeof(buf))) != 0) {
		perror(PROG ": shutdown");
		return -1;
	}
	printf("   server: shutdown(SHUT_WR) on the copy, still open as a "
	       "descriptor\n   client: recv() returned 0: EOF\n");
	close(copy);
	close(client);
	return 0;
}

/* SHUT_RD sends nothing; on Linux recv() returns 0 once the queue is empty. */
static int
shut_rd(void)
{
	struct timespec tick = {.tv_nsec = 10 * 1000 * 1000};
	int client, server, queued = 0;
	char buf[16];
	ssize_t n;

	printf("3. shutdown(SHUT_RD)\n");
	if (connect_pair(&client, &server) < 0)
		return -1;
	if (shutdown(server, SHUT_RD) < 0 ||
	    (n = recv(server, buf, sizeof(buf), 0)) < 0) {
		perror(PROG ": SHUT_RD");
		return -1;
	}
	printf("   server: recv() returned %zd at once (EOF, no wait)\n", n);
	if (send_all(client, "late", 4) < 0) {
		perror(PROG ": send");
		return -1;
	}
	printf("   client: send(\"late\") works: the peer is not told\n");
	for (int ms = 0; queued < 4 && ms < DEADLINE_MS; ms += 10) {
		if (ioctl(server, FIONREAD, &queued) < 0) {
			perror(PROG ": FIONREAD");
			return -1;
		}
		if (queued < 4)
			nanosleep(&tick, NULL);
	}
	n = recv(server, buf, sizeof(buf), 0);
	printf("   server: recv() now returns %zd: Linux still delivers data "
	       "that arrives\n",
	       n);
	close(server);
	close(client);
	return 0;
}

static int
connect_pair(int *client, int *server)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct timeval limit = {.tv_sec = DEADLINE_MS / 1000};
	int listener = listen_tcp("127.0.0.1", 0, 1);

	/* Timeouts on both ends: a mistake here fails instead of hanging. */
	if (listener < 0 ||
	    getsockname(listener, (struct sockaddr *)&sin, &len) < 0 ||
	    (*client = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    setsockopt(*client, SOL_SOCKET, SO_RCVTIMEO, &limit,
	               sizeof(limit)) < 0 ||
	    connect(*client, (struct sockaddr *)&sin, len) < 0 ||
	    (*server = accept(listener, NULL, NULL)) < 0 ||
	    setsockopt(*server, SOL_SOCKET, SO_RCVTIMEO, &limit,
	               sizeof(limit)) < 0) {
		perror(PROG ": connect");
		return -1;
	}
	close(listener);
	return 0;
}

/* Reads until EOF; returns the byte count, or -1 (errno set). */
static ssize_t
read_to_eof(int fd, char *buf, size_t size)
{
	size_t got = 0;
	ssize_t n;

	while ((n = recv(fd, buf + got, size - got, 0)) > 0) {
		got += (size_t)n;
		if (got == size) {
			errno = EMSGSIZE;
			return -1;
		}
	}
	return n < 0 ? -1 : (ssize_t)got;
}
