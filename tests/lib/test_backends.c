/*
 * test_backends.c - unit tests of the three backends (lib/select.c,
 * lib/poll.c, lib/epoll.c), each driven through its struct eventop by a
 * tiny fake core, with no event_base, evmap or loop around it.
 *
 * Introduced in chapter 10. How it is built, in numbered reasons:
 *  1. A backend calls the core by two names, evmap_io_active_() and
 *     event_base_backend_(). Here they are #defined to the fake's own
 *     functions before the backends' sources are included, so the fake
 *     core records exactly what dispatch() reports, and the program still
 *     links with the real library (tests/lib's rule links every test with
 *     libminievent.a): the real core keeps its names and never meets ours.
 *  2. Including the sources also reaches their static parts: epoll's
 *     change list and poll's slots are checked directly (and the timeout
 *     rounding the backends share, evutil_tv_to_msec_()).
 *  3. The fake core plays the core's part of the contract: it passes the
 *     old interest, keeps fdinfo_len zeroed bytes per descriptor at a fixed
 *     address, and zeroes them when a descriptor's interest ends.
 *
 * Run: tests/lib/build-minievent/test_backends [-l] [CASE...]
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define evmap_io_active_    fake_io_active
#define event_base_backend_ fake_backend

#include "../../lib/epoll.c"
#include "../../lib/poll.c"
#include "../../lib/select.c"

#include "unit.h"

#define FAKE_MAXFD 2048 /* above FD_SETSIZE, for the fd > 1024 cases */
#define IO         (EV_READ | EV_WRITE | EV_CLOSED)

struct fake_core {
	struct event_base base; /* first, so that a base is a fake_core */
	const struct eventop *ops;
	short interest[FAKE_MAXFD];
	short reported[FAKE_MAXFD]; /* or-ed events of the last dispatch */
	int nreports[FAKE_MAXFD];   /* how often fd was reported in it */
	int with_et[FAKE_MAXFD];    /* the report carried EV_ET (epoll) */
	union {
		max_align_t align;
		unsigned char bytes[32];
	} fdinfo[FAKE_MAXFD];
};

static const struct eventop *const all_ops[] = {&epoll_ops_, &poll_ops_,
                                                &select_ops_};

void *
fake_backend(struct event_base *base)
{
	return base->evbase;
}

void
fake_io_active(struct event_base *base, evutil_socket_t fd, short events)
{
	struct fake_core *core = (struct fake_core *)base;

	assert_int_ge(fd, 0);
	assert_int_lt(fd, FAKE_MAXFD);
	core->reported[fd] |= events & ~EV_ET;
	core->with_et[fd] = (events & EV_ET) != 0;
	core->nreports[fd]++;
}

static struct fake_core *
fake_new(const struct eventop *ops)
{
	struct fake_core *core = calloc(1, sizeof(*core));

	assert_not_null(core);
	assert_int_le(ops->fdinfo_len, sizeof(core->fdinfo[0]));
	core->ops = ops;
	core->base.evbase = ops->init(&core->base);
	assert_not_null(core->base.evbase);
	return core;
}

static void
fake_free(struct fake_core *core)
{
	core->ops->dealloc(&core->base);
	free(core);
}

/* The core's side of event_add(): tell the backend what is new. */
static int
fake_add(struct fake_core *core, int fd, short events)
{
	short old = core->interest[fd], added = events & IO & ~old;

	if (added == 0)
		return 0;
	if (core->ops->add(&core->base, fd, old, added | (events & EV_ET),
	                   core->fdinfo[fd].bytes) == -1)
		return -1;
	core->interest[fd] |= added;
	return 0;
}

/* The core's side of event_del(). */
static int
fake_del(struct fake_core *core, int fd, short events)
{
	short old = core->interest[fd], removed = events & IO & old;
	int res;

	if (removed == 0)
		return 0;
	res = core->ops->del(&core->base, fd, old, removed | (events & EV_ET),
	                     core->fdinfo[fd].bytes);
	core->interest[fd] &= ~removed;
	if (core->interest[fd] == 0)
		memset(core->fdinfo[fd].bytes, 0, sizeof(core->fdinfo[fd]));
	return res;
}

