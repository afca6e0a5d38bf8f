/*
 * sigpipe_demo - chapter 04: SIGPIPE, and the two ways servers avoid it.
 *
 * Writing to a TCP connection that can no longer carry data (the peer reset
 * it, or we shut it down for writing) raises SIGPIPE, whose default action
 * kills the process: one vanished client would take a whole server down.
 * Each case below runs in a child process on a connection whose peer has
 * reset it, and the parent reports how the child ended.
 *
 *   write() with SIGPIPE at its default      the child is killed, signal 13
 *   send(..., MSG_NOSIGNAL)                  EPIPE instead, for this call
 *   signal(SIGPIPE, SIG_IGN), then write()   EPIPE instead, process-wide
 *
 *   ./sigpipe_demo
 *
 * Watch: the first write after the reset reports ECONNRESET (the error the
 * RST left pending); the next one is the one that raises SIGPIPE.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net.h"

#define PROG        "sigpipe_demo"
#define WRITES      3
#define DEADLINE_MS 5000

enum how { PLAIN_WRITE, SEND_NOSIGNAL, IGNORE_SIGPIPE };

static int run_case(enum how how, const char *title);
static int reset_connection(void);
static void writer(int fd, enum how how);
static void report(pid_t pid);
static const char *errno_name(int err);

int
main(int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: %s\n", PROG);
		return 2;
	}
	if (run_case(PLAIN_WRITE, "1. write() to a reset connection") < 0 ||
	    run_case(SEND_NOSIGNAL, "2. send(..., MSG_NOSIGNAL)") < 0 ||
	    run_case(IGNORE_SIGPIPE, "3. signal(SIGPIPE, SIG_IGN), then "
	                             "write()") < 0)
		return 1;
	return 0;
}

static int
run_case(enum how how, const char *title)
{
	int fd;
	pid_t pid;

	printf("%s\n", title);
	if ((fd = reset_connection()) < 0)
		return -1;
	fflush(stdout); /* or the child would print our buffer again */
	if ((pid = fork()) < 0) {
		perror(PROG ": fork");
		close(fd);
		return -1;
	}
	if (pid == 0)
		writer(fd, how); /* does not return */
	close(fd);
	report(pid);
	return 0;
}

/* A client socket whose server end was closed with an RST, already seen. */
static int
reset_connection(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct linger abort_close = {.l_onoff = 1, .l_linger = 0};
	struct pollfd pfd = {.events = POLLIN};
	int client = -1, server = -1, listener = listen_tcp("127.0.0.1", 0, 1);

	if (listener < 0 ||
	    getsockname(listener, (struct sockaddr *)&sin, &len) < 0 ||
	    (client = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    connect(client, (struct sockaddr *)&sin, len) < 0 ||
	    (server = accept(listener, NULL, NULL)) < 0 ||
	    setsockopt(server, SOL_SOCKET, SO_LINGER, &abort_close,
	               sizeof(abort_close)) < 0) {
		perror(PROG ": connect");
		return -1;
	}
	close(server); /* sends RST */
	close(listener);
	/* The RST is processed a moment later: wait until the socket shows
	 * the error, so the writes below always meet a reset connection. */
	pfd.fd = client;
	if (poll(&pfd, 1, DEADLINE_MS) != 1 || !(pfd.revents & POLLERR)) {
		fprintf(stderr, PROG ": no RST within %d ms\n", DEADLINE_MS);
		close(client);
		return -1;
	}
	return client;
}

/* In the child: write a few times and say what each write returned. */
static void
writer(int fd, enum how how)
{
	ssize_t n;

	if (how == IGNORE_SIGPIPE && signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		perror(PROG ": signal");
		_exit(1);
	}
	for (int i = 1; i <= WRITES; i++) {
		if (how == SEND_NOSIGNAL)
			n = send(fd, "x", 1, MSG_NOSIGNAL);
		else
			n = write(fd, "x", 1);
		printf("   child: %s #%d: ",
		       how == SEND_NOSIGNAL ? "send" : "write", i);
		if (n < 0)
			printf("-1, %s\n", errno_name(errno));
		else
			printf("%zd\n", n);
		fflush(stdout); /* the next write may kill us */
	}
	close(fd);
	_exit(0);
}

static void
report(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) < 0) {
		perror(PROG ": waitpid");
		return;
	}
	if (WIFSIGNALED(status))
		printf("   parent: child killed by signal %d (%s)\n",
		       WTERMSIG(status),
		       WTERMSIG(status) == SIGPIPE
		               ? "SIGPIPE"
		               : strsignal(WTERMSIG(status)));
	else
		printf("   parent: child exited with status %d\n",
		       WEXITSTATUS(status));
}

static const char *
errno_name(int err)
{
	switch (err) {
	case EPIPE:
		return "EPIPE";
	case ECONNRESET:
		return "ECONNRESET";
	default:
		return strerror(err);
	}
}
