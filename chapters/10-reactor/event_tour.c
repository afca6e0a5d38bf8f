/*
 * event_tour - chapter 10: how a base picks its backend, one event walked
 * through its states, then every event of a base listed by
 * event_base_dump_events().
 *
 * The backend: the first of event_get_supported_methods() that the
 * environment (EVENT_NOEPOLL, ...) and the event_config allow
 * (event_config_avoid_method, event_config_require_features).
 * An event is initialized (event_new), pending (event_add: the base
 * watches for it), active (it happened: its callback is due) and back to
 * non-pending when its callback runs, unless it is EV_PERSIST. The program
 * prints event_pending() at each step, from outside and from inside the
 * callbacks, then adds one event of each kind and dumps the base.
 *
 *   ./event_tour
 *   EVENT_NOEPOLL=1 ./event_tour        (the same on the poll backend)
 *
 * Watch: "inside its callback" differs between the plain event (no longer
 * pending) and the EV_PERSIST one (still pending).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <event2/util.h>

#define ALL_KINDS (EV_TIMEOUT | EV_READ | EV_WRITE | EV_SIGNAL)

static void tour_backends(void);
static void try_config(const char *what, const char *avoid, int features);
static int tour_states(struct event_base *base, evutil_socket_t fd[2]);
static int tour_dump(struct event_base *base, evutil_socket_t fd[2]);
static void show(const char *when, const struct event *ev);
static void on_event(evutil_socket_t fd, short what, void *arg);

int
main(void)
{
	evutil_socket_t fd[2] = {-1, -1};
	struct event_base *base;
	int status = 1;

	tour_backends();
	base = event_base_new();
	if (base == NULL) {
		fprintf(stderr, "event_tour: event_base_new failed\n");
		return 1;
	}
	if (evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fd) < 0)
		fprintf(stderr, "event_tour: socketpair: %s\n",
		        strerror(errno));
	else if (tour_states(base, fd) == 0 && tour_dump(base, fd) == 0)
		status = 0;
	if (fd[0] >= 0) {
		evutil_closesocket(fd[0]);
		evutil_closesocket(fd[1]);
	}
	event_base_free(base);
	return status;
}

/* The preference list, then a base made from a few configurations. */
static void
tour_backends(void)
{
	const char **methods = event_get_supported_methods();

	printf("supported, in order of preference:");
	for (int i = 0; methods[i] != NULL; i++)
		printf(" %s", methods[i]);
	printf("\n");
	try_config("no config", NULL, 0);
	try_config("avoid epoll", "epoll", 0);
	try_config("require EV_FEATURE_FDS", NULL, EV_FEATURE_FDS);
	try_config("require EV_FEATURE_ET", NULL, EV_FEATURE_ET);
	printf("\n");
}

/* Makes a base that avoids one method and requires some features, and
 * says which backend it got. */
static void
try_config(const char *what, const char *avoid, int features)
{
	struct event_config *cfg = event_config_new();
	struct event_base *base = NULL;

	if (cfg != NULL &&
	    (avoid == NULL || event_config_avoid_method(cfg, avoid) == 0) &&
	    event_config_require_features(cfg, features) == 0)
		base = event_base_new_with_config(cfg);
	printf("  %-24s -> %s\n", what,
	       base ? event_base_get_method(base) : "no base (NULL)");
	if (base)
		event_base_free(base);
	event_config_free(cfg);
}

/* A plain read event, then a persistent one, through their states. */
static int
tour_states(struct event_base *base, evutil_socket_t fd[2])
{
	static const short kinds[] = {EV_READ, EV_READ | EV_PERSIST};
	char byte;

	printf("backend: %s\n", event_base_get_method(base));
	if (send(fd[1], "x", 1, 0) != 1) /* fd[0] stays readable */
		return -1;
	for (int i = 0; i < 2; i++) {
		struct event *ev = event_new(base, fd[0], kinds[i], on_event,
		                             event_self_cbarg());
		if (ev == NULL)
			return -1;
		printf("%s event:\n", i ? "EV_READ|EV_PERSIST" : "EV_READ");
		show("after event_new", ev);
		if (event_add(ev, NULL) < 0) {
			event_free(ev);
			return -1;
		}
		show("after event_add", ev);
		event_base_loop(base, EVLOOP_ONCE);
		show("after the loop", ev);
		event_free(ev);
	}
	return recv(fd[0], &byte, 1, 0) == 1 ? 0 : -1;
}

/* One event of each kind, one made active by hand, and the dump. */
static int
tour_dump(struct event_base *base, evutil_socket_t fd[2])
{
	struct timeval five = {5, 0};
	struct event *ev[4] = {
	        event_new(base, fd[0], EV_READ | EV_PERSIST, on_event, NULL),
	        event_new(base, fd[1], EV_WRITE, on_event, NULL),
	        evtimer_new(base, on_event, NULL),
	        evsignal_new(base, SIGUSR1, on_event, NULL),
	};
	int res = 0;

	for (int i = 0; i < 4; i++)
		if (ev[i] == NULL ||
		    event_add(ev[i], i == 2 ? &five : NULL) < 0)
			res = -1;
	if (res == 0) {
		event_active(ev[1], EV_WRITE, 1); /* due, not yet run */
		printf("\nevent_base_dump_events():\n");
		event_base_dump_events(base, stdout);
	}
	for (int i = 0; i < 4; i++)
		if (ev[i]) /* libevent's event_free(NULL) would crash */
			event_free(ev[i]);
	return res;
}

/* Prints which of the kinds ev is pending for ("none": not pending). */
static void
show(const char *when, const struct event *ev)
{
	short p = (short)event_pending(ev, ALL_KINDS, NULL);

	printf("  %-22s pending for:%s%s%s%s%s\n", when,
	       p & EV_TIMEOUT ? " EV_TIMEOUT" : "",
	       p & EV_READ ? " EV_READ" : "", p & EV_WRITE ? " EV_WRITE" : "",
	       p & EV_SIGNAL ? " EV_SIGNAL" : "", p ? "" : " none");
}

/* With event_self_cbarg(), arg is the event itself. */
static void
on_event(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	printf("  callback: what=%s%s\n", what & EV_READ ? "EV_READ" : "",
	       what & EV_WRITE ? "EV_WRITE" : "");
	if (arg)
		show("inside its callback", arg);
}
