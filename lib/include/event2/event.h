/*
 * event2/event.h - minievent's core API: the event loop, events, timers and
 * signals, following libevent 2.1's event2/event.h.
 *
 * Introduced in chapter 10 (reactor); timers in chapter 11, signals in
 * chapter 12. A program written for libevent's event2/event.h compiles
 * against this header unchanged: the names, types, constants and their
 * values, and the behaviour are libevent's. Where minievent differs, the
 * comment of the function says so (see also notes/libevent-api-map.md).
 *
 * The model in four lines:
 *  - A struct event_base is one event loop: it waits on a backend (epoll,
 *    poll or select) and keeps the timers and the signals it watches.
 *  - A struct event is one thing to wait for: a descriptor becoming
 *    readable or writable, a signal arriving, a timeout expiring, and the
 *    callback to run when it happens.
 *  - An event is "pending" between event_add() and the moment it fires (or
 *    event_del()); it is "active" when its callback is due to run.
 *  - event_base_dispatch() runs callbacks until no event is pending.
 *
 * Threads: minievent has no locks. A base and its events must be used from
 * one thread at a time (libevent without evthread_use_pthreads() has the
 * same rule).
 *
 * Callbacks: unless a function says otherwise, it may be called from inside
 * a callback that the same base is running.
 */
#ifndef EVENT2_EVENT_H_INCLUDED_
#define EVENT2_EVENT_H_INCLUDED_

#include <stdio.h>
#include <sys/time.h>
#include <sys/types.h>

#include <event2/util.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version this library is compatible with: libevent 2.1.12. The
 * number is libevent's encoding: 0xMMmmpp00 (major, minor, patch). */
#define LIBEVENT_VERSION        "2.1.12-minievent"
#define LIBEVENT_VERSION_NUMBER 0x02010c00

/** An event loop. Opaque; create it with event_base_new(). */
struct event_base;
/** One event. Its layout is in event2/event_struct.h, for event_assign(). */
struct event;
/** Settings for event_base_new_with_config(). Opaque. */
struct event_config;

/* ------------------------------------------------------------------ */
/* Debugging                                                           */
/* ------------------------------------------------------------------ */

/**
 * Turns on checks for common misuse of events: adding, deleting or
 * activating a struct event that was never initialized (event_assign() or
 * event_new()), and initializing again an event that is still pending or
 * active. A misuse found is fatal (the log's fatal path, see
 * event_set_fatal_callback()).
 *
 * Call it once, before creating any base or event. It cannot be turned off.
 * minievent's checks read the event's own flags, so they catch a zeroed
 * (for example static or calloc'd) event, but not one made of arbitrary
 * garbage; libevent keeps a table of every event to catch that too.
 * Not from a callback.
 */
void event_enable_debug_mode(void);

/**
 * Tells debug mode that the memory of ev, an event that is not pending nor
 * active, is about to be reused or freed without event_free() (an event
 * embedded in a structure or on the stack). Without debug mode it does
 * nothing useful but is harmless. ev must not be used again before
 * event_assign().
 */
void event_debug_unassign(struct event *ev);

/* ------------------------------------------------------------------ */
/* Creating and freeing a base                                         */
/* ------------------------------------------------------------------ */

/**
 * Creates an event base with the default settings: the first backend of
 * epoll, poll, select that works here and is not disabled by the
 * environment (EVENT_NOEPOLL, EVENT_NOPOLL, EVENT_NOSELECT: set to any
 * value, even empty). EVENT_SHOW_METHOD, if set, makes the base log the
 * backend it chose.
 *
 * @return the new base, which the caller owns and frees with
 *         event_base_free(); NULL on failure (errno set; the reason is
 *         also logged).
 */
struct event_base *event_base_new(void);

