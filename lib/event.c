/*
 * event.c - the core of minievent: the event base, events, timers, the
 * active queues and the loop.
 *
 * Introduced in chapter 10 (reactor); timers and common timeouts in
 * chapter 11; the signal plumbing in chapter 12.
 *
 * Main data structure: struct event_base (event-internal.h). An event is in
 * up to three of its structures at once, as its ev_flags say: the fd or
 * signal map (EVLIST_INSERTED), the timer heap or a common-timeout queue
 * (EVLIST_TIMEOUT), and the active queue of its priority (EVLIST_ACTIVE).
 *
 * The loop, event_base_loop(), is a table of contents: compute how long
 * to wait -> wait in the backend (which reports readiness through
 * evmap_io_active_()) -> cache the time -> move expired timers to the
 * active queues -> run the callbacks of the highest non-empty priority.
 *
 * Design reasons (libevent's, kept because programs rely on them):
 *  1. Callbacks run only from the active queues, never from inside the
 *     backend or the timer code, so any callback may add, delete or free
 *     any event, itself included, without breaking an iteration in flight.
 *  2. An event leaves the active queue before its callback runs, and the
 *     loop does not touch it afterwards: event_free() of itself is safe.
 *  3. Only one priority's queue runs per iteration; the loop then polls
 *     again, so a busy low priority cannot delay high-priority I/O.
 *  4. The time is read once per iteration and cached: every callback of a
 *     round sees the same "now" and pays no system call for it.
 *
 * Interface: event2/event.h; for the other core files, event-internal.h.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "event-internal.h"
#include "log-internal.h"
#include "mm-internal.h"

/* The backends, in order of preference: the first that fits is used. */
static const struct eventop *const eventops[] = {
        &epoll_ops_,
        &poll_ops_,
        &select_ops_,
        NULL,
};

struct event_config_entry {
	TAILQ_ENTRY(event_config_entry) next;
	char *avoid_method;
};

struct event_config {
	TAILQ_HEAD(event_configq, event_config_entry) entries;
	int require_features;
	int flags;
	struct timeval max_dispatch_interval; /* tv_sec -1: none */
	int max_dispatch_callbacks;
	int limit_callbacks_after_prio;
};

/* event_enable_debug_mode(): on, and whether it is too late to turn on. */
static int event_debug_mode_on;
static int event_debug_mode_too_late;

/* The address event_self_cbarg() returns: it only has to be unique. */
static const char event_self_cbarg_marker;

static int event_add_timeout(struct event *ev, const struct timeval *tv,
                             int tv_is_absolute);
static void event_queue_remove_timeout(struct event_base *base,
                                       struct event *ev);
static void event_queue_remove_active(struct event_base *base,
                                      struct event *ev);
static void event_queue_remove_later(struct event_base *base, struct event *ev);

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

static void
timeval_add(const struct timeval *a, const struct timeval *b,
            struct timeval *out)
{
	out->tv_sec = a->tv_sec + b->tv_sec;
	out->tv_usec = a->tv_usec + b->tv_usec;
	if (out->tv_usec >= 1000000) {
		out->tv_sec++;
		out->tv_usec -= 1000000;
	}
}

static void
timeval_sub(const struct timeval *a, const struct timeval *b,
            struct timeval *out)
{
	out->tv_sec = a->tv_sec - b->tv_sec;
	out->tv_usec = a->tv_usec - b->tv_usec;
	if (out->tv_usec < 0) {
		out->tv_sec--;
		out->tv_usec += 1000000;
	}
}

static int
timeval_less(const struct timeval *a, const struct timeval *b)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec < b->tv_sec;
	return a->tv_usec < b->tv_usec;
}

/* Reads clock id into a timeval. 0, or -1 with errno. */
static int
event_clock_read(clockid_t id, struct timeval *tp)
{
	struct timespec ts;
	if (clock_gettime(id, &ts) == -1)
		return -1;
	tp->tv_sec = ts.tv_sec;
	tp->tv_usec = ts.tv_nsec / 1000;
	return 0;
}

/* A user-visible event counts in event_count; internal ones do not. */
static void
event_count_incr(struct event_base *base, const struct event *ev)
{
	if (ev->ev_flags & EVLIST_INTERNAL)
		return;
	base->event_count++;
	if (base->event_count > base->event_count_max)
		base->event_count_max = base->event_count;
}

static void
event_count_decr(struct event_base *base, const struct event *ev)
{
	if (!(ev->ev_flags & EVLIST_INTERNAL))
		base->event_count--;
}

/*
 * Debug mode keeps a table of the events event_assign() initialized, as
 * libevent does, so that it can tell an initialized event from memory
 * that merely looks like one. Linear search: debug mode trades speed for
 * checks. Misuse is fatal with libevent's abort code.
 */
#define EVENT_ERR_ABORT_ ((int)0xdeaddead)

static struct {
	const struct event **p;
	size_t n, a;
} event_debug_map;

static long
event_debug_find(const struct event *ev)
{
	for (size_t i = 0; i < event_debug_map.n; i++)
		if (event_debug_map.p[i] == ev)
			return (long)i;
	return -1;
}

/* ev was initialized: remember it. Out of memory only loses a check. */
static void
event_debug_note_setup(const struct event *ev)
{
	if (!event_debug_mode_on || event_debug_find(ev) >= 0)
		return;
	if (event_debug_map.n == event_debug_map.a) {
		size_t a = event_debug_map.a ? 2 * event_debug_map.a : 64;
		const struct event **p =
		        mm_realloc_(event_debug_map.p, a * sizeof(*p));
		if (p == NULL)
			return;
		event_debug_map.p = p;
		event_debug_map.a = a;
	}
	event_debug_map.p[event_debug_map.n++] = ev;
}

/* ev's memory is going away (event_free(), event_debug_unassign()). */
static void
event_debug_note_teardown(const struct event *ev)
{
	long i = event_debug_find(ev);
	if (i < 0)
		return;
	event_debug_map.p[i] = event_debug_map.p[--event_debug_map.n];
	if (event_debug_map.n == 0) {
		mm_free_(event_debug_map.p);
		event_debug_map.p = NULL;
		event_debug_map.a = 0;
	}
}

static void
event_debug_check_initialized(const struct event *ev, const char *func)
{
	if (event_debug_mode_on && event_debug_find(ev) < 0)
		event_errx_(EVENT_ERR_ABORT_,
		            "%s called on a non-initialized event %p "
		            "(events: 0x%x, fd: %d, flags: 0x%x)",
		            func, (const void *)ev, ev->ev_events, ev->ev_fd,
		            ev->ev_flags);
}

static void
event_debug_check_not_pending(const struct event *ev)
{
	if (event_debug_mode_on && event_debug_find(ev) >= 0 &&
	    (ev->ev_flags & (EVLIST_INSERTED | EVLIST_TIMEOUT | EVLIST_ACTIVE |
	                     EVLIST_ACTIVE_LATER)))
		event_errx_(EVENT_ERR_ABORT_,
		            "event_assign called on an already added event %p "
		            "(events: 0x%x, fd: %d, flags: 0x%x)",
		            (const void *)ev, ev->ev_events, ev->ev_fd,
		            ev->ev_flags);
}

void
event_debug_unassign(struct event *ev)
{
	event_debug_check_not_pending(ev);
	event_debug_note_teardown(ev);
	ev->ev_flags &= ~EVLIST_INIT;
}

void
event_enable_debug_mode(void)
{
	if (event_debug_mode_on)
		event_errx_(EXIT_FAILURE, "%s was called twice!", __func__);
	if (event_debug_mode_too_late)
		event_errx_(EXIT_FAILURE,
		            "%s must be called *before* creating any events "
		            "or event_bases",
		            __func__);
	event_debug_mode_on = 1;
}

