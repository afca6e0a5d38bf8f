/*
 * serve.h - answering one client with blocking calls: the connection loop
 * of the servers in chapters 01-03.
 *
 * Introduced in chapter 01 (blocking-io). rot13_blocking calls it for one
 * client after another, rot13_fork in a child process per client, and
 * rot13_thread and rot13_pool in a thread per client: the loop is the same,
 * only what runs it changes.
 *
 * Interface:
 *  - rot13_serve(): answers a client's lines until it is done
 */
#ifndef COMMON_SERVE_H_INCLUDED_
#define COMMON_SERVE_H_INCLUDED_

/*
 * Reads fd's lines and sends their answers until the client half-closes
 * (then answers an unterminated last line), the connection fails, or a stop
 * is requested (SIGINT/SIGTERM, see stop_signals_install()). Does not close
 * fd. Uses about 40 KiB of stack and nothing else.
 */
void rot13_serve(int fd);

#endif /* COMMON_SERVE_H_INCLUDED_ */