/**
 * Makes a base usable again in the child process after fork(). Backends
 * whose kernel state is shared with the parent (epoll) are rebuilt and
 * every pending event is registered with the new one; the signal pipe is
 * replaced so the two processes no longer share it.
 *
 * Call it in the child before running the loop there; not from a callback.
 *
 * @return 0 on success, -1 on failure (the base may then be unusable).
 */
int event_reinit(struct event_base *base);

/**
 * Runs the loop until no event is pending or active, or until
 * event_base_loopexit() or event_base_loopbreak() stops it. The same as
 * event_base_loop(base, 0).
 *
 * @return 0 if stopped by loopexit/loopbreak, 1 if it ran out of events,
 *         -1 on a backend error. Not from a callback of the same base.
 */
int event_base_dispatch(struct event_base *base);

/**
 * @return the name of the backend the base uses: "epoll", "poll" or
 *         "select". The string is static; do not free it.
 */
const char *event_base_get_method(const struct event_base *base);

/**
 * Lists the backends compiled into the library, in the order a base tries
 * them, whether or not they work on this system.
 *
 * @return a NULL-terminated array of static strings; do not free or change
 *         it.
 */
const char **event_get_supported_methods(void);

/**
 * Reads the monotonic clock minievent uses for timeouts (CLOCK_MONOTONIC):
 * it never jumps when the wall clock is set, so use it to measure
 * intervals. Not cached: each call reads the clock.
 *
 * @param base the base (unused by minievent; libevent may use a coarser
 *        clock per base).
 * @return 0, or -1 on failure.
 */
int event_gettime_monotonic(struct event_base *base, struct timeval *tp);

/* Flags for event_base_get_num_events() and event_base_get_max_events(). */
/** Count the events that are active: their callback is due. */
#define EVENT_BASE_COUNT_ACTIVE  1U
/** Count the virtual events (held by higher layers; minievent has none). */
#define EVENT_BASE_COUNT_VIRTUAL 2U
/** Count the events added and not yet deleted or fired. */
#define EVENT_BASE_COUNT_ADDED   4U

/**
 * Counts the base's events of the given kinds.
 *
 * The counts are libevent 2.1's, which count places rather than events:
 * EVENT_BASE_COUNT_ADDED counts a user event once for each structure that
 * holds it (the fd or signal map, the timers, the active queues), so an
 * I/O event with a timeout counts 2, and 3 while it is also active;
 * EVENT_BASE_COUNT_ACTIVE counts active callbacks, the base's internal
 * ones included.
 *
 * @param type an or-ed set of EVENT_BASE_COUNT_* flags; the counts of all
 *        the kinds given are added together.
 * @return the count.
 */
int event_base_get_num_events(struct event_base *base, unsigned int type);

/**
 * Returns the largest value event_base_get_num_events() would have
 * returned for each kind since the base was created (or since the maximum
 * was last cleared), added together over the kinds given.
 *
 * @param type an or-ed set of EVENT_BASE_COUNT_* flags.
 * @param clear nonzero to reset the maxima of those kinds to the current
 *        counts after reading them.
 */
int event_base_get_max_events(struct event_base *base, unsigned int type,
                              int clear);

/**
 * Creates an empty configuration: no backend avoided, no feature required,
 * no flag set.
 *
 * @return the configuration, owned by the caller (event_config_free()), or
 *         NULL if out of memory.
 */
struct event_config *event_config_new(void);

/** Frees a configuration. Bases created from it are not affected. */
void event_config_free(struct event_config *cfg);

/**
 * Tells bases created from cfg not to use the backend named method
 * ("epoll", "poll" or "select"). May be called several times.
 *
 * @return 0 on success, -1 if out of memory.
 */
int event_config_avoid_method(struct event_config *cfg, const char *method);

