/*
 * log-internal.h - how minievent reports problems: never by printing
 * directly, always through these, which honour event_set_log_callback(),
 * event_enable_debug_logging() and event_set_fatal_callback().
 *
 * Introduced in chapter 10. Implemented in log.c.
 *
 * Interface:
 *  - event_warn_(): a warning with strerror(errno) appended
 *  - event_warnx_(): a warning
 *  - event_msgx_(): an informational message
 *  - event_debugx_(): a debug message, only if debug logging is on
 *  - event_errx_(): a fatal error: logs, calls the fatal callback (or
 *    exits with the given status if none is set); never returns
 *  - EVUTIL_ASSERT(cond): a broken invariant is fatal, reported as
 *    "file:line: function: assertion cond failed"
 *
 * The severities are libevent's EVENT_LOG_DEBUG/MSG/WARN/ERR
 * (event2/event.h).
 */
#ifndef LOG_INTERNAL_H_INCLUDED_
#define LOG_INTERNAL_H_INCLUDED_

#ifdef __GNUC__
#define EV_CHECK_FMT_(a, b) __attribute__((format(printf, a, b)))
#define EV_NORETURN_        __attribute__((noreturn))
#else
#define EV_CHECK_FMT_(a, b)
#define EV_NORETURN_
#endif

void event_warn_(const char *fmt, ...) EV_CHECK_FMT_(1, 2);
void event_warnx_(const char *fmt, ...) EV_CHECK_FMT_(1, 2);
void event_msgx_(const char *fmt, ...) EV_CHECK_FMT_(1, 2);
void event_debugx_(const char *fmt, ...) EV_CHECK_FMT_(1, 2);
void event_errx_(int status, const char *fmt, ...)
        EV_CHECK_FMT_(2, 3) EV_NORETURN_;

/* Nonzero when event_enable_debug_logging() turned debug messages on. */
int event_debug_logging_enabled_(void);

#define EVUTIL_ASSERT(cond)                                                    \
	do {                                                                   \
		if (!(cond))                                                   \
			event_errx_(0xdeaddead,                                \
			            "%s:%d: %s: assertion %s failed",          \
			            __FILE__, __LINE__, __func__, #cond);      \
	} while (0)

#endif /* LOG_INTERNAL_H_INCLUDED_ */
