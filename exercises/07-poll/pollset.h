/*
 * pollset.h - the pollfd array of exercise 07-poll, and the one function
 * you write for it: pollset_remove().
 *
 * A poll() server keeps two arrays side by side: pfd[], which it hands to
 * poll(), and data[], its own object for each descriptor (rot13_poll keeps
 * a struct conn there). pfd[i] and data[i] always describe the same client,
 * and both stay packed: entries 0 .. len-1 are in use, no holes.
 *
 * After poll() returns, the server scans the array once, like this (it is
 * the loop of rot13_poll's serve_clients() and of the tests):
 *
 *     size_t i = 0;
 *     while (i < ps->len) {
 *             if (ps->pfd[i].revents == 0) {
 *                     i++;
 *                     continue;
 *             }
 *             if (handle(ps->data[i], ps->pfd[i].revents) == CLOSE) {
 *                     close(ps->pfd[i].fd);
 *                     free(ps->data[i]);
 *                     i = pollset_remove(ps, i);
 *                     continue;
 *             }
 *             i++;
 *     }
 *
 * Every entry that poll() reported ready must be handled exactly once in
 * that pass, and no entry that poll() did not report may be handled.
 */
#ifndef EXERCISE_POLLSET_H_INCLUDED_
#define EXERCISE_POLLSET_H_INCLUDED_

#include <poll.h>
#include <stddef.h>

struct pollset {
	struct pollfd *pfd; /* handed to poll() as it is */
	void **data;        /* data[i]: the caller's object for pfd[i] */
	size_t len;         /* entries in use; both arrays have room for more */
};

/*
 * Removes entry i (0 <= i < len) from the middle of a scan. The caller has
 * already closed pfd[i].fd and freed data[i]. Afterwards the arrays are
 * packed again, still parallel, one entry shorter, and entries 0 .. i-1,
 * which the scan has already handled, are where they were. Must not call
 * poll(). Returns the index of the next entry the scan must look at.
 */
size_t pollset_remove(struct pollset *ps, size_t i);

#endif /* EXERCISE_POLLSET_H_INCLUDED_ */
