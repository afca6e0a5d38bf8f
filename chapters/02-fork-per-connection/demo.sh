#!/usr/bin/env bash
# demo.sh - chapter 02's demo: `make run` (a few seconds) and
# `make experiment` (the same measurements, larger: about a minute).
#
#  1. an idle client no longer blocks the others (chapter 01's flaw, gone);
#  2. one child process per open connection, and none left, zombie or
#     not, once the clients have gone: read from /proc, no ps needed;
#  3. what a fork costs: forkcost, and the connection rate of rot13_fork
#     next to rot13_blocking's.
set -u
cd "$(dirname "$0")" || exit 1
# shellcheck source=../common/serverctl.sh
. ../common/serverctl.sh
SERVER_WRAPPER=${SERVER_WRAPPER:-} # serverctl.sh reads it
CHECK=../common/rot13_check
BLOCKING=../01-blocking-io/rot13_blocking

if [ "${1:-run}" = experiment ]; then
	rounds=3000 mib=256 mib_rounds=200 conns=5000 burst=200
else
	rounds=300 mib=64 mib_rounds=50 conns=300 burst=50
fi

trap 'server_stop KILL >/dev/null 2>&1' EXIT

die() {
	echo "demo: $*" >&2
	exit 1
}

# Children of the server: "PID state" for each, from /proc/PID/stat.
list_children() {
	local pid
	for pid in $(children_of "$SERVER_PID"); do
		echo "$pid $(proc_state "$pid")"
	done
}

count_children() {
	[ "$(children_of "$SERVER_PID" | wc -l)" -eq "$1" ]
}

# Polls until the server has exactly N children, for at most 20 s.
wait_children() {
	local deadline=$((SECONDS + 20))
	until count_children "$1"; do
		[ "$SECONDS" -lt "$deadline" ] ||
			die "expected $1 children, found: $(list_children)"
		sleep 0.05
	done
}

server_start ./rot13_fork || die "rot13_fork did not start"
echo "rot13_fork listening on port $SERVER_PORT, pid $SERVER_PID"

echo
echo "1. One idle client holds a connection; another is answered meanwhile:"
echo "   \$ rot13_check -i 1 -P -n 3 -v"
$CHECK -p "$SERVER_PORT" -i 1 -P -n 3 -v -t 30 | sed 's/^/   /'
[ "${PIPESTATUS[0]}" -eq 0 ] || die "rot13_check failed"
echo "   (chapter 01's rot13_blocking never answers this client)"

echo
echo "2. Two connections held open by this shell: one child each."
exec 5<>"/dev/tcp/127.0.0.1/$SERVER_PORT" || die "connect"
exec 6<>"/dev/tcp/127.0.0.1/$SERVER_PORT" || die "connect"
wait_children 2
list_children | sed 's/^/   child /; s/ S$/ S (sleeping: waiting for its client)/'
exec 5>&- 6>&-
wait_children 0
echo "   both closed: $(children_of "$SERVER_PID" | wc -l) children left"
$CHECK -p "$SERVER_PORT" -c "$burst" -n 2 -q -t 60 || die "burst failed"
wait_children 0
# A zombie is still a child, listed in /proc with state Z: no child at
# all means no zombie either.
echo "   after $burst more clients at once: 0 children, so no zombie"
server_stop TERM
echo "   SIGTERM: rot13_fork exited with status $SERVER_STATUS"
[ "$SERVER_STATUS" -eq 0 ] || die "rot13_fork did not stop cleanly"

echo
echo "3. What a fork costs (numbers vary from run to run and machine to machine):"
./forkcost -n "$rounds" | sed 's/^/   /'
./forkcost -n "$mib_rounds" -m "$mib" | sed 's/^/   /'
for server in "$BLOCKING" ./rot13_fork; do
	server_start "$server" || die "$server did not start"
	printf '   %-16s ' "${server##*/}:"
	./connrate -p "$SERVER_PORT" -n "$conns" || die "connrate failed"
	server_stop TERM
	[ "$SERVER_STATUS" -eq 0 ] || die "$server did not stop cleanly"
done
