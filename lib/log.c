/*
 * log.c - where minievent's messages go: to stderr as "[warn] message",
 * or to the callback the program set with event_set_log_callback().
 *
 * Introduced in chapter 10. A library must not decide for its program how
 * problems are reported, nor end it on its own: so every message goes
 * through here, where the program can redirect it, and the one way out,
 * event_errx_(), first offers the program's fatal callback a chance.
 *
 * State: three process-wide settings (the log callback, the fatal callback,
 * the debug mask), as libevent has. Set them once at start-up, before any
 * other thread runs: they are plain variables, not locked.
 *
 * Interface: event_set_log_callback(), event_set_fatal_callback(),
 * event_enable_debug_logging() (event2/event.h), and log-internal.h's
 * event_warn_(), event_warnx_(), event_msgx_(), event_debugx_(),
 * event_errx_() and event_debug_logging_enabled_().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event2/event.h"
#include "event2/util.h"
#include "log-internal.h"

/* The status EVUTIL_ASSERT passes to event_errx_(): abort, not exit, so
 * that a broken invariant leaves a core dump to study. */
#define LOG_ASSERT_STATUS ((int)0xdeaddead)

/* A message longer than this is truncated, as in libevent. */
#define LOG_MSG_MAX 1024

static event_log_cb log_fn;
static event_fatal_cb log_fatal_fn;
static ev_uint32_t log_debug_mask;

void
event_set_log_callback(event_log_cb cb)
{
	log_fn = cb;
}

void
event_set_fatal_callback(event_fatal_cb cb)
{
	log_fatal_fn = cb;
}

void
event_enable_debug_logging(ev_uint32_t which)
{
	log_debug_mask = which;
}

int
event_debug_logging_enabled_(void)
{
	return log_debug_mask != 0;
}

static const char *
log_severity_name(int severity)
{
	switch (severity) {
	case EVENT_LOG_DEBUG:
		return "debug";
	case EVENT_LOG_MSG:
		return "msg";
	case EVENT_LOG_WARN:
		return "warn";
	case EVENT_LOG_ERR:
		return "err";
	default:
		return "???";
	}
}

/*
 * Formats the message, appends ": errstr" if errstr is not NULL, and hands
 * it to the callback or stderr. errno is restored afterwards: callers log
 * a failure and then return -1, and their caller still needs errno.
 */
static void
log_va(int severity, const char *errstr, const char *fmt, va_list ap)
{
	char msg[LOG_MSG_MAX];
	int saved_errno = errno;
	size_t len;

	evutil_vsnprintf(msg, sizeof(msg), fmt, ap);
	if (errstr != NULL) {
		len = strlen(msg);
		evutil_snprintf(msg + len, sizeof(msg) - len, ": %s", errstr);
	}
	if (log_fn != NULL)
		log_fn(severity, msg);
	else
		fprintf(stderr, "[%s] %s\n", log_severity_name(severity), msg);
	errno = saved_errno;
}

void
event_warn_(const char *fmt, ...)
{
	/* Read errno before anything (formatting included) can change it. */
	const char *errstr = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	log_va(EVENT_LOG_WARN, errstr, fmt, ap);
	va_end(ap);
}

void
event_warnx_(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_va(EVENT_LOG_WARN, NULL, fmt, ap);
	va_end(ap);
}

void
event_msgx_(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_va(EVENT_LOG_MSG, NULL, fmt, ap);
	va_end(ap);
}

void
event_debugx_(const char *fmt, ...)
{
	va_list ap;

	/* Checked first: debug messages are many, formatting is not free. */
	if (log_debug_mask == 0)
		return;
	va_start(ap, fmt);
	log_va(EVENT_LOG_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

/*
 * As libevent: the message is logged at EVENT_LOG_ERR, then the fatal
 * callback (if any) runs. It should not return; if it does, the process
 * ends anyway, since the library's state can no longer be trusted.
 */
void
event_errx_(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_va(EVENT_LOG_ERR, NULL, fmt, ap);
	va_end(ap);
	if (log_fatal_fn != NULL)
		log_fatal_fn(status);
	if (status == LOG_ASSERT_STATUS)
		abort();
	exit(status);
}
