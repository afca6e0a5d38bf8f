#!/usr/bin/env bash
# demo.sh - `make run` for chapter 10: rot13_events answering on each
# backend (EVENT_SHOW_METHOD says which), event_tour's states and dump,
# and the same source built against libevent answering too.
cd "$(dirname "$0")" || exit 1
. ../common/serverctl.sh
CHECK=../common/rot13_check
ulimit -Sn "$(ulimit -Hn)" 2>/dev/null
trap 'server_stop KILL >/dev/null 2>&1' EXIT

# serve PROG ENV...: starts PROG with ENV, shows its backend line and
# stderr, runs two clients, stops it.
serve() {
	local prog=$1
	shift
	SERVER_WRAPPER="env EVENT_SHOW_METHOD=1 $*" server_start "$prog" || exit 1
	echo "   \$ ${*:+$* }EVENT_SHOW_METHOD=1 $prog -p 0"
	sed -n 2p "$SERVER_OUT" | sed 's/^/     stdout: /'
	sed 's/^/     stderr: /' "$SERVER_OUT.err"
	"$CHECK" -p "$SERVER_PORT" -P -n 2 -v 2>&1 | sed 's/^/     client: /'
	[ "${PIPESTATUS[0]}" -eq 0 ] || exit 1
	"$CHECK" -p "$SERVER_PORT" -c 300 -P -n 3 -t 60 | sed 's/^/     client: /'
	[ "${PIPESTATUS[0]}" -eq 0 ] || exit 1
	server_stop >/dev/null || exit 1
	tail -n 1 <<<"$SERVER_LOG" | sed 's/^/     at exit: /'
}

echo "1. One source, three backends: the environment picks (EVENT_NO*)."
serve ./rot13_events
serve ./rot13_events EVENT_NOEPOLL=1
serve ./rot13_events EVENT_NOEPOLL=1 EVENT_NOPOLL=1

echo
echo "2. An event's states, and a base's events (./event_tour):"
./event_tour | sed 's/^/   /'
[ "${PIPESTATUS[0]}" -eq 0 ] || exit 1

echo
echo "3. The same rot13_events.c linked with libevent 2.1 (make compat):"
if [ -x ./rot13_events.libevent ]; then
	ldd ./rot13_events.libevent | grep -o -m1 'libevent_core[^ ]*' |
		head -n 1 | sed 's/^/   links: /'
	serve ./rot13_events.libevent
else
	echo "   skipped: libevent's development files are not installed"
	echo "   (sudo apt-get install libevent-dev pkg-config, then make run)"
fi
trap - EXIT