/** What a backend can do (values as in libevent). */
enum event_method_feature {
	/** Edge-triggered events (EV_ET). epoll only. */
	EV_FEATURE_ET = 0x01,
	/** add, del and each ready event cost O(1): epoll. */
	EV_FEATURE_O1 = 0x02,
	/** Any kind of descriptor, not only sockets: all three backends. */
	EV_FEATURE_FDS = 0x04,
	/** EV_CLOSED: notice that the peer closed without reading. epoll. */
	EV_FEATURE_EARLY_CLOSE = 0x08
};

/** Settings for event_config_set_flag() (values as in libevent). */
enum event_base_config_flag {
	/** Do not allocate locks. minievent never locks: accepted, no
	 * effect. */
	EVENT_BASE_FLAG_NOLOCK = 0x01,
	/** Ignore the EVENT_* environment variables when choosing a
	 * backend. Honoured. */
	EVENT_BASE_FLAG_IGNORE_ENV = 0x02,
	/** Windows only (IOCP). Accepted, no effect. */
	EVENT_BASE_FLAG_STARTUP_IOCP = 0x04,
	/** Read the clock at every request instead of once per loop
	 * iteration: event_base_gettimeofday_cached() and timeouts added
	 * from callbacks then use the exact current time. Honoured. */
	EVENT_BASE_FLAG_NO_CACHE_TIME = 0x08,
	/** libevent batches epoll changes with it. minievent's epoll
	 * backend always defers the changes made between a descriptor's
	 * first ADD and its last DEL to the next wait (lib/epoll.c says
	 * why): accepted, no further effect. */
	EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST = 0x10,
	/** libevent then uses a precise clock instead of a coarse one.
	 * minievent always reads CLOCK_MONOTONIC, which is precise:
	 * accepted, already the behaviour. */
	EVENT_BASE_FLAG_PRECISE_TIMER = 0x20
};

/**
 * @return the EV_FEATURE_* bits of the backend the base uses.
 */
int event_base_get_features(const struct event_base *base);

/**
 * Tells bases created from cfg to use only a backend that has every
 * feature in feature (an or-ed set of EV_FEATURE_*). The base is not
 * created (NULL) if no backend has them.
 *
 * @return 0. It replaces any earlier requirement.
 */
int event_config_require_features(struct event_config *cfg, int feature);

/**
 * Sets one or more of the event_base_config_flag bits in cfg.
 *
 * @return 0.
 */
int event_config_set_flag(struct event_config *cfg, int flag);

/**
 * libevent uses this hint on Windows only. Accepted, ignored.
 *
 * @return 0.
 */
int event_config_set_num_cpus_hint(struct event_config *cfg, int cpus);

/**
 * Bounds how long the loop runs callbacks before it checks again for new
 * events, so that a flood of low-priority callbacks cannot delay I/O and
 * timers for long.
 *
 * For callbacks of priority min_priority and above (numerically: 0 is the
 * highest), the loop stops running the active queue and polls again after
 * max_callbacks callbacks, or once max_interval has passed since it began
 * the queue, whichever comes first. Callbacks of a priority numerically
 * below min_priority are never interrupted.
 *
 * @param max_interval the longest stretch of callbacks, or NULL for none.
 * @param max_callbacks the most callbacks in one stretch; -1 for no limit.
 * @param min_priority the first priority the limits apply to.
 * @return 0.
 */
int event_config_set_max_dispatch_interval(struct event_config *cfg,
                                           const struct timeval *max_interval,
                                           int max_callbacks, int min_priority);

/**
 * Creates an event base with the settings in cfg (NULL: the defaults, as
 * event_base_new()). The first backend in the order epoll, poll, select
 * that is not avoided, not disabled by the environment (unless
 * EVENT_BASE_FLAG_IGNORE_ENV), has the required features and initializes
 * successfully is used.
 *
 * @return the new base (caller frees with event_base_free()), or NULL if
 *         no backend fits or on failure.
 */
struct event_base *event_base_new_with_config(const struct event_config *cfg);

