#!/usr/bin/env bash
# demo.sh - `make run` for chapter 12: the lost wakeup and the self-pipe,
# signal events on minievent, one base owning the signals, and
# rot13_graceful answering a client after SIGTERM.
cd "$(dirname "$0")" || exit 1
. ../common/serverctl.sh
CHECK=../common/rot13_check
trap 'server_stop KILL >/dev/null 2>&1' EXIT

# Waits (up to $2 seconds) until the server has exited by itself.
wait_gone() {
	local deadline=$((SECONDS + $1)) state
	while state=$(proc_state "$SERVER_PID") && [ -n "$state" ] &&
		[ "$state" != Z ]; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

echo "1. The self-pipe trick by hand (./selfpipe):"
./selfpipe | sed 's/^/   /'
[ "${PIPESTATUS[0]}" -eq 0 ] || exit 1

echo
echo "2. Signal events on minievent (./evsignal_demo):"
./evsignal_demo | sed 's/^/   /'
[ "${PIPESTATUS[0]}" -eq 0 ] || exit 1

echo
echo "3. Two bases, one signal owner (./two_bases):"
./two_bases | sed 's/^/   /'
[ "${PIPESTATUS[0]}" -eq 0 ] || exit 1

echo
echo "4. rot13_graceful: a client mid-conversation when SIGTERM comes."
server_start ./rot13_graceful -g 5 || exit 1
exec 5<>"/dev/tcp/127.0.0.1/$SERVER_PORT" || exit 1
printf 'Hello\n' >&5
IFS= read -r -t 10 line <&5 || exit 1
echo "   client sent 'Hello', got '$line'"
kill -TERM "$SERVER_PID"
deadline=$((SECONDS + 10))
until grep -q '^stopping' "$SERVER_OUT"; do
	[ "$SECONDS" -lt "$deadline" ] || exit 1
	sleep 0.05
done
echo "   kill -TERM; the server says: $(grep '^stopping' "$SERVER_OUT")"
echo "   a new client now: $("$CHECK" -p "$SERVER_PORT" 2>&1)"
printf 'Still there?\n' >&5
IFS= read -r -t 10 line <&5 || exit 1
echo "   the old client sent 'Still there?', got '$line'"
exec 5>&-
wait_gone 10 || exit 1
echo "   the old client closes; the server says: $(tail -n 1 "$SERVER_OUT")"
server_stop >/dev/null
echo "   and exits with status $SERVER_STATUS"
[ "$SERVER_STATUS" -eq 0 ] || exit 1
server_cleanup
