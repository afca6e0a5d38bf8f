/*
 * test_pollset.c - the tests of exercise 07-poll (pollset_remove).
 *
 * Each test builds a pollset, gives its entries revents, runs the scan loop
 * of pollset.h once, and checks the promise: every entry poll() reported is
 * handled exactly once in that pass, no other entry is handled, the entries
 * that closed are gone, and pfd[] and data[] stay packed and parallel.
 *
 * The scripted tests fake the revents, so they say exactly which removal
 * goes wrong; the random test tries 2000 mixes; the last test uses real
 * sockets and a real poll() call. All of it is deterministic.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pollset.h"

#define MAX_ENTRIES 64

/* The caller's object for one entry: which entry it is, what happened. */
struct item {
	int id;
	int handled; /* times the scan handled it */
};

static int failures;

static void fail(const char *test, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static void run_script(const char *test, const char *script);
static void random_scripts(void);
static void real_poll(void);
static void real_scan(struct pollset *ps);
static void real_verify(const char *test, struct pollset *ps, const int *peer);

int
main(void)
{
	run_script("an idle entry between", "r.x.r");
	run_script("remove, then the entry moved into the hole is ready",
	           "rx.r");
	run_script("two neighbours close", "xxr.r");
	run_script("the last entry closes", "r.x");
	run_script("the only entry closes", "x");
	run_script("every entry closes", "xxxxxx");
	run_script("the entry moved into the hole was idle", "x..");
	random_scripts();
	real_poll();
	if (failures == 0)
		printf("ok: every ready entry handled once, every closed one "
		       "removed\n");
	return failures ? 1 : 0;
}

static void
fail(const char *test, const char *fmt, ...)
{
	va_list ap;

	printf("FAIL: %s: ", test);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	failures++;
}

/*
 * The script: one letter per entry. '.' not ready, 'r' ready and stays,
 * 'x' ready and closes (POLLHUP). Entry k gets id k and fd 100 + k.
 */
static void
build(struct pollset *ps, struct item *items, const char *script)
{
	ps->len = strlen(script);
	for (size_t k = 0; k < ps->len; k++) {
		short rev = script[k] == 'r'   ? POLLIN
		            : script[k] == 'x' ? POLLIN | POLLHUP
		                               : 0;
		items[k] = (struct item){(int)k, 0};
		ps->pfd[k] = (struct pollfd){100 + (int)k, POLLIN, rev};
		ps->data[k] = &items[k];
	}
}

/* The scan loop of pollset.h; the fds are fake, so nothing is closed. */
static void
scan(struct pollset *ps)
{
	size_t i = 0, steps = 0;

	while (i < ps->len && steps++ < 10 * MAX_ENTRIES) {
		struct item *it = ps->data[i];
		if (ps->pfd[i].revents == 0) {
			i++;
			continue;
		}
		it->handled++;
		if (ps->pfd[i].revents & POLLHUP) {
			i = pollset_remove(ps, i);
			continue;
		}
		i++;
	}
}

/* Compares the scan's outcome with what the script asked for. */
static void
verify(const char *test, const struct pollset *ps, const struct item *items,
       const char *script)
{
	size_t n = strlen(script), expect_len = 0;
	int seen[MAX_ENTRIES] = {0};

	for (size_t k = 0; k < n; k++) {
		int want = script[k] != '.';
		if (items[k].handled != want)
			fail(test,
			     "entry %zu ('%c') should be handled %d time(s) "
			     "in the pass, it was handled %d time(s)%s",
			     k, script[k], want, items[k].handled,
			     want && items[k].handled == 0
			             ? " (skipped: was it moved into a hole?)"
			     : !want ? " (was it given another entry's "
			               "revents?)"
			             : "");
		expect_len += script[k] != 'x';
	}
	if (ps->len != expect_len) {
		fail(test, "expected %zu entries left, got len %zu", expect_len,
		     ps->len);
		return;
	}
	for (size_t i = 0; i < ps->len; i++) {
		const struct item *it = ps->data[i];
		if (it->id < 0 || (size_t)it->id >= n || seen[it->id]++ ||
		    script[it->id] == 'x' || ps->pfd[i].fd != 100 + it->id)
			fail(test,
			     "slot %zu holds fd %d with the data of entry %d: "
			     "not a kept entry, or pfd[] and data[] disagree",
			     i, ps->pfd[i].fd, it->id);
	}
}

static void
run_script(const char *test, const char *script)
{
	struct pollfd pfd[MAX_ENTRIES];
	void *data[MAX_ENTRIES];
	struct item items[MAX_ENTRIES];
	struct pollset ps = {pfd, data, 0};
	int before = failures;

	build(&ps, items, script);
	scan(&ps);
	verify(test, &ps, items, script);
	if (failures != before)
		printf("      (script \"%s\": '.' idle, 'r' ready, 'x' ready "
		       "and closing)\n",
		       script);
}

/* 2000 random scripts, the same ones on every run (a fixed seed). */
static void
random_scripts(void)
{
	char script[MAX_ENTRIES + 1];
	unsigned seed = 7;

	for (int t = 0; t < 2000 && failures == 0; t++) {
		size_t n = 1 + (size_t)(rand_r(&seed) % MAX_ENTRIES);
		for (size_t k = 0; k < n; k++)
			script[k] = ".rx"[rand_r(&seed) % 3];
		script[n] = '\0';
		run_script("random scripts", script);
	}
}

/*
 * Real sockets: 8 socketpairs, our ends in the set. Peers 2 and 3 close,
 * peers 1, 6 and 7 send a byte. One poll(), one pass: every byte must have
 * been read and both hung-up sockets closed and removed.
 */
static void
real_poll(void)
{
	static const char *test = "real poll() on 8 socketpairs";
	struct pollfd pfd[8];
	void *data[8];
	struct item items[8];
	struct pollset ps = {pfd, data, 8};
	int peer[8], sv[2];

	for (int k = 0; k < 8; k++) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) <
		    0) {
			fail(test, "socketpair: %s", strerror(errno));
			return;
		}
		pfd[k] = (struct pollfd){sv[0], POLLIN, 0};
		items[k] = (struct item){k, 0};
		data[k] = &items[k];
		peer[k] = sv[1];
	}
	close(peer[2]), close(peer[3]);
	peer[2] = peer[3] = -1;
	for (int k = 1; k < 8; k += k == 1 ? 5 : 1)
		if (send(peer[k], "x", 1, 0) != 1)
			fail(test, "send: %s", strerror(errno));
	if (poll(pfd, 8, 1000) != 5)
		fail(test, "expected poll() to report 5 ready sockets");
	real_scan(&ps);
	real_verify(test, &ps, peer);
}