/**
 * Frees a base and everything it allocated for itself: the backend, the
 * signal pipe (restoring the signal handlers it installed), the
 * common-timeout queues, and the events made by event_base_once() or
 * event_base_loopexit() that have not run.
 *
 * Events you created are not freed, nor are their descriptors closed or
 * their callback arguments freed: as in libevent 2.1, each is deleted
 * (made non-pending and non-active) and you still own and free it. Deleted
 * this way, such an event may still be passed to event_free() after the
 * base is gone, but to nothing else.
 *
 * From a callback of this base: libevent leaves that undefined. minievent
 * finishes the running callback, runs no more, frees the base when the
 * loop returns, and the loop returns 0; do not use the base after the call.
 */
void event_base_free(struct event_base *base);

/**
 * The same as event_base_free(): minievent has no finalizers.
 */
void event_base_free_nofinalize(struct event_base *base);

/* ------------------------------------------------------------------ */
/* Logging and memory: declared here, implemented in log.c and mm.c    */
/* ------------------------------------------------------------------ */

/* Severities passed to an event_log_cb (values as in libevent). */
#define EVENT_LOG_DEBUG 0
#define EVENT_LOG_MSG   1
#define EVENT_LOG_WARN  2
#define EVENT_LOG_ERR   3

/** A log callback: receives a severity (EVENT_LOG_*) and the message,
 * without a trailing newline. It must not call back into minievent. */
typedef void (*event_log_cb)(int severity, const char *msg);

/**
 * Sends minievent's log messages to cb instead of stderr; NULL restores
 * stderr. Not from a callback run by another thread (minievent is
 * single-threaded anyway).
 */
void event_set_log_callback(event_log_cb cb);

/** A fatal-error callback: receives the error code. If it returns,
 * minievent calls exit(). */
typedef void (*event_fatal_cb)(int err);

/**
 * Sets the function called when minievent meets a fatal error (a broken
 * internal invariant or misuse caught by debug mode). By default minievent
 * logs the error and calls exit(1). NULL restores the default.
 */
void event_set_fatal_callback(event_fatal_cb cb);

#define EVENT_DBG_ALL  0xffffffffu
#define EVENT_DBG_NONE 0

/**
 * Turns debug-level log messages on (EVENT_DBG_ALL) or off
 * (EVENT_DBG_NONE). They are off by default because they are many.
 */
void event_enable_debug_logging(ev_uint32_t which);

/**
 * Replaces the allocator of all of minievent. Call it before any other
 * minievent function, or memory allocated by one allocator will be freed
 * by the other. Pass three NULLs to restore malloc, realloc and free.
 *
 * @param malloc_fn, realloc_fn, free_fn behave like malloc(3), realloc(3)
 *        and free(3).
 */
void event_set_mem_functions(void *(*malloc_fn)(size_t sz),
                             void *(*realloc_fn)(void *ptr, size_t sz),
                             void (*free_fn)(void *ptr));
#define EVENT_SET_MEM_FUNCTIONS_IMPLEMENTED

/* ------------------------------------------------------------------ */
/* Running the loop                                                    */
/* ------------------------------------------------------------------ */

/**
 * Associates an event initialized without a base (event_assign() with
 * base NULL) with base, and gives it base's middle priority.
 *
 * @return 0, or -1 if the event is pending or active (it must not be).
 */
int event_base_set(struct event_base *base, struct event *ev);

/* Flags for event_base_loop() (values as in libevent). */
/** Wait for at least one event to become active, run the active
 * callbacks, then return. */
#define EVLOOP_ONCE             0x01
/** Do not wait: run what is ready now, then return. */
#define EVLOOP_NONBLOCK         0x02
/** Keep running even when no event is pending, until loopexit or
 * loopbreak (for a base that other code will add events to). */
#define EVLOOP_NO_EXIT_ON_EMPTY 0x04

