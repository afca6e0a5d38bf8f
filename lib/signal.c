/*
 * signal.c - signals turned into events with a self-pipe.
 *
 * Introduced in chapter 12 (signals). The handler writes the signal number
 * as one byte to a non-blocking pipe and returns; the pipe's read end is an
 * internal persistent EV_READ event of the base, whose callback counts the
 * bytes per signal and makes the signal's events active, so user callbacks
 * run from the loop, where any function may be called.
 *
 * Main data structure: struct evsig_info (evsignal-internal.h), in the base.
 *
 * Design reasons (libevent's):
 *  1. A handler cannot know which base to wake, so one process-wide
 *     variable names the pipe to write to. Hence one base receives all
 *     signals at a time: the last one that added a signal event, or that
 *     started its loop while having signal events (evsig_set_base_()).
 *  2. The handler saves and restores errno: it interrupts code that may be
 *     about to read errno after a failed call.
 *  3. Handlers are installed with SA_RESTART, so slow system calls in the
 *     rest of the program are restarted rather than failing with EINTR
 *     (the loop's own wait still returns early: the pipe becomes readable).
 *  4. Both pipe ends are non-blocking: if the pipe is full, the handler
 *     drops the byte rather than block inside a signal handler; the pipe
 *     is already readable, so the loop wakes anyway.
 *
 * Interface: see evsignal-internal.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "event-internal.h"
#include "log-internal.h"
#include "mm-internal.h"

/* The write end of the pipe of the base that receives signals, read by the
 * handler: the only state a handler can reach. -1 means none. */
static volatile sig_atomic_t evsig_base_fd = -1;
static struct event_base *evsig_base;

/* The handler: reports sig through the pipe. Async-signal-safe. */
static void
evsig_handler(int sig)
{
	int saved_errno = errno;
	unsigned char msg = (unsigned char)sig;
	int fd = evsig_base_fd;
	if (fd >= 0 && write(fd, &msg, 1) < 0) {
		/* Full pipe: it is readable already; the loop will wake. */
	}
	errno = saved_errno;
}

/* The internal event's callback: drains the pipe, then activates. */
static void
evsig_cb(evutil_socket_t fd, short what, void *arg)
{
	struct event_base *base = arg;
	int ncaught[NSIG] = {0};
	unsigned char buf[1024];
	ssize_t n;
	(void)what;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] < NSIG)
				ncaught[buf[i]]++;
	}
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		event_warn_("%s: read", __func__);
	for (int sig = 1; sig < NSIG; sig++)
		if (ncaught[sig])
			evmap_signal_active_(base, sig, ncaught[sig]);
}

int
evsig_init_(struct event_base *base)
{
	struct evsig_info *sig = &base->sig;
	if (pipe2(sig->ev_signal_pair, O_NONBLOCK | O_CLOEXEC) == -1) {
		event_warn_("%s: pipe2", __func__);
		sig->ev_signal_pair[0] = sig->ev_signal_pair[1] = -1;
		return -1;
	}
	event_assign(&sig->ev_signal, base, sig->ev_signal_pair[0],
	             EV_READ | EV_PERSIST, evsig_cb, base);
	sig->ev_signal.ev_flags |= EVLIST_INTERNAL;
	event_priority_set(&sig->ev_signal, 0);
	sig->ev_signal_added = 0;
	return 0;
}

void
evsig_set_base_(struct event_base *base)
{
	evsig_base = base;
	evsig_base_fd = base->sig.ev_signal_pair[1];
}

/* Remembers sig's current handler in sh_old[sig], growing the table. */
static int
evsig_save_old(struct evsig_info *info, int sig, struct sigaction *sa)
{
	if (sig >= info->sh_old_max) {
		size_t size = (size_t)(sig + 1) * sizeof(*info->sh_old);
		struct sigaction **p = mm_realloc_(info->sh_old, size);
		if (p == NULL)
			return -1;
		memset(p + info->sh_old_max, 0,
		       (size_t)(sig + 1 - info->sh_old_max) * sizeof(*p));
		info->sh_old = p;
		info->sh_old_max = sig + 1;
	}
	info->sh_old[sig] = mm_malloc_(sizeof(*sa));
	if (info->sh_old[sig] == NULL)
		return -1;
	*info->sh_old[sig] = *sa;
	return 0;
}

int
evsig_add_(struct event_base *base, int sig)
{
	struct evsig_info *info = &base->sig;
	struct sigaction sa, old;
	if (info->ev_signal_pair[0] < 0 && evsig_init_(base) == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = evsig_handler;
	sa.sa_flags = SA_RESTART;
	sigfillset(&sa.sa_mask);
	if (sigaction(sig, &sa, &old) == -1) {
		event_warn_("%s: sigaction(%d)", __func__, sig);
		return -1;
	}
	if (evsig_save_old(info, sig, &old) == -1) {
		sigaction(sig, &old, NULL);
		return -1;
	}
	evsig_set_base_(base);
	info->ev_n_signals_added++;
	if (!info->ev_signal_added) {
		if (event_add_nolock_(&info->ev_signal, NULL, 0) == -1)
			return -1;
		info->ev_signal_added = 1;
	}
	return 0;
}

int
evsig_del_(struct event_base *base, int sig)
{
	struct evsig_info *info = &base->sig;
	if (sig >= info->sh_old_max || info->sh_old[sig] == NULL)
		return -1;
	int res = sigaction(sig, info->sh_old[sig], NULL);
	if (res == -1)
		event_warn_("%s: sigaction(%d)", __func__, sig);
	mm_free_(info->sh_old[sig]);
	info->sh_old[sig] = NULL;
	info->ev_n_signals_added--;
	return res;
}

void
evsig_dealloc_(struct event_base *base)
{
	struct evsig_info *info = &base->sig;
	if (info->ev_signal_added) {
		event_del_nolock_(&info->ev_signal);
		info->ev_signal_added = 0;
	}
	for (int sig = 0; sig < info->sh_old_max; sig++)
		if (info->sh_old[sig])
			evsig_del_(base, sig);
	mm_free_(info->sh_old);
	info->sh_old = NULL;
	info->sh_old_max = 0;
	if (evsig_base == base) {
		evsig_base = NULL;
		evsig_base_fd = -1;
	}
	if (info->ev_signal_pair[0] >= 0)
		event_debug_unassign(&info->ev_signal);
	for (int i = 0; i < 2; i++) {
		if (info->ev_signal_pair[i] >= 0)
			close(info->ev_signal_pair[i]);
		info->ev_signal_pair[i] = -1;
	}
}
