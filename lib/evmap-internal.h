/*
 * evmap-internal.h - the maps from a descriptor, or a signal number, to the
 * events waiting on it.
 *
 * Introduced in chapter 10 (reactor). The backend knows descriptors; the
 * user knows events; several events may wait on one descriptor (a read
 * event and a write event, say). The fd map joins them: for each
 * descriptor, the list of its events, how many want EV_READ, EV_WRITE and
 * EV_CLOSED, and the backend's fdinfo_len bytes. The signal map does the
 * same for signal numbers. Both are arrays indexed by the number, grown as
 * needed: descriptors are small integers, reused lowest first.
 *
 * Interface:
 *  - evmap_io_initmap_(), evmap_io_clear_(), evmap_io_add_(),
 *    evmap_io_del_() (evmap_io_active_() is in event-internal.h)
 *  - evmap_signal_initmap_(), evmap_signal_clear_(), evmap_signal_add_(),
 *    evmap_signal_del_(), evmap_signal_active_()
 *  - evmap_reinit_(), evmap_foreach_event_(), evmap_delete_all_()
 */
#ifndef EVMAP_INTERNAL_H_INCLUDED_
#define EVMAP_INTERNAL_H_INCLUDED_

#include "event2/event_struct.h"

struct event_base;
struct evmap_io;
struct evmap_signal;

struct event_io_map {
	struct evmap_io **entries; /* by fd; NULL until fd is first used */
	int nentries;
};

struct event_signal_map {
	struct evmap_signal **entries; /* by signal number */
	int nentries;
};

void evmap_io_initmap_(struct event_io_map *map);
/* Frees the map; its events must already be deleted. */
void evmap_io_clear_(struct event_io_map *map);
/* Links ev (I/O, not yet inserted) to its fd and tells the backend if the
 * fd's interest grows. 0, or -1 (nothing changed). */
int evmap_io_add_(struct event_base *base, evutil_socket_t fd,
                  struct event *ev);
/* Unlinks ev and tells the backend if the fd's interest shrinks. 0/-1. */
int evmap_io_del_(struct event_base *base, evutil_socket_t fd,
                  struct event *ev);

void evmap_signal_initmap_(struct event_signal_map *map);
void evmap_signal_clear_(struct event_signal_map *map);
/* Links ev to signal sig, installing the handler for the first one. */
int evmap_signal_add_(struct event_base *base, int sig, struct event *ev);
/* Unlinks ev, restoring the handler after the last one. 0/-1. */
int evmap_signal_del_(struct event_base *base, int sig, struct event *ev);
/* sig arrived ncalls times: makes its events active. */
void evmap_signal_active_(struct event_base *base, int sig, int ncalls);

/* After the backend was rebuilt: registers every fd's interest again
 * (signal handlers survive fork(); the core replaces the pipe). */
int evmap_reinit_(struct event_base *base);
/* Calls fn for each event in both maps, internal ones included, until fn
 * returns nonzero; returns that value or 0. fn must not change the maps. */
int evmap_foreach_event_(struct event_base *base,
                         int (*fn)(struct event_base *, struct event *, void *),
                         void *arg);
/* event_del()s every non-internal event in both maps. */
void evmap_delete_all_(struct event_base *base);

#endif /* EVMAP_INTERNAL_H_INCLUDED_ */
