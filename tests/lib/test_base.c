/*
 * test_base.c - the event base: backends and how one is chosen, features,
 * configuration, counting and listing events, priorities, fork and
 * event_reinit, and freeing a base that still has events.
 *
 * Run: make && ./run.sh epoll build-libevent/test_base [CASE...]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "evtest.h"

static void
count_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	++*(int *)arg;
}

static void
test_new_free(void)
{
	struct event_base *base = test_base_new();

	assert_not_null(event_base_get_method(base));
	event_base_free(base);
}

/* The run scripts pick the backend through the environment: make sure the
 * base really uses it, or the per-backend runs would test nothing. */
static void
test_method_follows_env(void)
{
	struct event_base *base = test_base_new();

	assert_str_eq(event_base_get_method(base), test_env_method());
	event_base_free(base);
}

static void
test_supported_methods(void)
{
	const char **methods = event_get_supported_methods();
	const char *want[] = {"epoll", "poll", "select"};
	int i;

	assert_not_null(methods);
	/* Preference order, fastest first, NULL-terminated. */
	for (i = 0; i < 3; i++)
		assert_str_eq(methods[i], want[i]);
	assert_null(methods[3]);
}

static void
test_env_noepoll_nopoll(void)
{
	struct event_base *base;

	unsetenv("EVENT_NOPOLL");
	assert_int_eq(setenv("EVENT_NOEPOLL", "1", 1), 0);
	base = test_base_new();
	assert_str_eq(event_base_get_method(base), "poll");
	event_base_free(base);
	assert_int_eq(setenv("EVENT_NOPOLL", "1", 1), 0);
	base = test_base_new();
	assert_str_eq(event_base_get_method(base), "select");
	event_base_free(base);
}

/* Every backend disabled: there is no base to be had. */
static void
test_env_all_disabled(void)
{
	assert_int_eq(setenv("EVENT_NOEPOLL", "1", 1), 0);
	assert_int_eq(setenv("EVENT_NOPOLL", "1", 1), 0);
	assert_int_eq(setenv("EVENT_NOSELECT", "1", 1), 0);
	assert_null(event_base_new());
}

static void
test_flag_ignore_env(void)
{
	struct event_config *cfg = event_config_new();
	struct event_base *base;

	assert_not_null(cfg);
	assert_int_eq(setenv("EVENT_NOEPOLL", "1", 1), 0);
	assert_int_eq(event_config_set_flag(cfg, EVENT_BASE_FLAG_IGNORE_ENV),
	              0);
	base = event_base_new_with_config(cfg);
	assert_not_null(base);
	assert_str_eq(event_base_get_method(base), "epoll");
	event_base_free(base);
	event_config_free(cfg);
}

/* Reads what the program writes to stderr while base_new() runs. */
static void
stderr_of_base_new(char *out, size_t size)
{
	int fds[2], saved = dup(2);
	ssize_t n;

	assert_int_eq(pipe(fds), 0);
	assert_int_ge(saved, 0);
	assert_int_eq(dup2(fds[1], 2), 2);
	event_base_free(test_base_new());
	assert_int_eq(dup2(saved, 2), 2);
	close(saved);
	close(fds[1]);
	n = read(fds[0], out, size - 1);
	assert_int_ge(n, 0);
	out[n] = '\0';
	close(fds[0]);
}

static void
test_show_method(void)
{
	char out[512];

	stderr_of_base_new(out, sizeof(out));
	assert_str_eq(out, "");
	assert_int_eq(setenv("EVENT_SHOW_METHOD", "1", 1), 0);
	stderr_of_base_new(out, sizeof(out));
	assert_str_contains(out, test_env_method());
}

static void
test_avoid_method(void)
{
	const char *names[] = {"epoll", "poll", "select"};

	for (int i = 0; i < 3; i++) {
		struct event_config *cfg = event_config_new();
		struct event_base *base;

		assert_not_null(cfg);
		/* Not the environment's choice but the whole list. */
		assert_int_eq(
		        event_config_set_flag(cfg, EVENT_BASE_FLAG_IGNORE_ENV),
		        0);
		assert_int_eq(event_config_avoid_method(cfg, names[i]), 0);
		base = event_base_new_with_config(cfg);
		assert_not_null(base);
		assert_str_ne(event_base_get_method(base), names[i]);
		event_base_free(base);
		event_config_free(cfg);
	}
}

