/*
 * rot13_fork - chapter 02: one process per connection, done right.
 *
 * The parent only accepts. Each client gets a child process (fork()) that
 * runs chapter 01's blocking loop, rot13_serve(), for that client alone, so
 * a silent client blocks nobody but its own process. The parent reaps every
 * child that exits, caps how many run at once, and on SIGINT/SIGTERM stops
 * accepting, stops its children and waits for them (with a bound).
 *
 *   ./rot13_fork -p 40713            (Ctrl-C stops it and its children)
 *   ../common/rot13_check -p 40713 -i 1 -v
 *
 * Watch: an idle client no longer holds up the others; /proc shows one
 * child process per open connection, and no zombie once they have closed
 * ("make run" shows both).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "net.h"
#include "serve.h"

#define MAX_CHILDREN 512   /* a cap, so a flood of clients is no fork bomb */
#define STOP_WAIT_MS 10000 /* children get this long to stop, then KILL */

/* The live children. Only main's thread of control touches it, never a
 * signal handler, so it needs no locking and no async-signal care. */
struct children {
	pid_t pid[MAX_CHILDREN];
	int n;
	sigset_t wait_mask; /* the signal mask while we sleep in ppoll() */
};

enum wake { WAKE_ERROR, WAKE_STOP, WAKE_SIGNAL, WAKE_CLIENT };

static int reaper_install(struct children *kids);
static enum wake wait_for_work(int listener, const struct children *kids);
static void accept_client(int listener, struct children *kids);
static void spawn(int listener, int fd, struct children *kids);
static void serve_child(int listener, int fd, const sigset_t *mask);
static void reap(struct children *kids);
static void stop_children(struct children *kids);
static void on_sigchld(int sig);

int
main(int argc, char **argv)
{
	struct server_options opt;
	struct children kids = {.n = 0};
	enum wake w;
	int listener;

	server_options_parse(&opt, argc, argv);
	if (stop_signals_install() < 0 || reaper_install(&kids) < 0) {
		fprintf(stderr, "rot13_fork: signals: %s\n", strerror(errno));
		return 1;
	}
	listener = listen_tcp(opt.addr, opt.port, SERVER_BACKLOG);
	if (listener < 0 || announce_listening(listener) < 0) {
		fprintf(stderr, "rot13_fork: listen on %s:%d: %s\n", opt.addr,
		        opt.port, strerror(errno));
		return 1;
	}
	for (;;) {
		reap(&kids);
		w = wait_for_work(listener, &kids);
		if (w == WAKE_STOP || w == WAKE_ERROR)
			break;
		if (w == WAKE_CLIENT)
			accept_client(listener, &kids);
	}
	if (w == WAKE_ERROR)
		perror("rot13_fork: ppoll");
	close(listener);
	stop_children(&kids);
	stop_signals_release();
	return w == WAKE_ERROR;
}

/*
 * SIGCHLD stays blocked except while main sleeps in ppoll(), which unblocks
 * it atomically: a child that exits at any other moment leaves the signal
 * pending, and the next ppoll() returns at once. Without the atomic swap a
 * child exiting between reap() and the sleep would lie a zombie until the
 * next client came. The handler does nothing; it exists so that the signal
 * interrupts ppoll() (SIGCHLD's default action is to be ignored).
 */
static int
reaper_install(struct children *kids)
{
	struct sigaction sa = {.sa_handler = on_sigchld};
	sigset_t chld;

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_NOCLDSTOP; /* exits only, not stops */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if (sigaction(SIGCHLD, &sa, NULL) < 0 ||
	    sigprocmask(SIG_BLOCK, &chld, &kids->wait_mask) < 0)
		return -1;
	return sigdelset(&kids->wait_mask, SIGCHLD);
}

static void
on_sigchld(int sig)
{
	(void)sig;
}

/* Sleeps until a client, a stop request or a signal. With MAX_CHILDREN
 * running, the listener is left out: new clients wait in the backlog. */