/* One dispatch with a limit of ms milliseconds (-1: none). */
static void
fake_dispatch(struct fake_core *core, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	memset(core->reported, 0, sizeof(core->reported));
	memset(core->nreports, 0, sizeof(core->nreports));
	assert_int_eq(core->ops->dispatch(&core->base, ms < 0 ? NULL : &tv), 0);
}

static void
pair_new(int fds[2])
{
	assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
}

static void
pair_close(int fds[2])
{
	close(fds[0]);
	close(fds[1]);
}

static void
test_ops_tables(void)
{
	assert_str_eq(epoll_ops_.name, "epoll");
	assert_str_eq(poll_ops_.name, "poll");
	assert_str_eq(select_ops_.name, "select");
	/* libevent 2.1.12 on Linux reports 0xb, 0xc and 0x4. */
	assert_int_eq(epoll_ops_.features, 0xb);
	assert_int_eq(poll_ops_.features, 0xc);
	assert_int_eq(select_ops_.features, 0x4);
	assert_int_eq(epoll_ops_.need_reinit, 1);
	assert_int_eq(poll_ops_.need_reinit, 0);
	assert_int_eq(select_ops_.need_reinit, 0);
}

static void
test_timeout_rounds_up(void)
{
	struct timeval us1 = {0, 1}, ms1 = {0, 1000}, mixed = {2, 1001};
	struct timeval zero = {0, 0}, huge = {10 * 1000 * 1000, 0};

	assert_int_eq(evutil_tv_to_msec_(NULL), -1);
	assert_int_eq(evutil_tv_to_msec_(&zero), 0);
	assert_int_eq(evutil_tv_to_msec_(&us1), 1); /* never a busy 0 */
	assert_int_eq(evutil_tv_to_msec_(&ms1), 1);
	assert_int_eq(evutil_tv_to_msec_(&mixed), 2002);
	assert_int_eq(evutil_tv_to_msec_(&huge), INT_MAX);
}

/* Readable, writable, then deleted: reported once each, then not. */
static void
test_read_write_del(void)
{
	for (size_t i = 0; i < sizeof(all_ops) / sizeof(all_ops[0]); i++) {
		struct fake_core *core = fake_new(all_ops[i]);
		int fds[2];

		pair_new(fds);
		assert_int_eq(fake_add(core, fds[0], EV_READ), 0);
		fake_dispatch(core, 0);
		assert_int_eq(core->nreports[fds[0]], 0); /* nothing to read */
		assert_int_eq(write(fds[1], "x", 1), 1);
		assert_int_eq(fake_add(core, fds[0], EV_WRITE), 0);
		fake_dispatch(core, 5000);
		assert_int_eq(core->nreports[fds[0]], 1);
		assert_int_eq(core->reported[fds[0]], EV_READ | EV_WRITE);
		assert_int_eq(core->with_et[fds[0]], all_ops[i] == &epoll_ops_);
		assert_int_eq(fake_del(core, fds[0], EV_WRITE), 0);
		fake_dispatch(core, 5000);
		assert_int_eq(core->reported[fds[0]], EV_READ);
		assert_int_eq(fake_del(core, fds[0], EV_READ), 0);
		fake_dispatch(core, 0);
		assert_int_eq(core->nreports[fds[0]], 0);
		pair_close(fds);
		fake_free(core);
	}
}

/* A closed peer: EV_READ sees it everywhere; EV_CLOSED alone on epoll and
 * poll; select accepts EV_CLOSED and never reports it. */