static void
test_avoid_all_methods(void)
{
	struct event_config *cfg = event_config_new();

	assert_not_null(cfg);
	assert_int_eq(event_config_avoid_method(cfg, "epoll"), 0);
	assert_int_eq(event_config_avoid_method(cfg, "poll"), 0);
	assert_int_eq(event_config_avoid_method(cfg, "select"), 0);
	assert_null(event_base_new_with_config(cfg));
	event_config_free(cfg);
}

/* Returns the base made with these required features, or NULL. */
static struct event_base *
base_requiring(int features, int ignore_env)
{
	struct event_config *cfg = event_config_new();
	struct event_base *base;

	assert_not_null(cfg);
	assert_int_eq(event_config_require_features(cfg, features), 0);
	if (ignore_env)
		assert_int_eq(
		        event_config_set_flag(cfg, EVENT_BASE_FLAG_IGNORE_ENV),
		        0);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	return base;
}

static void
test_require_features(void)
{
	struct event_base *base = base_requiring(EV_FEATURE_O1, 1);

	assert_not_null(base);
	assert_str_eq(event_base_get_method(base), "epoll");
	event_base_free(base);
	/* epoll cannot watch regular files (EV_FEATURE_FDS). */
	base = base_requiring(EV_FEATURE_FDS, 1);
	assert_not_null(base);
	assert_str_ne(event_base_get_method(base), "epoll");
	event_base_free(base);
	/* Nothing on Linux has both: no base, rather than a wrong one. */
	assert_null(base_requiring(EV_FEATURE_O1 | EV_FEATURE_FDS, 1));
}

static void
test_features(void)
{
	struct event_base *base = test_base_new();
	int features = event_base_get_features(base);

	/* poll reports a closed peer too (POLLRDHUP); select cannot. */
	if (test_method_is(base, "epoll"))
		assert_int_eq(features, EV_FEATURE_ET | EV_FEATURE_O1 |
		                                EV_FEATURE_EARLY_CLOSE);
	else if (test_method_is(base, "poll"))
		assert_int_eq(features,
		              EV_FEATURE_FDS | EV_FEATURE_EARLY_CLOSE);
	else
		assert_int_eq(features, EV_FEATURE_FDS);
	event_base_free(base);
}

static void
test_num_events(void)
{
	struct event_base *base = test_base_new();
	int fds[2], n = 0;
	struct event *r, *t, *a;
	struct timeval tv = tv_ms(10000);

	test_socketpair(fds);
	r = event_new(base, fds[0], EV_READ, count_cb, &n);
	t = evtimer_new(base, count_cb, &n);
	a = event_new(base, -1, 0, count_cb, &n);
	assert_int_eq(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED),
	              0);
	assert_int_eq(event_add(r, NULL), 0);
	assert_int_eq(event_add(t, &tv), 0);
	assert_int_eq(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED),
	              2);
	assert_int_eq(event_base_get_num_events(base, EVENT_BASE_COUNT_ACTIVE),
	              0);
	event_active(a, EV_READ, 1);
	assert_int_eq(event_base_get_num_events(base, EVENT_BASE_COUNT_ACTIVE),
	              1);
	assert_int_eq(event_base_get_num_events(base, EVENT_BASE_COUNT_VIRTUAL),
	              0);
	/* An event counts under each list it is on: an active event is
	 * counted in ADDED too (libevent 2.1 does so). */
	assert_int_eq(
	        event_base_get_num_events(
	                base, EVENT_BASE_COUNT_ADDED | EVENT_BASE_COUNT_ACTIVE),
	        4);
	assert_int_eq(event_del(t), 0);
	assert_int_eq(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED),
	              2);
	assert_int_eq(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	assert_int_eq(n, 1);
	assert_int_eq(event_base_get_num_events(base, EVENT_BASE_COUNT_ACTIVE),
	              0);
	event_free(r);
	event_free(t);
	event_free(a);
	event_base_free(base);
	close(fds[0]);
	close(fds[1]);
}

