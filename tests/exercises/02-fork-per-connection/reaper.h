/*
 * reaper.h - exercise 02 (fork-per-connection): reap children.
 *
 * A server that forks a child per connection must collect every child that
 * exits (waitpid), or each one stays a zombie. The exercise's file,
 * reaper.c, implements:
 *
 *  - install_reaper(): installs a SIGCHLD handler that reaps every child
 *    that has exited, and returns 0 (or -1 with errno set if sigaction()
 *    fails). The handler must
 *      1. reap all exited children, not one per signal: signals coalesce,
 *         so one SIGCHLD may stand for many exits;
 *      2. never block: children that are still running are left alone;
 *      3. leave errno as it found it: the code it interrupted may be about
 *         to read errno;
 *    and the handler is installed with SA_RESTART, so that a blocking
 *    read() or accept() that SIGCHLD interrupts is restarted by the kernel
 *    instead of failing with EINTR.
 *
 * The tests (test_reaper.c) call install_reaper() once per test, in a
 * process of their own.
 */
#ifndef EXERCISE_REAPER_H_INCLUDED_
#define EXERCISE_REAPER_H_INCLUDED_

int install_reaper(void);

#endif /* EXERCISE_REAPER_H_INCLUDED_ */
