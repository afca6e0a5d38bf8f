#!/usr/bin/env bash
# demo.sh - `make run` for chapter 08: level-triggered epoll on small
# socketpairs, the three descriptor pitfalls, then rot13_epoll_lt serving
# more clients than select() could take while one client sits idle.
cd "$(dirname "$0")" || exit 1
. ../common/serverctl.sh
CHECK=../common/rot13_check
WANT=1500

run() {
	echo "--- ./$1"
	"./$1" || exit 1
	echo
}
run lt_demo
run close_pitfall
run dup_pitfall
run fork_pitfall

# One descriptor per client, and the server inherits our soft limit: raise
# it to the hard limit if we may (only the hard limit bounds that).
ulimit -Sn "$(ulimit -Hn)" 2>/dev/null
limit=$(ulimit -Sn)
[ "$limit" = unlimited ] && limit=$((WANT + 100))
clients=$WANT
if [ "$limit" -lt $((WANT + 100)) ]; then
	clients=$((limit - 100))
	echo "(ulimit -n is $limit: using $clients clients, not $WANT)"
fi

server_start ./rot13_epoll_lt || exit 1
trap 'server_stop KILL >/dev/null 2>&1' EXIT
echo "--- rot13_epoll_lt is listening on 127.0.0.1:$SERVER_PORT"
echo "--- rot13_check -c $clients -P -n 3   ($clients clients at once)"
"$CHECK" -p "$SERVER_PORT" -c "$clients" -P -n 3 -t 60 || exit 1
idle=$((clients - 300))
echo "--- rot13_check -c 2 -i $idle -n 2 -v   (2 clients while $idle sit idle)"
"$CHECK" -p "$SERVER_PORT" -c 2 -i "$idle" -n 2 -v -t 60 || exit 1
echo
trap - EXIT
server_stop TERM || exit 1
echo "--- the server, stopped with SIGTERM (exit status $SERVER_STATUS)"
cat "$SERVER_OUT.err"
tail -n 1 "$SERVER_OUT"
rm -f "$SERVER_OUT" "$SERVER_OUT.err"
