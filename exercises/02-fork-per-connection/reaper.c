/*
 * reaper.c - exercise 02 (fork-per-connection): reap children.
 *
 * Write install_reaper() (see reaper.h, in tests/exercises/02-fork-per-
 * connection/): install a SIGCHLD handler, written here too, that reaps
 * every child that has exited without ever blocking and without changing
 * errno, with SA_RESTART. As shipped it installs nothing, so every child
 * that exits stays a zombie. Check with `make check`; `make hint` helps.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "reaper.h"

int
install_reaper(void)
{
	return 0; /* nothing installed yet: exited children stay zombies */
}
