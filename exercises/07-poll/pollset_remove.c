/*
 * pollset_remove.c - exercise 07-poll: remove a pollfd while iterating.
 *
 * Make pollset_remove() keep its promise in pollset.h. As shipped it fills
 * the hole with the last entry, the usual O(1) trick, and then tells the
 * scan to go on at i + 1. Run `make check` to see what that costs, then
 * fix it. `make hint` helps.
 */
#include "pollset.h"

size_t
pollset_remove(struct pollset *ps, size_t i)
{
	size_t last = ps->len - 1;

	ps->pfd[i] = ps->pfd[last];
	ps->data[i] = ps->data[last];
	ps->len = last;
	return i + 1;
}
