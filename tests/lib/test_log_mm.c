/*
 * test_log_mm.c - the library's global hooks: the log callback, the fatal
 * callback, the allocation functions (event_set_mem_functions) and debug
 * mode. Each case runs in a fresh process, so each may set hooks that
 * must come before the library's first allocation.
 *
 * Run: make && ./run.sh epoll build-libevent/test_log_mm [CASE...]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "evtest.h"

/* The hooks take no argument, so what they record is global here. */
static struct {
	int severity, count;
	char msg[512];
} logged;

static struct {
	long mallocs, reallocs, frees;
	long outstanding; /* blocks allocated and not yet freed */
} mem;

static void
nothing_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

static void
log_cb(int severity, const char *msg)
{
	logged.severity = severity;
	logged.count++;
	snprintf(logged.msg, sizeof(logged.msg), "%s", msg);
}

/* An impossible requirement fails with a warning. */
static struct event_base *
base_impossible(void)
{
	struct event_config *cfg = event_config_new();
	struct event_base *base;

	assert_not_null(cfg);
	assert_int_eq(event_config_require_features(
	                      cfg, EV_FEATURE_O1 | EV_FEATURE_FDS),
	              0);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	return base;
}

static void
test_log_callback(void)
{
	event_set_log_callback(log_cb);
	assert_null(base_impossible());
	assert_int_eq(logged.count, 1);
	assert_int_eq(logged.severity, EVENT_LOG_WARN);
	assert_true(strlen(logged.msg) > 0);
}

/* EVENT_SHOW_METHOD's message goes through the callback too. */
static void
test_log_show_method(void)
{
	assert_int_eq(setenv("EVENT_SHOW_METHOD", "1", 1), 0);
	event_set_log_callback(log_cb);
	event_base_free(test_base_new());
	assert_int_eq(logged.count, 1);
	assert_int_eq(logged.severity, EVENT_LOG_MSG);
	assert_str_contains(logged.msg, test_env_method());
}

/* NULL puts back the default: messages go to stderr. */
static void
test_log_default(void)
{
	int fds[2], saved = dup(2);
	char out[512];
	ssize_t n;

	event_set_log_callback(log_cb);
	event_set_log_callback(NULL);
	assert_int_eq(pipe(fds), 0);
	assert_int_eq(dup2(fds[1], 2), 2);
	assert_null(base_impossible());
	assert_int_eq(dup2(saved, 2), 2);
	close(saved);
	close(fds[1]);
	n = read(fds[0], out, sizeof(out) - 1);
	close(fds[0]);
	assert_int_gt(n, 0);
	out[n] = '\0';
	assert_int_eq(logged.count, 0);
}

static void
fatal_cb(int err)
{
	/* A fatal callback must not return; it reports and leaves. The code
	 * is internal (libevent passes 0xdeaddead here), so it is not checked.
	 */
	(void)err;
	_exit(42);
}

/* Debug mode: assigning an event again while it is added (which would
 * corrupt the base's lists) is caught as a fatal error, which goes to the
 * fatal callback (in a child process, as the callback ends it). */
static void
test_debug_mode_fatal(void)
{
	int status;
	pid_t pid = fork();

	assert_int_ge(pid, 0);
	if (pid == 0) {
		struct event_base *base;
		struct event ev;
		struct timeval tv = tv_ms(10000);

		event_set_fatal_callback(fatal_cb);
		event_set_log_callback(log_cb);
		event_enable_debug_mode();
		base = test_base_new();
		assert_int_eq(event_assign(&ev, base, -1, 0, nothing_cb, NULL),
		              0);
		assert_int_eq(event_add(&ev, &tv), 0);
		event_assign(&ev, base, -1, 0, nothing_cb, NULL);
		event_base_free(base);
		_exit(0);
	}
	assert_int_eq(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_eq(WEXITSTATUS(status), 42);
}

/* Debug mode does not get in the way of correct use. */
static void
test_debug_mode_normal(void)
{
	struct event_base *base;
	struct event *ev;
	struct timeval tv = tv_ms(1);

	event_enable_debug_mode();
	base = test_base_new();
	ev = evtimer_new(base, nothing_cb, NULL);
	assert_int_eq(evtimer_add(ev, &tv), 0);
	assert_int_eq(evtimer_del(ev), 0);
	event_free(ev);
	event_base_free(base);
}

/* Counting allocators: each block carries its size in front. */
static void *
count_malloc(size_t size)
{
	size_t *p = malloc(sizeof(size_t) * 2 + size);

	if (!p)
		return NULL;
	mem.mallocs++;
	mem.outstanding++;
	return p + 2;
}

static void *
count_realloc(void *ptr, size_t size)
{
	size_t *p = ptr ? (size_t *)ptr - 2 : NULL;

	mem.reallocs++;
	if (!ptr)
		mem.outstanding++;
	p = realloc(p, sizeof(size_t) * 2 + size);
	return p ? p + 2 : NULL;
}

static void
count_free(void *ptr)
{
	if (!ptr)
		return;
	mem.frees++;
	mem.outstanding--;
	free((size_t *)ptr - 2);
}

/* Every allocation of the library goes through the functions set, and
 * everything allocated is given back. */
static void
test_mem_functions(void)
{
	struct event_base *base;
	struct event *ev;
	long before;

	event_set_mem_functions(count_malloc, count_realloc, count_free);
	base = test_base_new();
	assert_int_gt(mem.mallocs + mem.reallocs, 0);
	before = mem.mallocs;
	ev = evtimer_new(base, nothing_cb, NULL);
	assert_not_null(ev);
	assert_int_eq(mem.mallocs, before + 1);
	event_free(ev);
	event_base_free(base);
	assert_int_gt(mem.frees, 0);
	assert_int_eq(mem.outstanding, 0);
}

int
main(int argc, char **argv)
{
	static const struct unit_test tests[] = {
	        UNIT_TEST(log_callback),
	        UNIT_TEST(log_show_method),
	        UNIT_TEST(log_default),
	        UNIT_TEST(debug_mode_fatal),
	        UNIT_TEST(debug_mode_normal),
	        UNIT_TEST(mem_functions),
	        UNIT_END,
	};

	return unit_main(argc, argv, tests);
}