/* ------------------------------------------------------------------ */
/* Configuration                                                       */
/* ------------------------------------------------------------------ */

struct event_config *
event_config_new(void)
{
	struct event_config *cfg = mm_calloc_(1, sizeof(*cfg));
	if (cfg == NULL)
		return NULL;
	TAILQ_INIT(&cfg->entries);
	cfg->max_dispatch_interval.tv_sec = -1;
	cfg->max_dispatch_callbacks = INT_MAX;
	cfg->limit_callbacks_after_prio = 1;
	return cfg;
}

void
event_config_free(struct event_config *cfg)
{
	struct event_config_entry *entry;
	if (cfg == NULL)
		return;
	while ((entry = TAILQ_FIRST(&cfg->entries)) != NULL) {
		TAILQ_REMOVE(&cfg->entries, entry, next);
		mm_free_(entry->avoid_method);
		mm_free_(entry);
	}
	mm_free_(cfg);
}

int
event_config_avoid_method(struct event_config *cfg, const char *method)
{
	struct event_config_entry *entry = mm_malloc_(sizeof(*entry));
	if (entry == NULL)
		return -1;
	entry->avoid_method = mm_strdup_(method);
	if (entry->avoid_method == NULL) {
		mm_free_(entry);
		return -1;
	}
	TAILQ_INSERT_TAIL(&cfg->entries, entry, next);
	return 0;
}

int
event_config_require_features(struct event_config *cfg, int feature)
{
	if (cfg == NULL)
		return -1;
	cfg->require_features = feature;
	return 0;
}

int
event_config_set_flag(struct event_config *cfg, int flag)
{
	if (cfg == NULL)
		return -1;
	cfg->flags |= flag;
	return 0;
}

int
event_config_set_num_cpus_hint(struct event_config *cfg, int cpus)
{
	(void)cpus;
	return cfg ? 0 : -1;
}