/**
 * Runs the loop. Each iteration waits for I/O (not at all if a callback
 * is already due or EVLOOP_NONBLOCK is set; otherwise until the next
 * timeout, or forever if there is none), makes the ready events and
 * expired timers active, and runs the active callbacks of the highest
 * priority that has any (0 is the highest); lower priorities wait for a
 * later iteration in which no higher one is active.
 *
 * @param flags 0 or an or-ed set of EVLOOP_ONCE, EVLOOP_NONBLOCK,
 *        EVLOOP_NO_EXIT_ON_EMPTY.
 * @return 0 if it returned because of the flags, event_base_loopexit() or
 *         event_base_loopbreak(); 1 if no events were pending or active;
 *         -1 on a backend error, or if the loop is already running (a
 *         callback may not run its own base's loop again).
 */
int event_base_loop(struct event_base *base, int flags);

/**
 * Asks the loop to stop after it has run all the callbacks that are
 * active at that point of the iteration, after tv has passed (NULL: in
 * this iteration). If the loop is not running, the next call to it stops
 * that way. Implemented, as in libevent, with a one-shot timer event: a
 * pending loopexit keeps the loop from running out of events.
 *
 * @return 0, or -1 if out of memory.
 */
int event_base_loopexit(struct event_base *base, const struct timeval *tv);

/**
 * Asks the loop to stop as soon as the running callback returns, without
 * running the other active callbacks (they stay active for the next run).
 * If the loop is not running, this does nothing except set the flag that
 * event_base_got_break() reads until the next loop starts.
 *
 * @return 0, or -1 if base is NULL.
 */
int event_base_loopbreak(struct event_base *base);

/**
 * From a callback: asks the loop to check for new events as soon as the
 * running callback returns, instead of running the rest of the active
 * queue first (the rest stays active). Outside the loop, does nothing.
 *
 * @return 0, or -1 if base is NULL.
 */
int event_base_loopcontinue(struct event_base *base);

/**
 * @return nonzero if the last (or running) loop was asked to stop by
 *         event_base_loopexit(); reset when a loop starts.
 */
int event_base_got_exit(struct event_base *base);

/**
 * @return nonzero if the last (or running) loop was stopped by
 *         event_base_loopbreak(); reset when a loop starts.
 */
int event_base_got_break(struct event_base *base);

/* ------------------------------------------------------------------ */
/* Events                                                              */
/* ------------------------------------------------------------------ */

/* What an event waits for, and what happened (values as in libevent). */
/** The event's timeout expired. */
#define EV_TIMEOUT  0x01
/** The descriptor is readable (or at EOF, or has an error). */
#define EV_READ     0x02
/** The descriptor is writable (or has an error). */
#define EV_WRITE    0x04
/** The signal whose number is the event's "fd" arrived. */
#define EV_SIGNAL   0x08
/** Stay pending after the callback runs, instead of being deleted. */
#define EV_PERSIST  0x10
/** Edge-triggered: report readiness once per change (backends with
 * EV_FEATURE_ET only). All events on one fd must agree on EV_ET. */
#define EV_ET       0x20
/** libevent's finalizers; minievent has none. Kept for the value. */
#define EV_FINALIZE 0x40
/** The peer closed the connection (backends with
 * EV_FEATURE_EARLY_CLOSE only). */
#define EV_CLOSED   0x80

/* Timers: events with no descriptor. */
#define evtimer_assign(ev, b, cb, arg)                                         \
	event_assign((ev), (b), -1, 0, (cb), (arg))
#define evtimer_new(b, cb, arg) event_new((b), -1, 0, (cb), (arg))
#define evtimer_add(ev, tv)     event_add((ev), (tv))
#define evtimer_del(ev)         event_del(ev)
#define evtimer_pending(ev, tv) event_pending((ev), EV_TIMEOUT, (tv))
#define evtimer_initialized(ev) event_initialized(ev)