/* The scan loop of pollset.h with real work: read a byte, or close at EOF. */
static void
real_scan(struct pollset *ps)
{
	size_t i = 0;
	char byte;

	while (i < ps->len) {
		struct item *it = ps->data[i];
		if (ps->pfd[i].revents == 0) {
			i++;
			continue;
		}
		it->handled++;
		if (recv(ps->pfd[i].fd, &byte, 1, 0) == 0) {
			close(ps->pfd[i].fd);
			i = pollset_remove(ps, i);
			continue;
		}
		i++;
	}
}

static void
real_verify(const char *test, struct pollset *ps, const int *peer)
{
	char byte;

	if (ps->len != 6)
		fail(test,
		     "expected 6 sockets left after two hang-ups, got %zu",
		     ps->len);
	for (size_t i = 0; i < ps->len; i++) {
		const struct item *it = ps->data[i];
		if (it->id == 2 || it->id == 3)
			fail(test, "the hung-up socket %d is still in the set",
			     it->id);
		else if (recv(ps->pfd[i].fd, &byte, 1, MSG_DONTWAIT) == 1)
			fail(test,
			     "socket %d had a byte to read and poll() said so, "
			     "but the pass skipped it (handled %d times)",
			     it->id, it->handled);
		close(ps->pfd[i].fd);
	}
	for (int k = 0; k < 8; k++)
		if (peer[k] >= 0)
			close(peer[k]);
}