static void
test_max_events(void)
{
	struct event_base *base = test_base_new();
	struct event *ev[3];
	struct timeval tv = tv_ms(10000);
	int n = 0;

	for (int i = 0; i < 3; i++) {
		ev[i] = evtimer_new(base, count_cb, &n);
		assert_int_eq(evtimer_add(ev[i], &tv), 0);
	}
	for (int i = 0; i < 3; i++)
		event_free(ev[i]);
	assert_int_eq(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED),
	              0);
	/* The maximum stays 3 until it is cleared. */
	assert_int_eq(
	        event_base_get_max_events(base, EVENT_BASE_COUNT_ADDED, 0), 3);
	assert_int_eq(
	        event_base_get_max_events(base, EVENT_BASE_COUNT_ADDED, 1), 3);
	assert_int_eq(
	        event_base_get_max_events(base, EVENT_BASE_COUNT_ADDED, 0), 0);
	event_base_free(base);
}

struct visit {
	const struct event *seen[8];
	int n, stop_after;
};

static int
visit_cb(const struct event_base *base, const struct event *ev, void *arg)
{
	struct visit *v = arg;

	(void)base;
	v->seen[v->n++] = ev;
	return v->n == v->stop_after ? 42 : 0;
}

static int
visited(const struct visit *v, const struct event *ev)
{
	for (int i = 0; i < v->n; i++)
		if (v->seen[i] == ev)
			return 1;
	return 0;
}

static void
test_foreach_event(void)
{
	struct event_base *base = test_base_new();
	struct event *ev[3];
	struct timeval tv = tv_ms(10000);
	struct visit v = {.stop_after = 0};
	int n = 0;

	for (int i = 0; i < 3; i++) {
		ev[i] = evtimer_new(base, count_cb, &n);
		assert_int_eq(evtimer_add(ev[i], &tv), 0);
	}
	assert_int_eq(event_base_foreach_event(base, visit_cb, &v), 0);
	assert_int_eq(v.n, 3);
	for (int i = 0; i < 3; i++)
		assert_true(visited(&v, ev[i]));
	/* A nonzero return stops the walk and is returned. */
	v.n = 0;
	v.stop_after = 2;
	assert_int_eq(event_base_foreach_event(base, visit_cb, &v), 42);
	assert_int_eq(v.n, 2);
	for (int i = 0; i < 3; i++)
		event_free(ev[i]);
	event_base_free(base);
}

/* Returns how many bytes event_base_dump_events() wrote. */
static long
dump_size(struct event_base *base)
{
	FILE *f = tmpfile();
	long size;

	assert_not_null(f);
	event_base_dump_events(base, f);
	assert_int_eq(fflush(f), 0);
	size = ftell(f);
	fclose(f);
	return size;
}

/* The text is for people, so only its growth is checked. */
static void
test_dump_events(void)
{
	struct event_base *base = test_base_new();
	int fds[2], n = 0;
	struct event *r, *t;
	struct timeval tv = tv_ms(10000);
	long empty, one, two;

	test_socketpair(fds);
	r = event_new(base, fds[0], EV_READ | EV_PERSIST, count_cb, &n);
	t = evtimer_new(base, count_cb, &n);
	empty = dump_size(base);
	assert_int_eq(event_add(r, NULL), 0);
	one = dump_size(base);
	assert_int_eq(event_add(t, &tv), 0);
	two = dump_size(base);
	assert_int_gt(one, empty);
	assert_int_gt(two, one);
	event_free(r);
	event_free(t);
	event_base_free(base);
	close(fds[0]);
	close(fds[1]);
}

static void
test_priority_init(void)
{
	struct event_base *base = test_base_new();
	struct event *ev;
	int n = 0;

	assert_int_eq(event_base_get_npriorities(base), 1);
	assert_int_eq(event_base_priority_init(base, 0), -1);
	assert_int_eq(event_base_priority_init(base, EVENT_MAX_PRIORITIES + 1),
	              -1);
	assert_int_eq(event_base_priority_init(base, 3), 0);
	assert_int_eq(event_base_get_npriorities(base), 3);
	ev = event_new(base, -1, 0, count_cb, &n);
	/* A new event starts in the middle priority, n / 2. */
	assert_int_eq(event_get_priority(ev), 1);
	assert_int_eq(event_priority_set(ev, 2), 0);
	assert_int_eq(event_get_priority(ev), 2);
	assert_int_eq(event_priority_set(ev, 3), -1);
	assert_int_eq(event_priority_set(ev, -1), -1);
	/* No changes while an event is active. */
	event_active(ev, EV_READ, 1);
	assert_int_eq(event_priority_set(ev, 0), -1);
	assert_int_eq(event_base_priority_init(base, 5), -1);
	/* 1: after the callback no event is left (EVLOOP_NONBLOCK goes
	 * round once more and finds the base empty). */
	assert_int_eq(event_base_loop(base, EVLOOP_NONBLOCK), 1);
	assert_int_eq(n, 1);
	assert_int_eq(event_base_priority_init(base, 5), 0);
	event_free(ev);
	event_base_free(base);
}

