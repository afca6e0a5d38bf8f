/*
 * pollset_remove.c - exercise 07-poll, the reference solution.
 *
 * The last entry moves into the hole, so removal is O(1) and the arrays
 * stay packed. It moves whole: fd, events and the revents poll() gave it,
 * together with its data pointer, so nothing is mixed up between clients.
 * The moved entry has not been looked at yet (it came from the end, past
 * the scan), so the scan must stay at i: returning i + 1 would skip it.
 * When i was the last entry, i is now len and the scan ends.
 */
#include "pollset.h"

size_t
pollset_remove(struct pollset *ps, size_t i)
{
	size_t last = ps->len - 1;

	if (i != last) {
		ps->pfd[i] = ps->pfd[last];
		ps->data[i] = ps->data[last];
	}
	ps->len = last;
	return i;
}