/* Signals: persistent events on a signal number. */
#define evsignal_add(ev, tv) event_add((ev), (tv))
#define evsignal_assign(ev, b, x, cb, arg)                                     \
	event_assign((ev), (b), (x), EV_SIGNAL | EV_PERSIST, cb, (arg))
#define evsignal_new(b, x, cb, arg)                                            \
	event_new((b), (x), EV_SIGNAL | EV_PERSIST, (cb), (arg))
#define evsignal_del(ev)         event_del(ev)
#define evsignal_pending(ev, tv) event_pending((ev), EV_SIGNAL, (tv))
#define evsignal_initialized(ev) event_initialized(ev)

/* User-triggered events: no descriptor, no timeout; run by evuser_trigger. */
#define evuser_new(b, cb, arg) event_new((b), -1, 0, (cb), (arg))
#define evuser_del(ev)         event_del(ev)
#define evuser_pending(ev, tv) event_pending((ev), 0, (tv))
#define evuser_initialized(ev) event_initialized(ev)
#define evuser_trigger(ev)     event_active((ev), 0, 0)

/**
 * An event callback.
 *
 * @param fd the event's descriptor, or signal number, or -1.
 * @param events what happened: EV_TIMEOUT, EV_READ, EV_WRITE, EV_SIGNAL,
 *        EV_CLOSED, or-ed (for example EV_READ|EV_WRITE when both are);
 *        with EV_ET too for an edge-triggered event on a backend that has
 *        EV_FEATURE_ET.
 * @param arg the pointer given to event_new() or event_assign().
 */
typedef void (*event_callback_fn)(evutil_socket_t fd, short events, void *arg);

/**
 * Returns a special pointer: passed as the arg of event_new() (or
 * event_assign()), it stands for the event being created, so a callback
 * receives its own struct event as arg.
 */
void *event_self_cbarg(void);

/**
 * Allocates and initializes an event (see event_assign() for the
 * parameters). The event is not pending until event_add().
 *
 * @return the event, owned by the caller (event_free()), or NULL if out of
 *         memory or the arguments are invalid.
 */
struct event *event_new(struct event_base *base, evutil_socket_t fd,
                        short events, event_callback_fn callback,
                        void *callback_arg);

/**
 * Initializes an event in memory the caller provides (embedded in a
 * structure or on the stack; see event2/event_struct.h and
 * event_get_struct_event_size()).
 *
 * @param ev the memory; it must not hold a pending or active event.
 * @param base the loop it belongs to; NULL to set it later with
 *        event_base_set().
 * @param fd the descriptor for EV_READ/EV_WRITE/EV_CLOSED, the signal
 *        number for EV_SIGNAL, or -1 for a timer.
 * @param events EV_READ, EV_WRITE, EV_CLOSED (together) or EV_SIGNAL
 *        (alone), each optionally with EV_PERSIST and, for I/O, EV_ET;
 *        0 or EV_TIMEOUT for a pure timer.
 * @param callback run when the event fires; it must not be NULL.
 * @param callback_arg passed to callback; event_self_cbarg() for ev.
 * @return 0, or -1 if EV_SIGNAL is mixed with I/O or the signal number is
 *         out of range.
 */
int event_assign(struct event *ev, struct event_base *base, evutil_socket_t fd,
                 short events, event_callback_fn callback, void *callback_arg);

/**
 * Deletes an event made by event_new() (as event_del()) and frees it.
 * NULL does nothing. Safe from any callback, including the event's own:
 * the loop does not touch an event after running its callback.
 */
void event_free(struct event *ev);

/**
 * Schedules a one-shot callback without the caller managing an event: it
 * runs once when fd is ready for events, or when tv passes, and the event
 * is then freed by the library.
 *
 * @param fd the descriptor, or -1 with events EV_TIMEOUT for a timer.
 * @param events EV_READ, EV_WRITE, EV_CLOSED, or EV_TIMEOUT alone; not
 *        EV_SIGNAL nor EV_PERSIST (a one-shot cannot be either).
 * @param tv the timeout, or NULL. A pure timer with tv NULL or zero runs
 *        in the next iteration of the loop.
 * @return 0, or -1 on invalid events or if out of memory (the callback will
 *         then never run). If the base is freed first, the callback never
 *         runs and the memory is freed.
 */
