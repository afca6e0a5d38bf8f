/*
 * reaper.c - exercise 02 (fork-per-connection), the reference solution.
 *
 * A SIGCHLD handler that reaps every exited child (reaper.h says why each
 * rule holds), installed with SA_RESTART and SA_NOCLDSTOP.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "reaper.h"

static void
reap_children(int sig)
{
	int saved = errno; /* waitpid() ends with ECHILD or sets it anyway */

	(void)sig;
	/* One SIGCHLD may stand for many exits: loop until none is left.
	 * WNOHANG returns 0 instead of waiting for children still running. */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		continue;
	errno = saved;
}

int
install_reaper(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = reap_children;
	sigemptyset(&sa.sa_mask);
	/* SA_RESTART: read(), accept()... interrupted by SIGCHLD are
	 * restarted instead of failing with EINTR. SA_NOCLDSTOP: no signal
	 * when a child is merely stopped (Ctrl-Z, SIGSTOP). */
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	return sigaction(SIGCHLD, &sa, NULL);
}
