#!/usr/bin/env bash
# demo.sh - `make run` for chapter 14: a bufferevent's callbacks, deferred
# callbacks, the backpressure experiment, rot13_bufferevent against a
# client that reads late, and the seeds' bufferevent server losing the
# answers it owes at EOF.
cd "$(dirname "$0")" || exit 1
. ../common/serverctl.sh
CHECK=../common/rot13_check
SEED=${SEED:-../../tests/seeds/rot13_seed_bufferevent}
SEED_PORT=40713
SEED_PID=
ulimit -Sn "$(ulimit -Hn)" 2>/dev/null
trap 'server_stop KILL >/dev/null 2>&1; [ -z "$SEED_PID" ] ||
	kill -KILL "$SEED_PID" 2>/dev/null' EXIT

# sockets_of PID: how many sockets PID holds.
sockets_of() {
	find "/proc/$1/fd" -lname 'socket:*' 2>/dev/null | wc -l
}

# late_read PORT PID LINES: late_reader sends LINES lines and half-closes,
# and is told to read once the server PID has closed the connection (by
# then it has seen the EOF and has sent, or dropped, every answer). If its
# sending stalls first, it reads at once, without being told.
late_read() {
	local dir fifo log pid base deadline
	dir=$(mktemp -d) || return 1
	fifo=$dir/go log=$dir/log
	mkfifo "$fifo" || return 1
	base=$(sockets_of "$2")
	./late_reader -p "$1" -n "$3" <"$fifo" >"$log" 2>&1 &
	pid=$!
	exec 8>"$fifo"
	deadline=$((SECONDS + 30))
	until grep -q -e half-closed -e stalled "$log"; do
		[ "$SECONDS" -lt "$deadline" ] || break
		sleep 0.05
	done
	while grep -q half-closed "$log" &&
		[ "$(sockets_of "$2")" -gt "$base" ]; do
		[ "$SECONDS" -lt "$deadline" ] || break
		sleep 0.05
	done
	exec 8>&-
	wait "$pid"
	sed 's/^late_reader: /     /' "$log"
	rm -rf "$dir"
}

echo "1. A bufferevent's callbacks, and when they run (./bev_tour):"
./bev_tour | sed '/./s/^/   /'
[ "${PIPESTATUS[0]}" -eq 0 ] || exit 1

echo
echo "2. Deferred callbacks (./deferred):"
./deferred | sed '/./s/^/   /'
[ "${PIPESTATUS[0]}" -eq 0 ] || exit 1

echo
echo "3. A peer that never reads (./backpressure):"
./backpressure | sed '/./s/^/   /'
[ "${PIPESTATUS[0]}" -eq 0 ] || exit 1

echo
echo "4. rot13_bufferevent:"
server_start ./rot13_bufferevent || exit 1
"$CHECK" -p "$SERVER_PORT" -P -n 2 -v 2>&1 | sed 's/^/     /'
"$CHECK" -p "$SERVER_PORT" -c 300 -P -n 3 -t 60 2>&1 | sed 's/^/     /'
echo "   a client that sends 28 MB before it reads a byte:"
late_read "$SERVER_PORT" "$SERVER_PID" 2000000
server_stop >/dev/null || exit 1
echo "     at exit: $(tail -n 1 <<<"$SERVER_LOG")"

echo
echo "5. The seeds' server (seed 004, unchanged, on minievent; port $SEED_PORT):"
if [ ! -x "$SEED" ]; then
	echo "   skipped: $SEED was not built (make -C ../../tests/seeds)"
	exit 0
fi
if grep -qi ":$(printf '%04X' "$SEED_PORT") 00000000:0000 0A" \
	/proc/net/tcp 2>/dev/null; then
	echo "   skipped: port $SEED_PORT is taken, and the seed cannot use another"
	exit 0
fi
"$SEED" >/dev/null 2>&1 &
SEED_PID=$!
deadline=$((SECONDS + 20))
until grep -qi ":$(printf '%04X' "$SEED_PORT") 00000000:0000 0A" /proc/net/tcp; do
	[ "$SECONDS" -lt "$deadline" ] && kill -0 "$SEED_PID" 2>/dev/null ||
		exit 1
	sleep 0.05
done
echo "   the last line without a newline (rot13_check -m tail -n 1):"
"$CHECK" -p "$SEED_PORT" -m tail -n 1 -t 10 2>&1 | sed 's/^/     /'
echo "   a client that sends 28 MB before it reads a byte:"
late_read "$SEED_PORT" "$SEED_PID" 2000000
kill -TERM "$SEED_PID"
wait "$SEED_PID"
echo "   (SIGTERM kills it: exit status $?)"
SEED_PID=
trap - EXIT
