#!/usr/bin/env bash
# demo.sh - `make run` for chapter 09: the one-read-per-edge stall, fair
# service under a flood, what EPOLLONESHOT and EPOLLEXCLUSIVE change, and
# a small version of the select/poll/epoll comparison (`make compare` runs
# the full one).
cd "$(dirname "$0")" || exit 1
. ../common/serverctl.sh
CHECK=../common/rot13_check
ulimit -Sn "$(ulimit -Hn)" 2>/dev/null
trap 'server_stop KILL >/dev/null 2>&1' EXIT

client_sockets() {
	local n
	n=$(find "/proc/$SERVER_PID/fd" -lname 'socket:*' 2>/dev/null | wc -l)
	echo $((n - 1)) # less the listener
}

echo "1. A client sends one 64 KiB line at once, then waits for its answer."
server_start ./rot13_epoll_et_broken || exit 1
echo "   rot13_epoll_et_broken (one recv per edge):"
"$CHECK" -p "$SERVER_PORT" -m long -n 65536 -t 2 2>&1 | sed 's/^/     /'
echo "     (exit status ${PIPESTATUS[0]}: the rest of the line sits in the kernel, and no edge comes)"
server_stop >/dev/null || exit 1
server_start ./rot13_epoll_et || exit 1
echo "   rot13_epoll_et (recv until EAGAIN):"
"$CHECK" -p "$SERVER_PORT" -m long -n 65536 -t 20 | sed 's/^/     /'
[ "${PIPESTATUS[0]}" -eq 0 ] || exit 1

echo
echo "2. One client floods the server with a 30 MB line; once it is connected,"
echo "   another makes 300 round trips (each client's work per turn is bounded):"
"$CHECK" -p "$SERVER_PORT" -m long -n 30000000 -t 60 -q >/dev/null 2>&1 3>&- &
flooder=$!
deadline=$((SECONDS + 20))
until [ "$(client_sockets)" -ge 1 ] || [ "$SECONDS" -ge "$deadline" ]; do
	sleep 0.02
done
"$CHECK" -p "$SERVER_PORT" -P -n 300 -t 30 | sed 's/^/     /'
[ "${PIPESTATUS[0]}" -eq 0 ] || exit 1
wait "$flooder" || exit 1
server_stop >/dev/null || exit 1
echo "   its exit line: $(tail -n 1 <<<"$SERVER_LOG")"

echo
echo "3. Level, edge and one-shot (./oneshot_demo):"
./oneshot_demo | sed 's/^/   /'
[ "${PIPESTATUS[0]}" -eq 0 ] || exit 1

echo
echo "4. The thundering herd: 4 workers, 10 connections (./herd):"
for flag in "" -x -r; do
	./herd -w 4 -n 10 $flag | sed 's/^herd: /   /'
	[ "${PIPESTATUS[0]}" -eq 0 ] || exit 1
done

echo
echo "5. The comparison, small (make compare runs K up to 5000, 5 runs each):"
QUICK=1 KS="10 500" TRACED=0 ./compare.sh | sed 's/^/   /'
[ "${PIPESTATUS[0]}" -eq 0 ] || exit 1
trap - EXIT
