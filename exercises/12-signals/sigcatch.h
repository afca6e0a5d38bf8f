/*
 * sigcatch.h - exercise 12-signals: a self-pipe signal catcher.
 *
 * A loop that waits in poll() learns about signals through a descriptor:
 *
 *     for (;;) {
 *             int sig;
 *             while ((sig = sigcatch_take()) != 0)
 *                     handle(sig);            // any code: not a handler
 *             // <- a signal may land right here, after the last take
 *             struct pollfd pfd = {.fd = sigcatch_fd(), .events = POLLIN};
 *             poll(&pfd, 1, timeout);         // must wake for it anyway
 *     }
 *
 * Interface (the tests in tests/exercises/12-signals/ call exactly these):
 *  - sigcatch_install(signo): catch signo from now on (the first call also
 *    creates what sigcatch_fd() returns). 0, or -1 with errno set.
 *  - sigcatch_fd(): a descriptor that is readable while a caught signal has
 *    arrived and has not been taken; -1 before the first install. Reading
 *    it never blocks.
 *  - sigcatch_take(): the number of the oldest signal not yet taken, one
 *    per delivery, in the order they arrived, or 0 if there is none. Never
 *    blocks. (Up to the descriptor's capacity, 65536 deliveries on Linux,
 *    none is lost; beyond it, the descriptor stays readable.)
 *  - sigcatch_release(): gives every caught signal its default action back
 *    and closes the descriptors.
 *
 * The handler must be async-signal-safe and leave errno as it found it.
 */
#ifndef SIGCATCH_H_INCLUDED_
#define SIGCATCH_H_INCLUDED_

int sigcatch_install(int signo);
int sigcatch_fd(void);
int sigcatch_take(void);
void sigcatch_release(void);

#endif /* SIGCATCH_H_INCLUDED_ */
