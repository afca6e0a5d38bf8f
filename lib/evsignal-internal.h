/*
 * evsignal-internal.h - signals delivered through the event loop.
 *
 * Introduced in chapter 12 (signals). A signal handler may run between any
 * two instructions of the program, so it may do almost nothing safely. The
 * handler therefore only writes the signal's number, one byte, to a pipe
 * (the "self-pipe trick"); the read end is an internal EV_READ event of the
 * base, and its callback, run by the loop like any other, counts the bytes
 * and makes the signal events active.
 *
 * Main data structure: struct evsig_info, one per base, inside the base.
 *
 * Interface (for event.c and evmap.c):
 *  - evsig_init_(), evsig_dealloc_(): the pipe and its internal event
 *  - evsig_add_(), evsig_del_(): install or restore the handler of a signal
 *  - evsig_set_base_(): make this base the one the handler writes to
 */
#ifndef EVSIGNAL_INTERNAL_H_INCLUDED_
#define EVSIGNAL_INTERNAL_H_INCLUDED_

#include <signal.h>

#include "event2/event_struct.h"

struct evsig_info {
	struct event ev_signal;    /* internal EV_READ event on pair[0] */
	int ev_signal_pair[2];     /* [0] read end, [1] write end; -1: none */
	int ev_signal_added;       /* ev_signal is added to the base */
	int ev_n_signals_added;    /* signals with a handler installed */
	struct sigaction **sh_old; /* handler before ours, per signal */
	int sh_old_max;            /* entries in sh_old */
};

struct event_base;

/* Creates the pipe and assigns (does not add) the internal event; done
 * by the first evsig_add_(), and again by event_reinit(). 0 or -1. */
int evsig_init_(struct event_base *base);
/* Restores every handler this base installed, closes the pipe. */
void evsig_dealloc_(struct event_base *base);
/* Installs the handler for sig, creating the pipe and adding the internal
 * event if needed. 0 or -1. */
int evsig_add_(struct event_base *base, int sig);
/* Restores the handler sig had before evsig_add_(). 0 or -1. */
int evsig_del_(struct event_base *base, int sig);
/* Makes base the one the handler reports to (one base at a time). */
void evsig_set_base_(struct event_base *base);

#endif /* EVSIGNAL_INTERNAL_H_INCLUDED_ */