static void
test_hangup_and_closed(void)
{
	for (size_t i = 0; i < sizeof(all_ops) / sizeof(all_ops[0]); i++) {
		struct fake_core *core = fake_new(all_ops[i]);
		int early = all_ops[i]->features & EV_FEATURE_EARLY_CLOSE;
		int a[2], b[2];

		pair_new(a);
		pair_new(b);
		assert_int_eq(fake_add(core, a[0], EV_READ), 0);
		assert_int_eq(fake_add(core, b[0], EV_CLOSED), 0);
		close(a[1]);
		assert_int_eq(shutdown(b[1], SHUT_WR), 0);
		fake_dispatch(core, early ? 5000 : 1000);
		assert_true(core->reported[a[0]] & EV_READ);
		assert_int_eq(core->reported[b[0]], early ? EV_CLOSED : 0);
		close(a[0]);
		pair_close(b);
		fake_free(core);
	}
}

/* Many descriptors, poll's slots shuffled by deletes: each dispatch
 * reports only ready ones, each once; a few dispatches report them all
 * (epoll returns at most its array's length at a time). */
static void
test_many_fds(void)
{
	enum { N = 300 };

	for (size_t i = 0; i < sizeof(all_ops) / sizeof(all_ops[0]); i++) {
		struct fake_core *core = fake_new(all_ops[i]);
		int fds[N][2], seen[N] = {0}, k, round;

		for (k = 0; k < N; k++) {
			pair_new(fds[k]);
			assert_int_eq(fake_add(core, fds[k][0], EV_READ), 0);
			if (k % 3 == 0)
				assert_int_eq(write(fds[k][1], "x", 1), 1);
		}
		for (k = 0; k < N; k += 2)
			assert_int_eq(fake_del(core, fds[k][0], EV_READ), 0);
		for (round = 0; round < 3; round++) {
			fake_dispatch(core, 5000);
			for (k = 0; k < N; k++) {
				int n = core->nreports[fds[k][0]];

				assert_int_le(n, k % 2 == 1 && k % 3 == 0);
				seen[k] |= n;
			}
		}
		for (k = 0; k < N; k++) {
			assert_int_eq(seen[k], k % 2 == 1 && k % 3 == 0);
			pair_close(fds[k]);
		}
		fake_free(core);
	}
}

/* The library's log, caught. A static: event_log_cb takes no argument. */
static struct unit_trace logged;

static void
log_catch(int severity, const char *msg)
{
	unit_trace(&logged, "%d:%s", severity, msg);
}

/* Descriptor 1500: poll and epoll take it, select refuses it, and says so
 * through the log callback. */
static void
test_fd_above_fd_setsize(void)
{
	struct rlimit rl;
	int fds[2], big = 1500;

	assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur <= (rlim_t)big)
		unit_skip("RLIMIT_NOFILE is too low for descriptor 1500");
	pair_new(fds);
	assert_int_eq(dup2(fds[0], big), big);
	assert_int_eq(write(fds[1], "x", 1), 1);
	for (size_t i = 0; i < sizeof(all_ops) / sizeof(all_ops[0]); i++) {
		struct fake_core *core = fake_new(all_ops[i]);

		if (all_ops[i] == &select_ops_) {
			errno = 0;
			event_set_log_callback(log_catch);
			assert_int_eq(fake_add(core, big, EV_READ), -1);
			assert_int_eq(errno, EINVAL);
			event_set_log_callback(NULL);
			assert_str_contains(logged.buf, "FD_SETSIZE");
		} else {
			assert_int_eq(fake_add(core, big, EV_READ), 0);
			fake_dispatch(core, 5000);
			assert_int_eq(core->reported[big], EV_READ);
		}
		fake_free(core);
	}
	close(big);
	pair_close(fds);
}

/* select's maxfd follows the highest descriptor with interest. */
static void
test_select_maxfd(void)
{
	struct fake_core *core = fake_new(&select_ops_);
	struct selectop *op = core->base.evbase;

	assert_int_eq(op->maxfd, -1);
	assert_int_eq(fake_add(core, 7, EV_READ), 0);
	assert_int_eq(fake_add(core, 9, EV_WRITE), 0);
	assert_int_eq(op->maxfd, 9);
	assert_int_eq(fake_del(core, 9, EV_WRITE), 0);
	assert_int_eq(op->maxfd, 7);
	assert_int_eq(fake_del(core, 7, EV_READ), 0);
	assert_int_eq(op->maxfd, -1);
	fake_free(core);
}