static void
test_struct_event_size(void)
{
	assert_int_eq(event_get_struct_event_size(), sizeof(struct event));
}

/* Events in caller-owned memory (event_assign) may outlive the base; the
 * base must let go of all of them, and run none of their callbacks. */
static void
test_free_with_events(void)
{
	struct event_base *base = test_base_new();
	struct event r, w, t, s, a;
	struct timeval tv = tv_ms(10000);
	int fds[2], n = 0;

	test_socketpair(fds);
	assert_int_eq(event_assign(&r, base, fds[0], EV_READ | EV_PERSIST,
	                           count_cb, &n),
	              0);
	assert_int_eq(event_assign(&w, base, fds[0], EV_WRITE, count_cb, &n),
	              0);
	assert_int_eq(evtimer_assign(&t, base, count_cb, &n), 0);
	assert_int_eq(evsignal_assign(&s, base, SIGUSR1, count_cb, &n), 0);
	assert_int_eq(event_assign(&a, base, -1, 0, count_cb, &n), 0);
	assert_int_eq(event_add(&r, &tv), 0);
	assert_int_eq(event_add(&w, NULL), 0);
	assert_int_eq(evtimer_add(&t, &tv), 0);
	assert_int_eq(evsignal_add(&s, NULL), 0);
	event_active(&a, EV_READ, 1);
	event_base_free(base);
	assert_int_eq(n, 0);
	close(fds[0]);
	close(fds[1]);
}

struct forked {
	struct event_base *base;
	int fd;
	int n;
};

static void
forked_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct forked *f = arg;

	assert_int_eq(what, EV_READ);
	assert_int_eq(test_drain(fd), 1);
	f->n++;
}

/* In the child: after event_reinit() the inherited event works, and the
 * child may delete it without touching the parent's backend state. */
static void
reinit_child(struct forked *f, int peer)
{
	assert_int_eq(event_reinit(f->base), 0);
	test_send(peer, "c");
	assert_int_eq(event_base_loop(f->base, EVLOOP_ONCE), 0);
	assert_int_eq(f->n, 1);
}

static void
test_reinit_fork(void)
{
	struct forked f = {test_base_new(), -1, 0};
	int fds[2], status;
	struct event *ev;
	pid_t pid;

	test_socketpair(fds);
	ev = event_new(f.base, fds[0], EV_READ | EV_PERSIST, forked_read_cb,
	               &f);
	assert_int_eq(event_add(ev, NULL), 0);
	pid = fork();
	assert_int_ge(pid, 0);
	if (pid == 0) {
		reinit_child(&f, fds[1]);
		event_free(ev);
		event_base_free(f.base);
		close(fds[0]);
		close(fds[1]);
		exit(0);
	}
	assert_int_eq(waitpid(pid, &status, 0), pid);
	assert_int_eq(status, 0);
	/* The child deleted its copy of the event: the parent's still works. */
	test_send(fds[1], "p");
	assert_int_eq(event_base_loop(f.base, EVLOOP_ONCE), 0);
	assert_int_eq(f.n, 1);
	event_free(ev);
	event_base_free(f.base);
	close(fds[0]);
	close(fds[1]);
}

int
main(int argc, char **argv)
{
	static const struct unit_test tests[] = {
	        UNIT_TEST(new_free),          UNIT_TEST(method_follows_env),
	        UNIT_TEST(supported_methods), UNIT_TEST(env_noepoll_nopoll),
	        UNIT_TEST(env_all_disabled),  UNIT_TEST(flag_ignore_env),
	        UNIT_TEST(show_method),       UNIT_TEST(avoid_method),
	        UNIT_TEST(avoid_all_methods), UNIT_TEST(require_features),
	        UNIT_TEST(features),          UNIT_TEST(num_events),
	        UNIT_TEST(max_events),        UNIT_TEST(foreach_event),
	        UNIT_TEST(dump_events),       UNIT_TEST(priority_init),
	        UNIT_TEST(struct_event_size), UNIT_TEST(free_with_events),
	        UNIT_TEST(reinit_fork),       UNIT_END,
	};

	return unit_main(argc, argv, tests);
}
