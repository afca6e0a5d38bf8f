/*
 * sigcatch.c - exercise 12-signals: the file you edit (see README.md).
 *
 * As shipped this is the racy version: the handler sets a flag, and there
 * is no descriptor, so a loop that checks the flags and then sleeps in
 * poll() misses a signal that lands between the two. It also keeps only
 * one "arrived" bit per signal, so several deliveries become one. Turn it
 * into a self-pipe: the promises are in sigcatch.h.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "sigcatch.h"

/* One flag per signal: all the handler can safely touch. */
static volatile sig_atomic_t arrived[NSIG];
static int installed[NSIG];

static void
sigcatch_handler(int sig)
{
	arrived[sig] = 1;
}

int
sigcatch_install(int signo)
{
	struct sigaction sa;

	if (signo <= 0 || signo >= NSIG) {
		errno = EINVAL;
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sigcatch_handler;
	sigemptyset(&sa.sa_mask);
	if (sigaction(signo, &sa, NULL) < 0)
		return -1;
	installed[signo] = 1;
	return 0;
}

int
sigcatch_fd(void)
{
	return -1; /* a flag has nothing poll() could watch */
}

int
sigcatch_take(void)
{
	for (int sig = 1; sig < NSIG; sig++) {
		if (arrived[sig]) {
			arrived[sig] = 0;
			return sig;
		}
	}
	return 0;
}

void
sigcatch_release(void)
{
	for (int sig = 1; sig < NSIG; sig++) {
		if (installed[sig])
			signal(sig, SIG_DFL);
		installed[sig] = 0;
		arrived[sig] = 0;
	}
}
