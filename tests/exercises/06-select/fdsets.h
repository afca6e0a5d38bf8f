/*
 * fdsets.h - exercise 06-select: the function you write in fdsets.c.
 *
 * Before each select(), a server says what it wants to hear about. This
 * function is that step of rot13_select (chapter 06): the test program in
 * this directory runs a small select() server around your version of it.
 */
#ifndef EXERCISE_FDSETS_H_INCLUDED_
#define EXERCISE_FDSETS_H_INCLUDED_

#include <sys/select.h>

#include "conn.h"

/*
 * Fills rd and wr for the next select(), whatever they held before:
 *  - rd gets stopfd, listener (unless it is -1: accepting is paused), and
 *    the fd of every client that conn_wants_read();
 *  - wr gets the fd of every client that conn_wants_write(), and no other;
 *  - conns has nconns slots; a NULL slot is free and is skipped; a client's
 *    descriptor is conns[i]->fd (not i).
 * Returns the highest descriptor put in either set (the caller passes one
 * more than that to select()). Every descriptor is below FD_SETSIZE.
 */
int build_fd_sets(struct conn *const *conns, int nconns, int listener,
                  int stopfd, fd_set *rd, fd_set *wr);

#endif /* EXERCISE_FDSETS_H_INCLUDED_ */
