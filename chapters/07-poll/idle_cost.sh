#!/usr/bin/env bash
# idle_cost.sh - `make idle-cost`: what one request/response round trip
# costs with K idle clients connected (K = 10, 100, 1000). poll() and
# select() look at every watched descriptor on every call, so the cost
# grows with K although only one client is active. Chapter 09 compares
# every model; this is the first look. Prints microseconds per round trip:
# the median, measured by chapter 06's crowd if it is built (steadier on a
# busy machine), else the mean from rot13_check.
cd "$(dirname "$0")" || exit 1
. ../common/serverctl.sh
CHECK=../common/rot13_check
ROUNDS=${ROUNDS:-4000}
ulimit -Sn "$(ulimit -Hn)" 2>/dev/null

client_sockets() {
	local n
	n=$(find "/proc/$SERVER_PID/fd" -lname 'socket:*' 2>/dev/null | wc -l)
	echo $((n - 1))
}

# K idle connections, 100 per rot13_check so the backlog never overflows.
hold_idle() {
	local have=0 n deadline=$((SECONDS + 60))
	holders=()
	while [ "$have" -lt "$1" ]; do
		n=$(($1 - have < 100 ? $1 - have : 100))
		"$CHECK" -p "$SERVER_PORT" -i $((n - 1)) -N -n 1 -t 300 \
			>/dev/null &
		holders+=($!)
		have=$((have + n))
		until [ "$(client_sockets)" -ge "$have" ]; do
			[ "$SECONDS" -lt "$deadline" ] || return 1
			sleep 0.05
		done
	done
}

CROWD=../06-select/crowd

# Prints the median round trip in microseconds, measured by crowd.
measure_crowd() {
	local out
	server_start "$1" || return 1
	out=$("$CROWD" -p "$SERVER_PORT" -n "$2" -r "$ROUNDS" | tail -n 1)
	server_stop >/dev/null
	echo "$out" | sed -n 's/.*median \([0-9]*\) us.*/\1/p'
}

# Prints the mean round trip in microseconds for server $1, $2 idle clients.
measure() {
	local out ms
	[ -x "$CROWD" ] && { measure_crowd "$@"; return; }
	server_start "$1" || return 1
	hold_idle "$2" || { echo "could not connect $2 clients" >&2; return 1; }
	out=$("$CHECK" -p "$SERVER_PORT" -P -n "$ROUNDS" -t 120) || return 1
	ms=$(echo "$out" | sed -n 's/.*answered, \([0-9]*\) ms.*/\1/p')
	kill "${holders[@]}"
	wait "${holders[@]}" 2>/dev/null
	server_stop >/dev/null
	awk -v ms="$ms" -v n="$ROUNDS" 'BEGIN { printf "%.1f", ms * 1000 / n }'
}

servers=(./rot13_poll)
[ -x ../06-select/rot13_select ] && servers+=(../06-select/rot13_select)
printf '%-28s' "idle clients:"
for k in 10 100 1000; do printf '%8s' "$k"; done
echo
for s in "${servers[@]}"; do
	printf '%-28s' "${s##*/} ($([ -x "$CROWD" ] && echo median || echo mean) us)"
	for k in 10 100 1000; do
		printf '%8s' "$(measure "$s" "$k")" || exit 1
	done
	echo
done
