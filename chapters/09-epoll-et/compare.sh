#!/usr/bin/env bash
# compare.sh - `make compare`: select vs poll vs epoll (level and edge) on
# the same job, one active client doing request/response round trips while
# K idle clients stay connected, K = 10, 100, 1000, 5000.
#
#   1. The round trip: the median of RUNS runs of chapter 06's crowd (which
#      connects K idle clients, then times ROUNDS round trips of one
#      active client and prints their median).
#   2. System calls per round trip: K idle clients are connected (by
#      rot13_check holders), `strace -c -f -p` is attached to the server,
#      one client makes TRACED round trips, strace is stopped, and its
#      total call count is divided by TRACED. The per-call summaries are
#      kept in .build/strace/; the third table is read from them: the
#      system time of one select/poll/epoll_wait call (strace's usecs/call;
#      strace slows the calls down, but every server alike).
#
# Knobs (environment): QUICK=1 (K = 10, 100; 1 run; a few seconds: what
# `make run` and the tests use), KS, RUNS, ROUNDS, TRACED (0: no strace
# table). Speed varies
# with the machine and its load: compare rows of one run, not across runs.
cd "$(dirname "$0")" || exit 1
. ../common/serverctl.sh
CHECK=../common/rot13_check
CROWD=.build/crowd
if [ -n "${QUICK:-}" ]; then
	: "${KS:=10 100}" "${RUNS:=1}" "${ROUNDS:=300}" "${TRACED:=200}"
else
	: "${KS:=10 100 1000 5000}" "${RUNS:=5}" "${ROUNDS:=2000}" "${TRACED:=1000}"
fi
ulimit -Sn "$(ulimit -Hn)" 2>/dev/null
LIMIT=$(ulimit -Sn)
[ "$LIMIT" = unlimited ] && LIMIT=1000000
FD_SETSIZE=1024
mkdir -p .build/strace

SERVERS=(.build/rot13_select .build/rot13_poll)
[ -x .build/rot13_epoll_lt ] && SERVERS+=(.build/rot13_epoll_lt)
SERVERS+=(./rot13_epoll_et)
for s in "${SERVERS[@]}"; do
	[ -x "$s" ] || { echo "compare.sh: $s not built (make compare)" >&2; exit 1; }
done

# Why server $1 cannot hold $2 idle clients, or nothing. The server needs
# K descriptors and a few more; so does the client side (crowd). select()
# also needs every descriptor below FD_SETSIZE.
cannot() {
	if [ "$2" -gt $((LIMIT - 50)) ]; then
		echo "n/a (fd limit)"
	elif [ "${1##*/}" = rot13_select ] && [ "$2" -gt $((FD_SETSIZE - 16)) ]; then
		echo "n/a (FD_SETSIZE)"
	fi
}

# The median of the numbers on stdin.
median() {
	sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}

# Prints the median round trip (us) of server $1 with $2 idle clients.
round_trip() {
	local run out
	for run in $(seq "$RUNS"); do
		server_start "$1" || return 1
		out=$("$CROWD" -p "$SERVER_PORT" -n "$2" -r "$ROUNDS") || {
			server_stop KILL >/dev/null 2>&1
			return 1
		}
		server_stop >/dev/null || return 1
		server_cleanup
		grep -q " 0 refused" <<<"$out" || return 1
		sed -n 's/.*median \([0-9]*\) us.*/\1/p' <<<"$out"
	done | median
}

client_sockets() {
	local n
	n=$(find "/proc/$SERVER_PID/fd" -lname 'socket:*' 2>/dev/null | wc -l)
	echo $((n - 1)) # less the listener
}

# K idle connections, 100 per rot13_check: a bigger burst would overflow
# the listen backlog (128).
hold_idle() {
	local have=0 n deadline=$((SECONDS + 120))
	holders=()
	while [ "$have" -lt "$1" ]; do
		n=$(($1 - have < 100 ? $1 - have : 100))
		"$CHECK" -p "$SERVER_PORT" -i $((n - 1)) -N -n 1 -t 600 \
			>/dev/null 2>&1 3>&- &
		holders+=($!)
		have=$((have + n))
		until [ "$(client_sockets)" -ge "$have" ]; do
			[ "$SECONDS" -lt "$deadline" ] || return 1
			sleep 0.05
		done
	done
}

# Prints the system calls per round trip of server $1 with $2 idle
# clients; the summary goes to .build/strace/NAME-K.txt.
syscalls() {
	local log=.build/strace/${1##*/}-$2.txt tracer deadline calls
	server_start "$1" || return 1
	hold_idle "$2" || { server_stop KILL; return 1; }
	# Made first: the background job may open it after the loop below
	# starts looking.
	: >"$log.err"
	strace -c -f -o "$log" -p "$SERVER_PID" 2>"$log.err" &
	tracer=$!
	deadline=$((SECONDS + 20))
	until grep -q attached "$log.err"; do
		[ "$SECONDS" -lt "$deadline" ] || break
		sleep 0.05
	done
	"$CHECK" -p "$SERVER_PORT" -P -n "$TRACED" -t 300 >/dev/null
	kill -INT "$tracer"
	wait "$tracer"
	kill "${holders[@]}" 2>/dev/null
	wait "${holders[@]}" 2>/dev/null
	server_stop >/dev/null
	server_cleanup
	rm -f "$log.err"
	calls=$(awk '$NF == "total" { print $4 }' "$log")
	awk -v c="$calls" -v n="$TRACED" 'BEGIN { printf "%.2f", c / n }'
}

# Prints the microseconds of system time per call of the waiting system
# call (select/poll/epoll_wait) from the summary syscalls() left.
wait_cost() {
	awk '$NF ~ /^(select|pselect6|poll|ppoll|epoll_wait|epoll_pwait)$/ {
		print $3 }' ".build/strace/${1##*/}-$2.txt" 2>/dev/null
}

# One table: $1 is the title, $2 the function that measures one cell.
table() {
	local s k why cell
	echo "$1"
	printf '%-16s' "server"
	for k in $KS; do printf '%18s' "K=$k"; done
	echo
	for s in "${SERVERS[@]}"; do
		printf '%-16s' "${s##*/}"
		for k in $KS; do
			why=$(cannot "$s" "$k")
			cell=${why:-$("$2" "$s" "$k")} || cell=failed
			printf '%18s' "${cell:-failed}"
		done
		echo
	done
}

echo "1 active client, K idle; $(nproc) CPUs, $(uname -sr)"
echo
table "round trip, median of $RUNS run(s) of $ROUNDS (microseconds):" round_trip
echo
if [ "$TRACED" -eq 0 ]; then
	: # TRACED=0: round trips only
elif command -v strace >/dev/null; then
	table "system calls per round trip (strace -c -f, $TRACED round trips):" syscalls
	echo
	table "microseconds of system time per select/poll/epoll_wait call (same strace):" wait_cost
else
	echo "system calls per round trip: strace is not installed"
fi
