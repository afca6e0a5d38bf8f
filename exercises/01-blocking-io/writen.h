/*
 * writen.h - exercise 01 (blocking-io): write all n bytes or fail.
 *
 * The interface you implement in writen.c. The tests in
 * tests/exercises/01-blocking-io/ call it on a socket and on a pipe while a
 * timer signal interrupts it and a slow reader keeps the buffer full.
 */
#ifndef EXERCISE_WRITEN_H_INCLUDED_
#define EXERCISE_WRITEN_H_INCLUDED_

#include <stddef.h>
#include <sys/types.h>

/*
 * Writes all n bytes of buf to fd, a descriptor in blocking mode (a socket,
 * a pipe, a file). write() may take fewer bytes than asked (a partial
 * write), or fail with EINTR when a signal arrives before it took any;
 * neither is an error, so writen() carries on until every byte is written.
 * Returns n, or -1 with errno set by the write() that really failed (EPIPE
 * when the reader has gone, for instance). writen(fd, buf, 0) returns 0.
 */
ssize_t writen(int fd, const void *buf, size_t n);

#endif /* EXERCISE_WRITEN_H_INCLUDED_ */
