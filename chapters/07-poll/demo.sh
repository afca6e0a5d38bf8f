#!/usr/bin/env bash
# demo.sh - `make run` for chapter 07: rot13_poll has no FD_SETSIZE limit,
# an idle client blocks no one, and clients that vanish in the middle of a
# scan do not disturb the others.
cd "$(dirname "$0")" || exit 1
. ../common/serverctl.sh
CHECK=../common/rot13_check
WANT=1500

# Each client costs the server one descriptor, and the soft limit (often
# 1024, select()'s old ceiling) is inherited by the server we start. Only
# the hard limit bounds how far a process may raise it itself.
soft=$(ulimit -Sn) hard=$(ulimit -Hn)
if [ "$soft" != unlimited ] && [ "$soft" != "$hard" ] &&
	ulimit -Sn "$hard" 2>/dev/null; then
	echo "fd limit: soft $soft, hard $hard: ran 'ulimit -n $hard'"
else
	echo "fd limit: soft $soft, hard $hard: left as it is"
fi
limit=$(ulimit -Sn)
[ "$limit" = unlimited ] && limit=$((WANT + 100))
clients=$WANT
if [ "$limit" -lt $((WANT + 100)) ]; then
	clients=$((limit - 100))
	echo "  (too low for $WANT clients; using $clients)"
fi

# The server's sockets, less its listener: one per client.
client_sockets() {
	local n
	n=$(find "/proc/$SERVER_PID/fd" -lname 'socket:*' 2>/dev/null | wc -l)
	echo $((n - 1))
}

# Opens N idle connections, 100 at a time: a bigger burst would overflow
# the listen backlog (128), and an idle client whose handshake the server
# dropped never shows up (see the lesson, "Pitfalls"). Each batch is one
# rot13_check that sends a line, never reads, and holds on until killed.
holders=()
hold_idle() {
	local want=$1 have=0 n deadline
	while [ "$have" -lt "$want" ]; do
		n=$((want - have < 100 ? want - have : 100))
		"$CHECK" -p "$SERVER_PORT" -i $((n - 1)) -N -n 1 -t 60 \
			>/dev/null &
		holders+=($!)
		have=$((have + n))
		deadline=$((SECONDS + 20))
		until [ "$(client_sockets)" -ge "$have" ]; do
			if [ "$SECONDS" -ge "$deadline" ]; then
				echo "only $(client_sockets) of $have clients" \
					"connected after 20 s"
				return 1
			fi
			sleep 0.05
		done
	done
}

server_start ./rot13_poll || exit 1
trap 'server_stop KILL >/dev/null 2>&1' EXIT
echo "started rot13_poll on port $SERVER_PORT"

echo
echo "1. $clients clients connect at once, 3 request/response lines each:"
"$CHECK" -p "$SERVER_PORT" -c "$clients" -P -n 3 -t 60 || exit 1

echo
echo "2. $clients idle clients connect and stay; then one more client talks:"
hold_idle "$clients" || exit 1
echo "   the server holds $(client_sockets) client sockets, past FD_SETSIZE (1024)"
"$CHECK" -p "$SERVER_PORT" -P -n 2 -v -t 60 || exit 1
kill "${holders[@]}"
wait "${holders[@]}"

echo
echo "3. 60 clients reset their connections (RST) while 60 others talk;"
echo "   the server removes each reset client from the middle of its array:"
"$CHECK" -p "$SERVER_PORT" -c 60 -A -m long -n 20000 -t 60 >/dev/null &
aborter=$!
"$CHECK" -p "$SERVER_PORT" -c 60 -P -n 10 -t 60 || exit 1
wait "$aborter" || exit 1
echo "   (the resetting clients finished too)"

echo
trap - EXIT
server_stop TERM || exit 1
echo "stopped rot13_poll (exit status $SERVER_STATUS); its last line:"
tail -n 1 <<<"$SERVER_LOG"