int
event_config_set_max_dispatch_interval(struct event_config *cfg,
                                       const struct timeval *max_interval,
                                       int max_callbacks, int min_priority)
{
	if (max_interval)
		cfg->max_dispatch_interval = *max_interval;
	else
		cfg->max_dispatch_interval.tv_sec = -1;
	cfg->max_dispatch_callbacks =
	        max_callbacks >= 0 ? max_callbacks : INT_MAX;
	cfg->limit_callbacks_after_prio = min_priority < 0 ? 0 : min_priority;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Choosing a backend                                                  */
/* ------------------------------------------------------------------ */

static int
event_config_is_avoided(const struct event_config *cfg, const char *method)
{
	const struct event_config_entry *entry;
	if (cfg == NULL)
		return 0;
	TAILQ_FOREACH(entry, &cfg->entries, next)
	if (strcmp(entry->avoid_method, method) == 0)
		return 1;
	return 0;
}

/* Nonzero if EVENT_NO<NAME> (e.g. EVENT_NOEPOLL) is set, to any value. */
static int
event_is_method_disabled_by_env(const char *name)
{
	char var[64] = "EVENT_NO";
	size_t len = strlen(var);
	for (; *name && len < sizeof(var) - 1; name++)
		var[len++] = (char)(*name >= 'a' && *name <= 'z' ? *name - 32
		                                                 : *name);
	var[len] = '\0';
	return getenv(var) != NULL;
}

/* Nonzero if op may be tried for a base made from cfg (may be NULL). */
static int
event_backend_allowed(const struct eventop *op, const struct event_config *cfg)
{
	if (event_config_is_avoided(cfg, op->name))
		return 0;
	if (cfg &&
	    (op->features & cfg->require_features) != cfg->require_features)
		return 0;
	if (!(cfg && (cfg->flags & EVENT_BASE_FLAG_IGNORE_ENV)) &&
	    event_is_method_disabled_by_env(op->name))
		return 0;
	return 1;
}

/* Initializes the first allowed backend that works. 0, or -1. */
static int
event_base_choose_backend(struct event_base *base,
                          const struct event_config *cfg)
{
	for (int i = 0; eventops[i] != NULL; i++) {
		if (!event_backend_allowed(eventops[i], cfg))
			continue;
		base->evsel = eventops[i];
		base->evbase = eventops[i]->init(base);
		if (base->evbase != NULL)
			return 0;
	}
	base->evsel = NULL;
	event_warnx_("%s: no event mechanism available", __func__);
	errno = ENOSYS;
	return -1;
}

const char **
event_get_supported_methods(void)
{
	static const char *methods[sizeof(eventops) / sizeof(eventops[0])];
	for (size_t i = 0; eventops[i] != NULL; i++)
		methods[i] = eventops[i]->name;
	return methods;
}

/* ------------------------------------------------------------------ */
/* Creating and freeing a base                                         */
/* ------------------------------------------------------------------ */

/* Fills a zeroed base with empty structures and cfg's settings. */
static void
event_base_init_fields(struct event_base *base, const struct event_config *cfg)
{
	evmap_io_initmap_(&base->io);
	evmap_signal_initmap_(&base->sigmap);
	min_heap_ctor_(&base->timeheap);
	LIST_INIT(&base->once_events);
	TAILQ_INIT(&base->active_later);
	base->sig.ev_signal_pair[0] = base->sig.ev_signal_pair[1] = -1;
	base->event_running_priority = -1;
	base->max_dispatch_time.tv_sec = -1;
	base->max_dispatch_callbacks = INT_MAX;
	base->limit_callbacks_after_prio = INT_MAX;
	if (cfg == NULL)
		return;
	base->flags = cfg->flags;
	if (cfg->max_dispatch_interval.tv_sec >= 0 ||
	    cfg->max_dispatch_callbacks != INT_MAX) {
		base->max_dispatch_time = cfg->max_dispatch_interval;
		base->max_dispatch_callbacks = cfg->max_dispatch_callbacks;
		base->limit_callbacks_after_prio =
		        cfg->limit_callbacks_after_prio;
	}
}

struct event_base *
event_base_new_with_config(const struct event_config *cfg)
{
	struct event_base *base = mm_calloc_(1, sizeof(*base));
	if (base == NULL) {
		event_warn_("%s: calloc", __func__);
		return NULL;
	}
	event_debug_mode_too_late = 1;
	event_base_init_fields(base, cfg);
	if (event_base_choose_backend(base, cfg) == -1)
		goto err;
	if (event_base_priority_init(base, 1) == -1)
		goto err;
	if (!(base->flags & EVENT_BASE_FLAG_IGNORE_ENV) &&
	    getenv("EVENT_SHOW_METHOD") != NULL)
		event_msgx_("libevent using: %s", base->evsel->name);
	return base;
err:
	event_base_free(base);
	return NULL;
}

struct event_base *
event_base_new(void)
{
	return event_base_new_with_config(NULL);
}

/* Deletes every user event and frees the base's own: once events and
 * common-timeout queues. The backend must still be there. */
static void
event_base_delete_all(struct event_base *base)
{
	struct event *ev;
	struct event_once *eonce;
	evmap_delete_all_(base);
	while ((ev = min_heap_top_(&base->timeheap)) != NULL)
		event_del_nolock_(ev);
	for (int i = 0; i < base->n_common_timeouts; i++) {
		struct common_timeout_list *ctl =
		        base->common_timeout_queues[i];
		while ((ev = TAILQ_FIRST(&ctl->events)) != NULL)
			event_del_nolock_(ev);
		event_del_nolock_(&ctl->timeout_event);
		event_debug_note_teardown(&ctl->timeout_event);
		mm_free_(ctl);
	}
	mm_free_(base->common_timeout_queues);
	base->common_timeout_queues = NULL;
	base->n_common_timeouts = 0;
	for (int i = 0; i < base->nactivequeues; i++)
		while ((ev = TAILQ_FIRST(&base->activequeues[i])) != NULL)
			event_del_nolock_(ev);
	while ((ev = TAILQ_FIRST(&base->active_later)) != NULL)
		event_del_nolock_(ev);
	while ((eonce = LIST_FIRST(&base->once_events)) != NULL) {
		LIST_REMOVE(eonce, next_once);
		event_debug_note_teardown(&eonce->ev);
		mm_free_(eonce);
	}
}

/* Frees the base now. Not while its loop runs. */
static void
event_base_free_now(struct event_base *base)
{
	if (base->evsel != NULL) {
		event_base_delete_all(base);
		evsig_dealloc_(base);
		if (base->evbase != NULL)
			base->evsel->dealloc(base);
	}
	evmap_io_clear_(&base->io);
	evmap_signal_clear_(&base->sigmap);
	min_heap_dtor_(&base->timeheap);
	mm_free_(base->activequeues);
	mm_free_(base);
}

void
event_base_free(struct event_base *base)
{
	if (base == NULL)
		return;
	if (base->running_loop) {
		/* Called from a callback: let the loop unwind first. */
		base->free_pending = 1;
		base->event_break = 1;
		return;
	}
	event_base_free_now(base);
}

void
event_base_free_nofinalize(struct event_base *base)
{
	event_base_free(base);
}

/* A backend that does nothing: stands in for a backend whose kernel state
 * is shared with the parent while event_reinit() unregisters the old
 * signal pipe, so the child does not change the parent's registrations. */
static int
event_nil_change(struct event_base *base, evutil_socket_t fd, short old,
                 short events, void *fdinfo)
{
	(void)base, (void)fd, (void)old, (void)events, (void)fdinfo;
	return 0;
}

/* Replaces the signal pipe shared with the parent by a new one. */
static int
event_reinit_signal_pipe(struct event_base *base, int *had_signal_added)
{
	struct evsig_info *info = &base->sig;
	*had_signal_added = info->ev_signal_added;
	if (info->ev_signal_added) {
		event_del_nolock_(&info->ev_signal);
		info->ev_signal_added = 0;
	}
	if (info->ev_signal_pair[0] < 0)
		return 0;
	close(info->ev_signal_pair[0]);
	close(info->ev_signal_pair[1]);
	info->ev_signal_pair[0] = info->ev_signal_pair[1] = -1;
	return evsig_init_(base);
}

int
event_reinit(struct event_base *base)
{
	const struct eventop *evsel = base->evsel;
	struct eventop nil = *evsel;
	int had_signal_added, res = 0;
	nil.add = nil.del = event_nil_change;
	if (evsel->need_reinit)
		base->evsel = &nil;
	if (event_reinit_signal_pipe(base, &had_signal_added) == -1)
		res = -1;
	base->evsel = evsel;
	if (evsel->need_reinit) {
		evsel->dealloc(base);
		base->evbase = evsel->init(base);
		if (base->evbase == NULL)
			event_errx_(EXIT_FAILURE,
			            "%s: could not reinitialize "
			            "the backend",
			            __func__);
		if (evmap_reinit_(base) == -1)
			res = -1;
	}
	if (res == 0 && had_signal_added) {
		res = event_add_nolock_(&base->sig.ev_signal, NULL, 0);
		base->sig.ev_signal_added = res == 0;
		evsig_set_base_(base);
	}
	return res;
}

const char *
event_base_get_method(const struct event_base *base)
{
	return base->evsel->name;
}

int
event_base_get_features(const struct event_base *base)
{
	return base->evsel->features;
}

void *
event_base_backend_(struct event_base *base)
{
	return base->evbase;
}

int
event_base_priority_init(struct event_base *base, int npriorities)
{
	if (base->event_count_active || npriorities < 1 ||
	    npriorities >= EVENT_MAX_PRIORITIES)
		return -1;
	if (npriorities == base->nactivequeues)
		return 0;
	struct event_list *queues =
	        mm_calloc_((size_t)npriorities, sizeof(*queues));
	if (queues == NULL)
		return -1;
	for (int i = 0; i < npriorities; i++)
		TAILQ_INIT(&queues[i]);
	mm_free_(base->activequeues);
	base->activequeues = queues;
	base->nactivequeues = npriorities;
	return 0;
}

int
event_base_get_npriorities(struct event_base *base)
{
	return base->nactivequeues;
}

/* ------------------------------------------------------------------ */
/* Time                                                                */
/* ------------------------------------------------------------------ */

int
event_gettime_(struct event_base *base, struct timeval *tp)
{
	if (base->tv_cache.tv_sec) {
		*tp = base->tv_cache;
		return 0;
	}
	struct timeval wall;
	if (event_clock_read(CLOCK_MONOTONIC, tp) == -1 ||
	    event_clock_read(CLOCK_REALTIME, &wall) == -1)
		return -1;
	timeval_sub(&wall, tp, &base->tv_clock_diff);
	return 0;
}

int
event_gettime_monotonic(struct event_base *base, struct timeval *tp)
{
	(void)base;
	return event_clock_read(CLOCK_MONOTONIC, tp);
}

static void
event_clear_time_cache(struct event_base *base)
{
	base->tv_cache.tv_sec = 0;
}

/* Reads the clock and, unless the base asked not to, caches it. */
static void
event_update_time_cache(struct event_base *base)
{
	base->tv_cache.tv_sec = 0;
	if (!(base->flags & EVENT_BASE_FLAG_NO_CACHE_TIME))
		event_gettime_(base, &base->tv_cache);
}

int
event_base_gettimeofday_cached(struct event_base *base, struct timeval *tv)
{
	if (base == NULL || base->tv_cache.tv_sec == 0)
		return gettimeofday(tv, NULL);
	timeval_add(&base->tv_cache, &base->tv_clock_diff, tv);
	return 0;
}

int
event_base_update_cache_time(struct event_base *base)
{
	if (base == NULL)
		return -1;
	if (base->running_loop)
		event_update_time_cache(base);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Creating events                                                     */
/* ------------------------------------------------------------------ */

void *
event_self_cbarg(void)
{
	return (void *)&event_self_cbarg_marker;
}

int
event_assign(struct event *ev, struct event_base *base, evutil_socket_t fd,
             short events, event_callback_fn callback, void *callback_arg)
{
	event_debug_check_not_pending(ev);
	event_debug_mode_too_late = 1;
	if (events & EV_SIGNAL) {
		if (events & (EV_READ | EV_WRITE | EV_CLOSED)) {
			event_warnx_("%s: EV_SIGNAL is not compatible with "
			             "EV_READ, EV_WRITE or EV_CLOSED",
			             __func__);
			return -1;
		}
		if (fd < 0 || fd >= NSIG) {
			event_warnx_("%s: bad signal number %d", __func__, fd);
			return -1;
		}
	}
	memset(ev, 0, sizeof(*ev));
	ev->ev_base = base;
	ev->ev_fd = fd;
	ev->ev_events = events;
	ev->ev_callback = callback;
	ev->ev_arg = callback_arg == event_self_cbarg() ? ev : callback_arg;
	ev->ev_flags = EVLIST_INIT;
	if (events & EV_SIGNAL)
		ev->ev_closure = EV_CLOSURE_EVENT_SIGNAL;
	else if (events & EV_PERSIST)
		ev->ev_closure = EV_CLOSURE_EVENT_PERSIST;
	else
		ev->ev_closure = EV_CLOSURE_EVENT;
	min_heap_elem_init_(ev);
	if (base != NULL)
		ev->ev_pri = (ev_uint8_t)(base->nactivequeues / 2);
	event_debug_note_setup(ev);
	return 0;
}

int
event_base_set(struct event_base *base, struct event *ev)
{
	if (ev->ev_flags != EVLIST_INIT)
		return -1;
	event_debug_check_initialized(ev, __func__);
	ev->ev_base = base;
	ev->ev_pri = (ev_uint8_t)(base->nactivequeues / 2);
	return 0;
}

struct event *
event_new(struct event_base *base, evutil_socket_t fd, short events,
          event_callback_fn callback, void *callback_arg)
{
	struct event *ev = mm_malloc_(sizeof(*ev));
	if (ev == NULL)
		return NULL;
	if (callback_arg == event_self_cbarg())
		callback_arg = ev;
	if (event_assign(ev, base, fd, events, callback, callback_arg) < 0) {
		mm_free_(ev);
		return NULL;
	}
	return ev;
}

void
event_free(struct event *ev)
{
	if (ev == NULL)
		return;
	event_del(ev);
	event_debug_note_teardown(ev);
	mm_free_(ev);
}

size_t
event_get_struct_event_size(void)
{
	return sizeof(struct event);
}

/* ------------------------------------------------------------------ */
/* Adding and deleting                                                 */
/* ------------------------------------------------------------------ */

/* Links ev into the fd or signal map (and so into the backend). */
static int
event_insert_inserted(struct event *ev)
{
	struct event_base *base = ev->ev_base;
	int res;
	if (ev->ev_events & EV_SIGNAL)
		res = evmap_signal_add_(base, (int)ev->ev_fd, ev);
	else
		res = evmap_io_add_(base, ev->ev_fd, ev);
	if (res == -1)
		return -1;
	event_count_incr(base, ev);
	ev->ev_flags |= EVLIST_INSERTED;
	return 0;
}

static int
event_remove_inserted(struct event *ev)
{
	struct event_base *base = ev->ev_base;
	event_count_decr(base, ev);
	ev->ev_flags &= ~EVLIST_INSERTED;
	if (ev->ev_events & EV_SIGNAL)
		return evmap_signal_del_(base, (int)ev->ev_fd, ev);
	return evmap_io_del_(base, ev->ev_fd, ev);
}

int
event_add_nolock_(struct event *ev, const struct timeval *tv,
                  int tv_is_absolute)
{
	struct event_base *base = ev->ev_base;
	if (base == NULL) {
		event_warnx_("%s: event has no event_base set", __func__);
		errno = EINVAL;
		return -1;
	}
	/* Reserve the heap slot first, so the add cannot half-succeed. */
	if (tv && !(ev->ev_flags & EVLIST_TIMEOUT) &&
	    min_heap_reserve_(&base->timeheap,
	                      min_heap_size_(&base->timeheap) + 1) == -1)
		return -1;
	if ((ev->ev_events & (EV_READ | EV_WRITE | EV_CLOSED | EV_SIGNAL)) &&
	    !(ev->ev_flags & EVLIST_INSERTED) &&
	    event_insert_inserted(ev) == -1)
		return -1;
	if (tv != NULL)
		return event_add_timeout(ev, tv, tv_is_absolute);
	if (!(ev->ev_flags & EVLIST_TIMEOUT))
		ev->ev_io_timeout.tv_sec = ev->ev_io_timeout.tv_usec = 0;
	return 0;
}

int
event_add(struct event *ev, const struct timeval *tv)
{
	event_debug_check_initialized(ev, __func__);
	return event_add_nolock_(ev, tv, 0);
}

int
event_del_nolock_(struct event *ev)
{
	struct event_base *base = ev->ev_base;
	int res = 0;
	if (base == NULL) {
		event_warnx_("%s: event has no event_base set", __func__);
		return -1;
	}
	/* A signal callback being repeated must stop repeating. */
	if ((ev->ev_events & EV_SIGNAL) && ev->ev_ncalls && ev->ev_pncalls)
		*ev->ev_pncalls = 0;
	if (ev->ev_flags & EVLIST_TIMEOUT)
		event_queue_remove_timeout(base, ev);
	if (ev->ev_flags & EVLIST_ACTIVE)
		event_queue_remove_active(base, ev);
	if (ev->ev_flags & EVLIST_ACTIVE_LATER)
		event_queue_remove_later(base, ev);
	if (ev->ev_flags & EVLIST_INSERTED)
		res = event_remove_inserted(ev);
	return res;
}

int
event_del(struct event *ev)
{
	event_debug_check_initialized(ev, __func__);
	return event_del_nolock_(ev);
}

int
event_remove_timer(struct event *ev)
{
	event_debug_check_initialized(ev, __func__);
	if (ev->ev_base == NULL) {
		event_warnx_("%s: event has no event_base set", __func__);
		return -1;
	}
	if (ev->ev_flags & EVLIST_TIMEOUT) {
		event_queue_remove_timeout(ev->ev_base, ev);
		ev->ev_io_timeout.tv_sec = ev->ev_io_timeout.tv_usec = 0;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Active queues                                                       */
/* ------------------------------------------------------------------ */

static void
event_queue_insert_active(struct event_base *base, struct event *ev)
{
	event_count_incr(base, ev);
	ev->ev_flags |= EVLIST_ACTIVE;
	base->event_count_active++;
	if (base->event_count_active > base->event_count_active_max)
		base->event_count_active_max = base->event_count_active;
	EVUTIL_ASSERT(ev->ev_pri < base->nactivequeues);
	TAILQ_INSERT_TAIL(&base->activequeues[ev->ev_pri], ev, ev_active_next);
}

static void
event_queue_remove_active(struct event_base *base, struct event *ev)
{
	event_count_decr(base, ev);
	ev->ev_flags &= ~EVLIST_ACTIVE;
	base->event_count_active--;
	TAILQ_REMOVE(&base->activequeues[ev->ev_pri], ev, ev_active_next);
}

/* active_later holds deferred callbacks over the round's quota. They
 * count as active, so the next wait does not block. */
static void
event_queue_insert_later(struct event_base *base, struct event *ev)
{
	event_count_incr(base, ev);
	ev->ev_flags |= EVLIST_ACTIVE_LATER;
	base->event_count_active++;
	TAILQ_INSERT_TAIL(&base->active_later, ev, ev_active_next);
}

static void
event_queue_remove_later(struct event_base *base, struct event *ev)
{
	event_count_decr(base, ev);
	ev->ev_flags &= ~EVLIST_ACTIVE_LATER;
	base->event_count_active--;
	TAILQ_REMOVE(&base->active_later, ev, ev_active_next);
}

/* Before a poll: what waited in active_later becomes due, and counts
 * against the new round's quota. */
static void
event_queue_make_later_active(struct event_base *base)
{
	struct event *ev;

	while ((ev = TAILQ_FIRST(&base->active_later)) != NULL) {
		TAILQ_REMOVE(&base->active_later, ev, ev_active_next);
		ev->ev_flags = (short)((ev->ev_flags & ~EVLIST_ACTIVE_LATER) |
		                       EVLIST_ACTIVE);
		TAILQ_INSERT_TAIL(&base->activequeues[ev->ev_pri], ev,
		                  ev_active_next);
		base->n_deferreds_queued++;
	}
}

/* libevent's MAX_DEFERREDS_QUEUED. */
#define DEFERRED_PER_ROUND 32

void
event_deferred_activate_(struct event *ev, int res)
{
	struct event_base *base = ev->ev_base;

	if (ev->ev_flags & (EVLIST_ACTIVE | EVLIST_ACTIVE_LATER)) {
		ev->ev_res = (short)(ev->ev_res | res);
		return;
	}
	if (base->n_deferreds_queued > DEFERRED_PER_ROUND) {
		ev->ev_res = (short)res;
		event_queue_insert_later(base, ev);
		return;
	}
	base->n_deferreds_queued++;
	event_active_nolock_(ev, res, 1);
}

void
event_active_nolock_(struct event *ev, int res, short ncalls)
{
	struct event_base *base = ev->ev_base;
	if (ev->ev_flags & EVLIST_ACTIVE) {
		/* Already due: it will see everything that happened. */
		ev->ev_res = (short)(ev->ev_res | res);
		return;
	}
	if (ev->ev_flags & EVLIST_ACTIVE_LATER) {
		/* Waiting for the next round: due now instead. */
		res |= ev->ev_res;
		event_queue_remove_later(base, ev);
	}
	ev->ev_res = (short)res;
	/* A higher priority than the one running: poll again soon. */
	if (ev->ev_pri < base->event_running_priority)
		base->event_continue = 1;
	if (ev->ev_events & EV_SIGNAL) {
		ev->ev_ncalls = ncalls;
		ev->ev_pncalls = NULL;
	}
	event_queue_insert_active(base, ev);
}

void
event_active(struct event *ev, int res, short ncalls)
{
	event_debug_check_initialized(ev, __func__);
	if (ev->ev_base == NULL) {
		event_warnx_("%s: event has no event_base set", __func__);
		return;
	}
	event_active_nolock_(ev, res, ncalls);
}

void
event_base_active_by_signal(struct event_base *base, int sig)
{
	evmap_signal_active_(base, sig, 1);
}

int
event_priority_set(struct event *ev, int priority)
{
	event_debug_check_initialized(ev, __func__);
	if (ev->ev_flags & EVLIST_ACTIVE)
		return -1;
	if (priority < 0 || ev->ev_base == NULL ||
	    priority >= ev->ev_base->nactivequeues)
		return -1;
	ev->ev_pri = (ev_uint8_t)priority;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Timeouts: the heap and the common-timeout queues                    */
/* ------------------------------------------------------------------ */

/* Nonzero if tv was made by event_base_init_common_timeout() for base. */
static int
is_common_timeout(const struct timeval *tv, const struct event_base *base)
{
	if ((tv->tv_usec & COMMON_TIMEOUT_MASK) != COMMON_TIMEOUT_MAGIC)
		return 0;
	int idx = (int)((tv->tv_usec & COMMON_TIMEOUT_IDX_MASK) >>
	                COMMON_TIMEOUT_IDX_SHIFT);
	return idx < base->n_common_timeouts;
}

static struct common_timeout_list *
get_common_timeout_list(struct event_base *base, const struct timeval *tv)
{
	int idx = (int)((tv->tv_usec & COMMON_TIMEOUT_IDX_MASK) >>
	                COMMON_TIMEOUT_IDX_SHIFT);
	return base->common_timeout_queues[idx];
}

/* tv without the common-timeout bits: a plain time or duration. */
static struct timeval
timeout_plain(const struct timeval *tv)
{
	struct timeval plain = *tv;
	plain.tv_usec &= COMMON_TIMEOUT_MICROSECONDS_MASK;
	return plain;
}

/* Puts ctl's internal timer in the heap at the deadline of head. */
static void
common_timeout_schedule(struct common_timeout_list *ctl, struct event *head)
{
	struct timeval deadline = timeout_plain(&head->ev_timeout);
	event_add_nolock_(&ctl->timeout_event, &deadline, 1);
}

/* The internal timer of a queue fired: every expired event in it is due. */
static void
common_timeout_callback(evutil_socket_t fd, short what, void *arg)
{
	struct common_timeout_list *ctl = arg;
	struct event_base *base = ctl->base;
	struct timeval now;
	struct event *ev;
	(void)fd, (void)what;
	event_gettime_(base, &now);
	while ((ev = TAILQ_FIRST(&ctl->events)) != NULL) {
		struct timeval deadline = timeout_plain(&ev->ev_timeout);
		if (timeval_less(&now, &deadline))
			break;
		event_del_nolock_(ev);
		event_active_nolock_(ev, EV_TIMEOUT, 1);
	}
	if (ev != NULL)
		common_timeout_schedule(ctl, ev);
}

/* Appends ev to its common queue, keeping the queue in deadline order
 * (it is nearly always the last, so search from the tail). */
static void
common_timeout_insert(struct common_timeout_list *ctl, struct event *ev)
{
	struct event *e;
	TAILQ_FOREACH_REVERSE(e, &ctl->events, event_list, ev_timeout_next)
	{
		if (!timeval_less(&ev->ev_timeout, &e->ev_timeout)) {
			TAILQ_INSERT_AFTER(&ctl->events, e, ev,
			                   ev_timeout_next);
			return;
		}
	}
	TAILQ_INSERT_HEAD(&ctl->events, ev, ev_timeout_next);
}

static void
event_queue_insert_timeout(struct event_base *base, struct event *ev)
{
	event_count_incr(base, ev);
	ev->ev_flags |= EVLIST_TIMEOUT;
	if (is_common_timeout(&ev->ev_timeout, base)) {
		struct common_timeout_list *ctl =
		        get_common_timeout_list(base, &ev->ev_timeout);
		common_timeout_insert(ctl, ev);
		if (TAILQ_FIRST(&ctl->events) == ev)
			common_timeout_schedule(ctl, ev);
	} else {
		/* Cannot fail: event_add_nolock_() reserved the slot. */
		min_heap_push_(&base->timeheap, ev);
	}
}

static void
event_queue_remove_timeout(struct event_base *base, struct event *ev)
{
	event_count_decr(base, ev);
	ev->ev_flags &= ~EVLIST_TIMEOUT;
	if (is_common_timeout(&ev->ev_timeout, base)) {
		struct common_timeout_list *ctl =
		        get_common_timeout_list(base, &ev->ev_timeout);
		TAILQ_REMOVE(&ctl->events, ev, ev_timeout_next);
	} else {
		min_heap_erase_(&base->timeheap, ev);
	}
}

/* The timeout part of event_add(): (re)computes the deadline and files
 * the event under it. */
static int
event_add_timeout(struct event *ev, const struct timeval *tv,
                  int tv_is_absolute)
{
	struct event_base *base = ev->ev_base;
	struct timeval now;
	if (ev->ev_closure == EV_CLOSURE_EVENT_PERSIST && !tv_is_absolute)
		ev->ev_io_timeout = *tv;
	if (ev->ev_flags & EVLIST_TIMEOUT)
		event_queue_remove_timeout(base, ev);
	/* Due because of the old timeout: the new one replaces that. */
	if ((ev->ev_flags & EVLIST_ACTIVE) && (ev->ev_res & EV_TIMEOUT)) {
		if ((ev->ev_events & EV_SIGNAL) && ev->ev_ncalls &&
		    ev->ev_pncalls)
			*ev->ev_pncalls = 0;
		event_queue_remove_active(base, ev);
	}
	if (tv_is_absolute) {
		ev->ev_timeout = *tv;
	} else {
		struct timeval duration = timeout_plain(tv);
		if (event_gettime_(base, &now) == -1)
			return -1;
		timeval_add(&now, &duration, &ev->ev_timeout);
		if (is_common_timeout(tv, base))
			ev->ev_timeout.tv_usec |=
			        tv->tv_usec & ~COMMON_TIMEOUT_MICROSECONDS_MASK;
	}
	event_queue_insert_timeout(base, ev);
	return 0;
}

/* Nonzero if tv is a duration event_base_init_common_timeout() may use. */
static int
common_timeout_find(struct event_base *base, const struct timeval *duration)
{
	for (int i = 0; i < base->n_common_timeouts; i++) {
		struct timeval d = base->common_timeout_queues[i]->duration;
		if (d.tv_sec == duration->tv_sec &&
		    (d.tv_usec & COMMON_TIMEOUT_MICROSECONDS_MASK) ==
		            duration->tv_usec)
			return i;
	}
	return -1;
}

/* Makes room for one more queue pointer. 0 or -1. */
static int
common_timeout_reserve(struct event_base *base)
{
	if (base->n_common_timeouts < base->n_common_timeouts_allocated)
		return 0;
	int n = base->n_common_timeouts_allocated
	                ? 2 * base->n_common_timeouts_allocated
	                : 16;
	struct common_timeout_list **p = mm_realloc_(
	        base->common_timeout_queues, (size_t)n * sizeof(*p));
	if (p == NULL)
		return -1;
	base->common_timeout_queues = p;
	base->n_common_timeouts_allocated = n;
	return 0;
}

const struct timeval *
event_base_init_common_timeout(struct event_base *base,
                               const struct timeval *duration)
{
	struct timeval d = *duration;
	if (is_common_timeout(&d, base))
		return &get_common_timeout_list(base, &d)->duration;
	d.tv_sec += d.tv_usec / 1000000;
	d.tv_usec %= 1000000;
	int idx = common_timeout_find(base, &d);
	if (idx >= 0)
		return &base->common_timeout_queues[idx]->duration;
	if (base->n_common_timeouts == MAX_COMMON_TIMEOUTS) {
		event_warnx_("%s: too many common timeouts", __func__);
		return NULL;
	}
	struct common_timeout_list *ctl = mm_calloc_(1, sizeof(*ctl));
	if (ctl == NULL || common_timeout_reserve(base) == -1) {
		mm_free_(ctl);
		return NULL;
	}
	idx = base->n_common_timeouts++;
	TAILQ_INIT(&ctl->events);
	ctl->base = base;
	ctl->duration.tv_sec = d.tv_sec;
	ctl->duration.tv_usec = d.tv_usec | COMMON_TIMEOUT_MAGIC |
	                        (idx << COMMON_TIMEOUT_IDX_SHIFT);
	evtimer_assign(&ctl->timeout_event, base, common_timeout_callback, ctl);
	ctl->timeout_event.ev_flags |= EVLIST_INTERNAL;
	event_priority_set(&ctl->timeout_event, 0);
	base->common_timeout_queues[idx] = ctl;
	return &ctl->duration;
}

/* How long the backend may wait: until the first timer, or forever
 * (*tv_p = NULL) if there is none. */
static void
timeout_next(struct event_base *base, struct timeval **tv_p)
{
	struct event *ev = min_heap_top_(&base->timeheap);
	struct timeval now;
	if (ev == NULL) {
		*tv_p = NULL;
		return;
	}
	if (event_gettime_(base, &now) == -1 ||
	    !timeval_less(&now, &ev->ev_timeout)) {
		(*tv_p)->tv_sec = (*tv_p)->tv_usec = 0;
		return;
	}
	timeval_sub(&ev->ev_timeout, &now, *tv_p);
}

/* Every timer whose deadline has passed becomes active (and is deleted
 * from its descriptor too: the persist closure adds it back). */
static void
timeout_process(struct event_base *base)
{
	struct timeval now;
	struct event *ev;
	if (min_heap_empty_(&base->timeheap) || event_gettime_(base, &now))
		return;
	while ((ev = min_heap_top_(&base->timeheap)) != NULL) {
		if (timeval_less(&now, &ev->ev_timeout))
			break;
		event_del_nolock_(ev);
		event_active_nolock_(ev, EV_TIMEOUT, 1);
	}
}

/* ------------------------------------------------------------------ */
/* Running callbacks                                                   */
/* ------------------------------------------------------------------ */

/* EV_PERSIST with a timeout: the next deadline is one period after the
 * one that just fired (so a periodic timer keeps its rhythm), or after
 * now if the event fired for I/O or the loop fell behind. */
static void
event_persist_reschedule(struct event_base *base, struct event *ev)
{
	struct timeval now, delay, relative_to, run_at;
	ev_uint32_t usec_mask = 0;
	if (!ev->ev_io_timeout.tv_sec && !ev->ev_io_timeout.tv_usec)
		return;
	event_gettime_(base, &now);
	delay = timeout_plain(&ev->ev_io_timeout);
	if (is_common_timeout(&ev->ev_io_timeout, base))
		usec_mask = (ev_uint32_t)ev->ev_io_timeout.tv_usec &
		            ~(ev_uint32_t)COMMON_TIMEOUT_MICROSECONDS_MASK;
	relative_to =
	        ev->ev_res & EV_TIMEOUT ? timeout_plain(&ev->ev_timeout) : now;
	timeval_add(&relative_to, &delay, &run_at);
	if (timeval_less(&run_at, &now))
		timeval_add(&now, &delay, &run_at);
	run_at.tv_usec |= (suseconds_t)usec_mask;
	event_add_nolock_(ev, &run_at, 1);
}

/* Runs a signal callback once per arrival. The remaining count lives in
 * the base (one closure runs at a time), and event_del() zeroes it through
 * ev_pncalls, so a callback that deletes or frees its event stops the
 * repetition without the loop touching the freed event. */
static void
event_signal_closure(struct event_base *base, struct event *ev)
{
	short *ncalls = &base->running_ncalls;
	*ncalls = ev->ev_ncalls;
	if (*ncalls != 0)
		ev->ev_pncalls = ncalls;
	while (*ncalls) {
		(*ncalls)--;
		ev->ev_ncalls = *ncalls;
		if (*ncalls == 0)
			ev->ev_pncalls = NULL;
		ev->ev_callback(ev->ev_fd, ev->ev_res, ev->ev_arg);
		if (base->event_break) {
			/* *ncalls != 0: ev is alive; detach it. */
			if (*ncalls != 0)
				ev->ev_pncalls = NULL;
			return;
		}
	}
}

/* Runs one event's callback the way its closure says. Does not touch ev
 * after the callback returns: the callback may have freed it. */
static void
event_run_closure(struct event_base *base, struct event *ev)
{
	switch (ev->ev_closure) {
	case EV_CLOSURE_EVENT_SIGNAL:
		event_signal_closure(base, ev);
		break;
	case EV_CLOSURE_EVENT_PERSIST:
		event_persist_reschedule(base, ev);
		ev->ev_callback(ev->ev_fd, ev->ev_res, ev->ev_arg);
		break;
	default:
		ev->ev_callback(ev->ev_fd, ev->ev_res, ev->ev_arg);
		break;
	}
}

/* Nonzero if the monotonic clock has reached endtime. */
static int
event_time_reached(struct event_base *base, const struct timeval *endtime)
{
	struct timeval now;
	event_update_time_cache(base);
	event_gettime_(base, &now);
	return !timeval_less(&now, endtime);
}

/* Runs the callbacks of one active queue, in order, until it is empty or a
 * limit is reached. Returns how many user (non-internal) callbacks ran,
 * or -1 if loopbreak was called. */
static int
event_process_active_single_queue(struct event_base *base,
                                  struct event_list *queue, int max_to_process,
                                  const struct timeval *endtime)
{
	struct event *ev;
	int count = 0;
	while ((ev = TAILQ_FIRST(queue)) != NULL) {
		if (ev->ev_events & EV_PERSIST)
			event_queue_remove_active(base, ev);
		else
			event_del_nolock_(ev);
		if (!(ev->ev_flags & EVLIST_INTERNAL))
			count++;
		base->current_event = ev;
		event_run_closure(base, ev);
		base->current_event = NULL;
		if (base->event_break)
			return -1;
		if (count >= max_to_process)
			return count;
		if (count && endtime && event_time_reached(base, endtime))
			return count;
		if (base->event_continue)
			break;
	}
	return count;
}

/* Runs the highest priority that has user callbacks (lower ones wait for
 * the next iteration). Returns the count, or -1 on loopbreak. */
static int
event_process_active(struct event_base *base)
{
	struct timeval start, endtime, *endp = NULL;
	int c = 0;
	if (base->max_dispatch_time.tv_sec >= 0) {
		event_update_time_cache(base);
		event_gettime_(base, &start);
		timeval_add(&start, &base->max_dispatch_time, &endtime);
		endp = &endtime;
	}
	for (int i = 0; i < base->nactivequeues; i++) {
		struct event_list *queue = &base->activequeues[i];
		if (TAILQ_FIRST(queue) == NULL)
			continue;
		base->event_running_priority = i;
		if (i < base->limit_callbacks_after_prio)
			c = event_process_active_single_queue(base, queue,
			                                      INT_MAX, NULL);
		else
			c = event_process_active_single_queue(
			        base, queue, base->max_dispatch_callbacks,
			        endp);
		if (c != 0)
			break; /* user callbacks ran (or loopbreak) */
	}
	base->event_running_priority = -1;
	return c;
}

/* ------------------------------------------------------------------ */
/* The loop                                                            */
/* ------------------------------------------------------------------ */

/* Nonzero if something could still happen: a user event is pending or
 * active, or a virtual event holds the loop. */
static int
event_haveevents(struct event_base *base)
{
	return base->virtual_event_count > 0 || base->event_count > 0;
}

/* Waits in the backend for at most the time until the next timer (not at
 * all if callbacks are already due or the caller said NONBLOCK). */
static int
event_loop_wait(struct event_base *base, int flags)
{
	struct timeval tv = {0, 0};
	struct timeval *tv_p = &tv;
	event_clear_time_cache(base);
	if (!base->event_count_active && !(flags & EVLOOP_NONBLOCK))
		timeout_next(base, &tv_p);
	event_clear_time_cache(base);
	return base->evsel->dispatch(base, tv_p);
}

/* Ends a run of the loop: clears its state, and frees the base if a
 * callback asked for that. */
static int
event_loop_finish(struct event_base *base, int retval)
{
	event_clear_time_cache(base);
	base->running_loop = 0;
	if (base->free_pending) {
		event_base_free_now(base);
		return 0;
	}
	return retval;
}

int
event_base_loop(struct event_base *base, int flags)
{
	if (base->running_loop) {
		event_warnx_(
		        "%s: reentrant invocation. Only one "
		        "event_base_loop can run on each event_base at once.",
		        __func__);
		return -1;
	}
	base->running_loop = 1;
	base->event_gotterm = base->event_break = 0;
	if (base->sig.ev_n_signals_added)
		evsig_set_base_(base);
	for (;;) {
		base->event_continue = 0;
		base->n_deferreds_queued = 0;
		if (base->event_gotterm || base->event_break)
			return event_loop_finish(base, 0);
		if (!(flags & EVLOOP_NO_EXIT_ON_EMPTY) &&
		    !event_haveevents(base) && !base->event_count_active)
			return event_loop_finish(base, 1);
		event_queue_make_later_active(base);
		if (event_loop_wait(base, flags) == -1)
			return event_loop_finish(base, -1);
		event_update_time_cache(base);
		timeout_process(base);
		if (base->event_count_active) {
			int n = event_process_active(base);
			if ((flags & EVLOOP_ONCE) &&
			    !base->event_count_active && n != 0)
				return event_loop_finish(base, 0);
		} else if (flags & EVLOOP_NONBLOCK) {
			return event_loop_finish(base, 0);
		}
	}
}

int
event_base_dispatch(struct event_base *base)
{
	return event_base_loop(base, 0);
}

static void
event_loopexit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct event_base *base = arg;
	(void)fd, (void)what;
	base->event_gotterm = 1;
}

int
event_base_loopexit(struct event_base *base, const struct timeval *tv)
{
	return event_base_once(base, -1, EV_TIMEOUT, event_loopexit_cb, base,
	                       tv);
}

int
event_base_loopbreak(struct event_base *base)
{
	if (base == NULL)
		return -1;
	base->event_break = 1;
	return 0;
}

int
event_base_loopcontinue(struct event_base *base)
{
	if (base == NULL)
		return -1;
	if (base->running_loop)
		base->event_continue = 1;
	return 0;
}

int
event_base_got_exit(struct event_base *base)
{
	return base->event_gotterm;
}

int
event_base_got_break(struct event_base *base)
{
	return base->event_break;
}

/* ------------------------------------------------------------------ */
/* One-shot events                                                     */
/* ------------------------------------------------------------------ */

/* Runs the user's callback of an event_base_once() and frees it first, so
 * the callback may free the base. */
static void
event_once_cb(evutil_socket_t fd, short events, void *arg)
{
	struct event_once *eonce = arg;
	event_callback_fn cb = eonce->cb;
	void *cb_arg = eonce->arg;
	LIST_REMOVE(eonce, next_once);
	event_debug_note_teardown(&eonce->ev);
	mm_free_(eonce);
	cb(fd, events, cb_arg);
}

int
event_base_once(struct event_base *base, evutil_socket_t fd, short events,
                event_callback_fn callback, void *arg, const struct timeval *tv)
{
	int activate = 0, res;
	/* A signal or persistent event cannot be one-shot. */
	if (events & (EV_SIGNAL | EV_PERSIST))
		return -1;
	struct event_once *eonce = mm_calloc_(1, sizeof(*eonce));
	if (eonce == NULL)
		return -1;
	eonce->cb = callback;
	eonce->arg = arg;
	if ((events & (EV_TIMEOUT | EV_READ | EV_WRITE | EV_CLOSED)) ==
	    EV_TIMEOUT) {
		evtimer_assign(&eonce->ev, base, event_once_cb, eonce);
		activate = tv == NULL || (!tv->tv_sec && !tv->tv_usec);
	} else if (events & (EV_READ | EV_WRITE | EV_CLOSED)) {
		event_assign(&eonce->ev, base, fd,
		             events & (EV_READ | EV_WRITE | EV_CLOSED),
		             event_once_cb, eonce);
	} else {
		mm_free_(eonce);
		return -1;
	}
	res = 0;
	if (activate)
		event_active_nolock_(&eonce->ev, EV_TIMEOUT, 1);
	else
		res = event_add_nolock_(&eonce->ev, tv, 0);
	if (res != 0) {
		event_debug_note_teardown(&eonce->ev);
		mm_free_(eonce);
		return res;
	}
	LIST_INSERT_HEAD(&base->once_events, eonce, next_once);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Inspecting events                                                   */
/* ------------------------------------------------------------------ */

int
event_pending(const struct event *ev, short events, struct timeval *tv)
{
	int flags = 0;
	event_debug_check_initialized(ev, __func__);
	if (ev->ev_flags & EVLIST_INSERTED)
		flags |= ev->ev_events &
		         (EV_READ | EV_WRITE | EV_CLOSED | EV_SIGNAL);
	if (ev->ev_flags & (EVLIST_ACTIVE | EVLIST_ACTIVE_LATER))
		flags |= ev->ev_res;
	if (ev->ev_flags & EVLIST_TIMEOUT)
		flags |= EV_TIMEOUT;
	events &= EV_TIMEOUT | EV_READ | EV_WRITE | EV_CLOSED | EV_SIGNAL;
	if (tv != NULL && (flags & events & EV_TIMEOUT)) {
		/* Monotonic deadline + (wall - monotonic) = wall deadline. */
		struct timeval deadline = timeout_plain(&ev->ev_timeout);
		timeval_add(&deadline, &ev->ev_base->tv_clock_diff, tv);
	}
	return flags & events;
}

int
event_initialized(const struct event *ev)
{
	return (ev->ev_flags & EVLIST_INIT) != 0;
}

evutil_socket_t
event_get_fd(const struct event *ev)
{
	return ev->ev_fd;
}

struct event_base *
event_get_base(const struct event *ev)
{
	return ev->ev_base;
}

short
event_get_events(const struct event *ev)
{
	return ev->ev_events;
}

event_callback_fn
event_get_callback(const struct event *ev)
{
	return ev->ev_callback;
}

void *
event_get_callback_arg(const struct event *ev)
{
	return ev->ev_arg;
}

int
event_get_priority(const struct event *ev)
{
	return ev->ev_pri;
}

void
event_get_assignment(const struct event *event, struct event_base **base_out,
                     evutil_socket_t *fd_out, short *events_out,
                     event_callback_fn *callback_out, void **arg_out)
{
	if (base_out)
		*base_out = event->ev_base;
	if (fd_out)
		*fd_out = event->ev_fd;
	if (events_out)
		*events_out = event->ev_events;
	if (callback_out)
		*callback_out = event->ev_callback;
	if (arg_out)
		*arg_out = event->ev_arg;
}

struct event *
event_base_get_running_event(struct event_base *base)
{
	return base->current_event;
}

const char *
event_get_version(void)
{
	return LIBEVENT_VERSION;
}

ev_uint32_t
event_get_version_number(void)
{
	return LIBEVENT_VERSION_NUMBER;
}

/* ------------------------------------------------------------------ */
/* Counting, walking and dumping the base's events                     */
/* ------------------------------------------------------------------ */

int
event_base_get_num_events(struct event_base *base, unsigned int type)
{
	int r = 0;
	if (type & EVENT_BASE_COUNT_ACTIVE)
		r += base->event_count_active;
	if (type & EVENT_BASE_COUNT_VIRTUAL)
		r += base->virtual_event_count;
	if (type & EVENT_BASE_COUNT_ADDED)
		r += base->event_count;
	return r;
}

int
event_base_get_max_events(struct event_base *base, unsigned int type, int clear)
{
	int r = 0;
	if (type & EVENT_BASE_COUNT_ACTIVE) {
		r += base->event_count_active_max;
		if (clear)
			base->event_count_active_max = base->event_count_active;
	}
	if (type & EVENT_BASE_COUNT_VIRTUAL) {
		r += base->virtual_event_count_max;
		if (clear)
			base->virtual_event_count_max =
			        base->virtual_event_count;
	}
	if (type & EVENT_BASE_COUNT_ADDED) {
		r += base->event_count_max;
		if (clear)
			base->event_count_max = base->event_count;
	}
	return r;
}

void
event_base_add_virtual_(struct event_base *base)
{
	base->virtual_event_count++;
	if (base->virtual_event_count > base->virtual_event_count_max)
		base->virtual_event_count_max = base->virtual_event_count;
}

void
event_base_del_virtual_(struct event_base *base)
{
	EVUTIL_ASSERT(base->virtual_event_count > 0);
	base->virtual_event_count--;
}

/* What event_base_foreach_event() walks with: the user's function. */
struct foreach_ctx {
	event_base_foreach_event_cb fn;
	void *arg;
	int skip_flags; /* already visited through one of these */
};

static int
event_foreach_visit(struct event_base *base, struct event *ev, void *arg)
{
	struct foreach_ctx *ctx = arg;
	if ((ev->ev_flags & EVLIST_INTERNAL) ||
	    (ev->ev_flags & ctx->skip_flags))
		return 0;
	return ctx->fn(base, ev, ctx->arg);
}

/* Each event once: those in the maps; then timers not in a map; then
 * active events that are neither. */
static int
event_foreach_timers_and_active(struct event_base *base,
                                struct foreach_ctx *ctx)
{
	int r;
	ctx->skip_flags = EVLIST_INSERTED;
	for (unsigned i = 0; i < base->timeheap.n; i++)
		if ((r = event_foreach_visit(base, base->timeheap.p[i], ctx)))
			return r;
	for (int i = 0; i < base->n_common_timeouts; i++) {
		struct event *ev;
		TAILQ_FOREACH(ev, &base->common_timeout_queues[i]->events,
		              ev_timeout_next)
		if ((r = event_foreach_visit(base, ev, ctx)))
			return r;
	}
	ctx->skip_flags = EVLIST_INSERTED | EVLIST_TIMEOUT;
	for (int i = 0; i < base->nactivequeues; i++) {
		struct event *ev;
		TAILQ_FOREACH(ev, &base->activequeues[i], ev_active_next)
		if ((r = event_foreach_visit(base, ev, ctx)))
			return r;
	}
	return 0;
}

int
event_base_foreach_event(struct event_base *base,
                         event_base_foreach_event_cb fn, void *arg)
{
	struct foreach_ctx ctx = {fn, arg, 0};
	int r = evmap_foreach_event_(base, event_foreach_visit, &ctx);
	if (r)
		return r;
	return event_foreach_timers_and_active(base, &ctx);
}

/* Prints one event: address, fd, what it waits for, its timeout. */
static int
event_dump_one(const struct event_base *base, const struct event *ev, void *arg)
{
	FILE *f = arg;
	fprintf(f, "  %p [%s %d]%s%s%s%s%s%s", (const void *)ev,
	        ev->ev_events & EV_SIGNAL ? "sig" : "fd", (int)ev->ev_fd,
	        ev->ev_events & EV_READ ? " Read" : "",
	        ev->ev_events & EV_WRITE ? " Write" : "",
	        ev->ev_events & EV_CLOSED ? " EOF" : "",
	        ev->ev_events & EV_SIGNAL ? " Signal" : "",
	        ev->ev_events & EV_PERSIST ? " Persist" : "",
	        ev->ev_events & EV_ET ? " ET" : "");
	if (ev->ev_flags & EVLIST_TIMEOUT) {
		struct timeval tv;
		event_pending(ev, EV_TIMEOUT, &tv);
		fprintf(f, " Timeout=%ld.%06d", (long)tv.tv_sec,
		        (int)tv.tv_usec);
	}
	if (ev->ev_flags & EVLIST_ACTIVE)
		fprintf(f, " Active:%s%s%s%s%s",
		        ev->ev_res & EV_READ ? " Read" : "",
		        ev->ev_res & EV_WRITE ? " Write" : "",
		        ev->ev_res & EV_CLOSED ? " EOF" : "",
		        ev->ev_res & EV_SIGNAL ? " Signal" : "",
		        ev->ev_res & EV_TIMEOUT ? " Timeout" : "");
	fprintf(f, "%s\n", ev == base->current_event ? " (running)" : "");
	return 0;
}

void
event_base_dump_events(struct event_base *base, FILE *f)
{
	struct timeval now;
	event_gettime_(base, &now); /* refreshes the wall-clock offset */
	fprintf(f, "Events in base %p (method %s; %d added, %d active):\n",
	        (void *)base, base->evsel->name, base->event_count,
	        base->event_count_active);
	event_base_foreach_event(base, event_dump_one, f);
}

void
event_base_active_by_fd(struct event_base *base, evutil_socket_t fd,
                        short events)
{
	if (events & EV_TIMEOUT) {
		for (unsigned i = 0; i < base->timeheap.n; i++) {
			struct event *ev = base->timeheap.p[i];
			if (ev->ev_fd == fd &&
			    !(ev->ev_flags & EVLIST_INTERNAL))
				event_active_nolock_(ev, EV_TIMEOUT, 1);
		}
	}
	if (events & (EV_READ | EV_WRITE | EV_CLOSED))
		evmap_io_active_(base, fd,
		                 events & (EV_READ | EV_WRITE | EV_CLOSED));
}