/* poll's slots stay packed and every fdinfo names its own slot. */
static void
test_poll_slots(void)
{
	struct fake_core *core = fake_new(&poll_ops_);
	struct pollop *op = core->base.evbase;
	int fd, i;

	for (fd = 100; fd < 140; fd++)
		assert_int_eq(fake_add(core, fd, EV_READ), 0);
	for (fd = 100; fd < 140; fd += 3)
		assert_int_eq(fake_del(core, fd, EV_READ), 0);
	assert_int_eq(op->nfds, 40 - 14);
	for (i = 0; i < op->nfds; i++) {
		struct poll_fdinfo *info =
		        (void *)core->fdinfo[op->fds[i].fd].bytes;

		assert_ptr_eq(op->infos[i], info);
		assert_int_eq(info->slot, i + 1);
	}
	fake_free(core);
}

/* The change list: a change undone before the wait never reaches the
 * kernel, a change kept reaches it at the wait, not before. */
static void
test_epoll_change_list(void)
{
	struct fake_core *core = fake_new(&epoll_ops_);
	struct epollop *op = core->base.evbase;
	int fds[2];
	struct epoll_fdinfo *info;

	pair_new(fds);
	info = (void *)core->fdinfo[fds[0]].bytes;
	assert_int_eq(fake_add(core, fds[0], EV_READ), 0);
	assert_int_eq(info->kernel, EV_READ); /* the first ADD is at once */
	assert_int_eq(fake_add(core, fds[0], EV_WRITE), 0);
	assert_int_eq(fake_del(core, fds[0], EV_WRITE), 0);
	assert_int_eq(op->nchanges, 1);
	fake_dispatch(core, 0);
	assert_int_eq(core->nreports[fds[0]], 0); /* writable, not asked */
	assert_int_eq(info->kernel, EV_READ);
	assert_int_eq(op->nchanges, 0);
	assert_int_eq(fake_add(core, fds[0], EV_WRITE), 0);
	assert_int_eq(info->kernel, EV_READ); /* deferred */
	fake_dispatch(core, 5000);
	assert_int_eq(info->kernel, EV_READ | EV_WRITE);
	assert_int_eq(core->reported[fds[0]], EV_WRITE);
	assert_int_eq(fake_del(core, fds[0], EV_READ | EV_WRITE), 0);
	assert_int_eq(info->change, 0); /* the last DEL is at once */
	assert_int_eq(op->nchanges, 0);
	pair_close(fds);
	fake_free(core);
}

/* EV_ET: reported when data arrives, not again while it waits unread. */
static void
test_epoll_edge_triggered(void)
{
	struct fake_core *core = fake_new(&epoll_ops_);
	int fds[2];

	pair_new(fds);
	assert_int_eq(fake_add(core, fds[0], EV_READ | EV_ET), 0);
	assert_int_eq(write(fds[1], "x", 1), 1);
	fake_dispatch(core, 5000);
	assert_int_eq(core->reported[fds[0]], EV_READ);
	fake_dispatch(core, 0);
	assert_int_eq(core->nreports[fds[0]], 0);
	assert_int_eq(write(fds[1], "y", 1), 1);
	fake_dispatch(core, 5000);
	assert_int_eq(core->reported[fds[0]], EV_READ);
	pair_close(fds);
	fake_free(core);
}