int event_base_once(struct event_base *base, evutil_socket_t fd, short events,
                    event_callback_fn callback, void *arg,
                    const struct timeval *tv);

/**
 * Makes an event pending: it will fire when its descriptor is ready or its
 * signal arrives, or when timeout passes, whichever comes first.
 *
 * @param timeout how long to wait, relative to now (NULL: no timeout).
 *        Adding an event that is already pending keeps its I/O or signal
 *        interest and replaces its timeout with the new one; with NULL it
 *        keeps the old timeout. A value returned by
 *        event_base_init_common_timeout() for the same base may be used.
 * @return 0, or -1 on failure (the event is then unchanged for I/O).
 */
int event_add(struct event *ev, const struct timeval *timeout);

/**
 * Removes only the event's timeout; its I/O or signal interest stays. An
 * EV_PERSIST event also forgets the timeout for later rounds.
 *
 * @return 0, or -1 if the event has no base.
 */
int event_remove_timer(struct event *ev);

/**
 * Makes an event non-pending and non-active: its callback will not run
 * until it is added again. Deleting an event that is not pending does
 * nothing. Safe from any callback, including the event's own.
 *
 * @return 0, or -1 if the event has no base.
 */
int event_del(struct event *ev);

/**
 * Makes an event active as if res had happened: its callback runs in this
 * or the next iteration with events res, whether or not it is pending. If
 * it is already active, res is or-ed into what it will receive.
 *
 * @param res EV_READ, EV_WRITE, EV_TIMEOUT... to pass to the callback.
 * @param ncalls for a signal event, how many times to run the callback;
 *        ignored otherwise.
 */
void event_active(struct event *ev, int res, short ncalls);

/**
 * Tells which of events the event is pending or active for.
 *
 * @param events EV_TIMEOUT, EV_READ, EV_WRITE, EV_SIGNAL, EV_CLOSED to ask
 *        about.
 * @param tv if not NULL and the answer includes EV_TIMEOUT, receives when
 *        the timeout expires, on the gettimeofday() clock.
 * @return the subset of events that is pending or active.
 */
int event_pending(const struct event *ev, short events, struct timeval *tv);

/**
 * @return the event whose callback the base is running, or NULL outside
 *         callbacks.
 */
struct event *event_base_get_running_event(struct event_base *base);

/**
 * @return nonzero if ev was initialized by event_assign() or event_new().
 *         Meaningful only for memory the caller zeroed beforehand.
 */
int event_initialized(const struct event *ev);

/** The signal number of a signal event. */
#define event_get_signal(ev) ((int)event_get_fd(ev))

/** @return the event's descriptor (or signal number, or -1). */
evutil_socket_t event_get_fd(const struct event *ev);

/** @return the event's base. */
struct event_base *event_get_base(const struct event *ev);

/** @return the events it was created with (EV_READ|EV_PERSIST...). */
short event_get_events(const struct event *ev);

/** @return the event's callback. */
event_callback_fn event_get_callback(const struct event *ev);

/** @return the argument passed to the event's callback. */
void *event_get_callback_arg(const struct event *ev);

/** @return the event's priority (0 is the highest). */
int event_get_priority(const struct event *ev);

/**
 * Reads everything event_assign() was given. Any pointer may be NULL to
 * skip that value.
 */
void event_get_assignment(const struct event *event,
                          struct event_base **base_out, evutil_socket_t *fd_out,
                          short *events_out, event_callback_fn *callback_out,
                          void **arg_out);

/**
 * @return sizeof(struct event) of the library actually linked, so that a
 *         program can check that event2/event_struct.h matches it.
 */
