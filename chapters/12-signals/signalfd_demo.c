/*
 * signalfd_demo - chapter 12: signalfd(2), Linux's signals as a descriptor.
 *
 * Block the signals (so no handler runs and they stay pending), then read
 * them from a descriptor as struct signalfd_siginfo records: the loop polls
 * it like a socket, with no handler and no pipe. The price: the blocked
 * mask is inherited by every thread created afterwards and kept across
 * fork() and exec(), so a child program starts with those signals blocked
 * unless the parent unblocks them between fork() and exec().
 *
 *   ./signalfd_demo
 *
 * Watch: three SIGUSR1 raised while blocked read back as one record, three
 * queued real-time signals as three; the child's SigBlk mask in
 * /proc/self/status, inherited and then cleared.
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

static void read_all(int sfd);
static void show_child_mask(const char *label, int unblock);

int
main(void)
{
	sigset_t mask;
	int sfd;

	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGRTMIN);
	/* Blocked first: otherwise the default action (terminate) runs. */
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return perror("signalfd_demo: sigprocmask"), 1;
	sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0)
		return perror("signalfd_demo: signalfd"), 1;

	printf("1. SIGUSR1 raised 3 times, SIGRTMIN queued 3 times\n");
	for (int i = 1; i <= 3; i++) {
		raise(SIGUSR1);
		sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = i});
	}
	read_all(sfd);

	printf("2. the blocked mask, as a child program sees it\n");
	show_child_mask("inherited", 0);
	show_child_mask("unblocked before exec", 1);
	close(sfd);
	return 0;
}

/* Polls like any descriptor, then reads one record per pending signal. */
static void
read_all(int sfd)
{
	struct pollfd pfd = {.fd = sfd, .events = POLLIN};
	struct signalfd_siginfo si;

	printf("   poll() says readable: %d\n", poll(&pfd, 1, 1000));
	while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		printf("   %s from %s, value %d\n",
		       si.ssi_signo == SIGUSR1 ? "SIGUSR1" : "SIGRTMIN",
		       si.ssi_pid == (unsigned)getpid() ? "this process"
		                                        : "elsewhere",
		       si.ssi_code == SI_QUEUE ? si.ssi_int : 0);
	}
}

/* Runs grep in a child to print the child's blocked mask. */
static void
show_child_mask(const char *label, int unblock)
{
	sigset_t none;
	pid_t pid;

	printf("   %s: ", label);
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("signalfd_demo: fork");
		exit(1);
	}
	if (pid == 0) {
		sigemptyset(&none);
		if (unblock)
			sigprocmask(SIG_SETMASK, &none, NULL);
		execlp("grep", "grep", "^SigBlk", "/proc/self/status",
		       (char *)NULL);
		_exit(127);
	}
	waitpid(pid, NULL, 0);
}
