/*
 * fdset_overflow - chapter 06: FD_SET() with a descriptor past FD_SETSIZE.
 *
 * An fd_set holds FD_SETSIZE (1024) bits, for descriptors 0 .. 1023; it is
 * 128 bytes. FD_SET(1024, &set) would write one bit past its end, into
 * whatever follows it in memory: undefined behaviour, and in the seeds'
 * server (which tested fd > FD_SETSIZE) a real out-of-bounds write. This
 * program is built with -D_FORTIFY_SOURCE=2, under which glibc checks the
 * descriptor in FD_SET/FD_CLR/FD_ISSET and aborts the process instead of
 * writing: so running it is safe, and the abort is what it shows.
 *
 *   ./fdset_overflow 1023     fine: the last bit of the set
 *   ./fdset_overflow 1024     *** buffer overflow detected ***: terminated
 *
 * Watch: the second run dies of SIGABRT before its last line is printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/select.h>

int
main(int argc, char **argv)
{
	int fd = argc > 1 ? atoi(argv[1]) : FD_SETSIZE;
	fd_set set;

	printf("sizeof(fd_set) = %zu bytes = %zu bits; FD_SET(%d, &set)...\n",
	       sizeof(set), sizeof(set) * 8, fd);
	fflush(stdout); /* the abort below would lose buffered output */
	FD_ZERO(&set);
	FD_SET(fd, &set);
	printf("fd %d is in the set: %s\n", fd,
	       FD_ISSET(fd, &set) ? "yes" : "no");
	return 0;
}