static enum wake
wait_for_work(int listener, const struct children *kids)
{
	struct pollfd pfd[2] = {
	        {.fd = stop_fd(), .events = POLLIN},
	        {.fd = kids->n < MAX_CHILDREN ? listener : -1,
	         .events = POLLIN},
	};

	if (stop_requested())
		return WAKE_STOP;
	if (ppoll(pfd, 2, NULL, &kids->wait_mask) < 0)
		return errno == EINTR ? WAKE_SIGNAL : WAKE_ERROR;
	if (pfd[0].revents)
		return WAKE_STOP;
	return pfd[1].revents ? WAKE_CLIENT : WAKE_SIGNAL;
}

static void
accept_client(int listener, struct children *kids)
{
	int fd = accept(listener, NULL, NULL);

	if (fd >= 0)
		spawn(listener, fd, kids);
	else
		accept_error("rot13_fork"); /* EMFILE, ENOBUFS...: go on */
}

static void
spawn(int listener, int fd, struct children *kids)
{
	pid_t pid = fork();

	if (pid == 0)
		serve_child(listener, fd, &kids->wait_mask); /* never returns */
	if (pid < 0) /* EAGAIN: RLIMIT_NPROC, or the kernel is out of room */
		perror("rot13_fork: fork");
	else
		kids->pid[kids->n++] = pid;
	/* The child holds its own reference to the connection now. Ours must
	 * go, or the connection outlives the child: no FIN ever reaches the
	 * client, and the parent runs out of descriptors. */
	close(fd);
}

/*
 * The child inherited everything: the listener, the stop pipe, the signal
 * handlers and the blocked SIGCHLD. It keeps the stop pipe and the SIGINT/
 * SIGTERM handlers (a stop reaches it through either), drops the rest, and
 * leaves with _exit(): the parent's exit work (atexit, stdio buffers
 * copied by fork) is not the child's to do.
 */
static void
serve_child(int listener, int fd, const sigset_t *mask)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};

	close(listener); /* only the parent accepts */
	sigemptyset(&dfl.sa_mask);
	if (sigaction(SIGCHLD, &dfl, NULL) == 0 &&
	    sigprocmask(SIG_SETMASK, mask, NULL) == 0)
		rot13_serve(fd);
	else
		perror("rot13_fork: child: signals");
	close(fd);
	stop_signals_release();
	_exit(0);
}

/* Collects every child that has exited. Signals coalesce (ten exits may
 * raise one SIGCHLD), so loop until waitpid() finds nobody left to reap. */
static void
reap(struct children *kids)
{
	pid_t pid;

	while ((pid = waitpid(-1, NULL, WNOHANG)) > 0) {
		for (int i = 0; i < kids->n; i++) {
			if (kids->pid[i] == pid) {
				kids->pid[i] = kids->pid[--kids->n];
				break;
			}
		}
	}
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The byte in the shared stop pipe already wakes every child that waits in
 * wait_readable(); SIGTERM also interrupts a child blocked in send() to a
 * client that does not read. An exited child stays a zombie until reaped,
 * so its pid cannot have been reused: kill() cannot hit a stranger. Those
 * still there after STOP_WAIT_MS are killed: no child outlives the parent.
 */
static void
stop_children(struct children *kids)
{
	struct timespec slice = {.tv_sec = 0, .tv_nsec = 100 * 1000000};
	long deadline = now_ms() + STOP_WAIT_MS;
	sigset_t chld;

	for (int i = 0; i < kids->n; i++)
		kill(kids->pid[i], SIGTERM);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	for (reap(kids); kids->n > 0 && now_ms() < deadline; reap(kids))
		sigtimedwait(&chld, NULL, &slice); /* an exit, or 100 ms */
	if (kids->n > 0)
		fprintf(stderr, "rot13_fork: %d children did not stop\n",
		        kids->n);
	for (int i = 0; i < kids->n; i++) {
		kill(kids->pid[i], SIGKILL);
		while (waitpid(kids->pid[i], NULL, 0) < 0 && errno == EINTR)
			continue;
	}
}