size_t event_get_struct_event_size(void);

/**
 * @return "2.1.12-minievent": the libevent version whose API minievent
 *         follows, and that it is minievent.
 */
const char *event_get_version(void);

/**
 * @return 0x02010c00, libevent 2.1.12's version number, so that version
 *         checks written for libevent accept minievent.
 */
ev_uint32_t event_get_version_number(void);

/** The largest number of priorities a base may have. */
#define EVENT_MAX_PRIORITIES 256

/**
 * Gives the base npriorities priorities, 0 (runs first) to npriorities-1.
 * A new base has one. Events created afterwards get npriorities / 2.
 *
 * Call it before any event is active; not from a callback.
 *
 * @return 0, or -1 if npriorities is out of 1..EVENT_MAX_PRIORITIES-1
 *         (libevent accepts at most 255), an
 *         event is active, or out of memory.
 */
int event_base_priority_init(struct event_base *base, int npriorities);

/** @return the number of priorities of the base. */
int event_base_get_npriorities(struct event_base *base);

/**
 * Sets an event's priority.
 *
 * @return 0, or -1 if the event is active or priority is out of range.
 */
int event_priority_set(struct event *ev, int priority);

/**
 * Prepares a timeout duration that many events will share, so that adding
 * and deleting such events costs O(1) instead of O(log n): they go to a
 * FIFO queue for that duration instead of the timer heap.
 *
 * @param duration the shared timeout.
 * @return a timeval owned by the base (valid until it is freed) to pass to
 *         event_add() for events of this base; it means duration (its
 *         tv_usec carries a marker of the queue in its high bits, as in
 *         libevent, so do not do arithmetic with it). NULL on failure:
 *         out of memory or more than 256 common durations.
 */
const struct timeval *
event_base_init_common_timeout(struct event_base *base,
                               const struct timeval *duration);

/**
 * Writes a readable list of the base's events to f: each pending and each
 * active event with its descriptor, what it waits for, and its timeout.
 * For debugging; the format may change.
 */
void event_base_dump_events(struct event_base *base, FILE *f);

/**
 * Makes the events on fd that wait for any of events active, as if the
 * backend had reported them. EV_TIMEOUT in events also activates the
 * timers whose fd is fd.
 */
void event_base_active_by_fd(struct event_base *base, evutil_socket_t fd,
                             short events);

/**
 * Makes the events on signal sig active, as if it had arrived once.
 */
void event_base_active_by_signal(struct event_base *base, int sig);

/**
 * A function for event_base_foreach_event(). It must not add, delete or
 * free any event, nor change the base. Return 0 to go on, nonzero to stop.
 */
typedef int (*event_base_foreach_event_cb)(const struct event_base *,
                                           const struct event *, void *);

/**
 * Calls fn(base, ev, arg) once for each pending or active event of the
 * base, the base's internal ones excepted, in no promised order.
 *
 * @return 0 if fn returned 0 for every event, else the first nonzero value
 *         fn returned (and the walk stopped there).
 */
int event_base_foreach_event(struct event_base *base,
                             event_base_foreach_event_cb fn, void *arg);

/**
 * Gives the time the loop read at the start of its current round of
 * callbacks, as gettimeofday() would, without a system call; outside a
 * callback (or with EVENT_BASE_FLAG_NO_CACHE_TIME), the current time.
 *
 * @return 0, or -1 if the clock cannot be read.
 */
int event_base_gettimeofday_cached(struct event_base *base, struct timeval *tv);

/**
 * From a long callback: reads the clock now and makes that the cached
 * time, so that later timeouts and event_base_gettimeofday_cached() use
 * it. Outside the loop, does nothing.
 *
 * @return 0, or -1 if base is NULL.
 */
int event_base_update_cache_time(struct event_base *base);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_EVENT_H_INCLUDED_ */