/* The kernel quirks of epoll.c's reason 4. */
static void
test_epoll_quirks(void)
{
	struct fake_core *core = fake_new(&epoll_ops_);
	int a[2], b[2], keep;

	pair_new(a);
	pair_new(b);
	/* MOD after the number was reused by another file: ENOENT, ADD. */
	assert_int_eq(fake_add(core, a[0], EV_READ), 0);
	assert_int_eq(fake_add(core, a[0], EV_WRITE), 0);
	assert_int_eq(dup2(b[0], a[0]), a[0]); /* closes a's file */
	assert_int_eq(write(b[1], "x", 1), 1);
	fake_dispatch(core, 5000);
	assert_int_eq(core->reported[a[0]], EV_READ | EV_WRITE);
	/* ADD of a number the kernel still holds through a dup: EEXIST, MOD */
	assert_int_eq(fake_del(core, a[0], EV_READ | EV_WRITE), 0);
	assert_int_eq(fake_add(core, a[0], EV_READ), 0);
	keep = dup(a[0]);
	assert_int_ge(keep, 0);
	close(a[0]);
	core->interest[a[0]] = 0; /* as if the core forgot it */
	memset(core->fdinfo[a[0]].bytes, 0, sizeof(core->fdinfo[0]));
	assert_int_eq(dup2(keep, a[0]), a[0]);
	assert_int_eq(fake_add(core, a[0], EV_READ), 0);
	/* DEL after close: EBADF, and nothing is left to delete. */
	close(a[0]);
	close(keep);
	assert_int_eq(fake_del(core, a[0], EV_READ), 0);
	close(a[1]);
	pair_close(b);
	fake_free(core);
}

/* A full events array doubles; every ready descriptor gets its turn. */
static void
test_epoll_events_grow(void)
{
	enum { N = 40 };
	struct fake_core *core = fake_new(&epoll_ops_);
	struct epollop *op = core->base.evbase;
	int fds[N][2], k, seen = 0;

	for (k = 0; k < N; k++) {
		pair_new(fds[k]);
		assert_int_eq(fake_add(core, fds[k][0], EV_WRITE), 0);
	}
	fake_dispatch(core, 5000);
	assert_int_eq(op->nevents, 2 * EPOLL_INITIAL_NEVENT);
	fake_dispatch(core, 5000);
	for (k = 0; k < N; k++)
		seen += core->nreports[fds[k][0]];
	assert_int_eq(seen, N);
	for (k = 0; k < N; k++)
		pair_close(fds[k]);
	fake_free(core);
}

static void
on_signal(int sig)
{
	(void)sig;
}

/* A signal during the wait ends dispatch() with 0, not an error. A child
 * sends SIGUSR1 every 10 ms until it is killed, so a signal that comes
 * before the wait starts cannot leave it waiting forever. */
static void
test_eintr_is_not_an_error(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: the wait is interrupted */
	assert_int_eq(sigaction(SIGUSR1, &sa, NULL), 0);
	for (size_t i = 0; i < sizeof(all_ops) / sizeof(all_ops[0]); i++) {
		struct fake_core *core = fake_new(all_ops[i]);
		pid_t parent = getpid(), pid = fork();

		assert_int_ge(pid, 0);
		if (pid == 0) {
			for (;;) {
				usleep(10000);
				kill(parent, SIGUSR1);
			}
		}
		fake_dispatch(core, -1); /* forever, but for the signal */
		kill(pid, SIGKILL);
		assert_int_eq(waitpid(pid, NULL, 0), pid);
		fake_free(core);
	}
}

int
main(int argc, char **argv)
{
	static const struct unit_test tests[] = {
	        UNIT_TEST(ops_tables),
	        UNIT_TEST(timeout_rounds_up),
	        UNIT_TEST(read_write_del),
	        UNIT_TEST(hangup_and_closed),
	        UNIT_TEST(many_fds),
	        UNIT_TEST(fd_above_fd_setsize),
	        UNIT_TEST(select_maxfd),
	        UNIT_TEST(poll_slots),
	        UNIT_TEST(epoll_change_list),
	        UNIT_TEST(epoll_edge_triggered),
	        UNIT_TEST(epoll_quirks),
	        UNIT_TEST(epoll_events_grow),
	        UNIT_TEST(eintr_is_not_an_error),
	        UNIT_END,
	};

	return unit_main(argc, argv, tests);
}
