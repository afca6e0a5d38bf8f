#!/usr/bin/env bash
# syscalls.sh - chapter 05: the system calls rot13_busypoll makes in one
# second, counted by `strace -c`, with no client, with idle clients, and
# with idle clients plus one busy one.
#
#   ./syscalls.sh [IDLE]          (default 100 idle clients; needs strace)
#
# strace stops the server at every system call, which makes each call many
# times slower: the counts are far below the untraced rate. What matters is
# their ratio: every turn of the loop makes one accept() plus one recv() per
# client, and nearly all of them fail with EAGAIN.
cd "$(dirname "$0")" || exit 1
# shellcheck source=../common/serverctl.sh
. ../common/serverctl.sh

idle=${1:-100}
command -v strace >/dev/null || {
	echo "syscalls.sh: needs strace (apt-get install strace)" >&2
	exit 1
}
# Tracing also stops the server; give stop and start more time.
SERVER_STOP_WAIT=30

# Attaches strace to the server for one second and prints one table row:
# calls of accept, recvfrom and sendto, and how many failed.
count() {
	local log
	log=$(mktemp) || return 1
	timeout -s INT 1 strace -c -p "$SERVER_PID" -o "$log" 2>/dev/null
	awk -v what="$1" '
		$NF == "accept" || $NF == "accept4" { acc = $4 }
		$NF == "recvfrom" { rcv = $4 }
		$NF == "sendto" { snd = $4 }
		$NF == "total" { tot = $4; err = NF == 6 ? $5 : 0 }
		END { printf "%-28s %9d %9d %9d %9d %9d\n", what, acc, rcv,
		      snd, tot, err }' "$log"
	rm -f "$log"
}

server_start ./rot13_busypoll || exit 1
trap 'server_stop >/dev/null 2>&1' EXIT
printf '%-28s %9s %9s %9s %9s %9s\n' "clients (1 s under strace)" \
	accept recvfrom sendto total failed
count "none"
fds=()
for ((i = 0; i < idle; i++)); do
	exec {fd}<>"/dev/tcp/127.0.0.1/$SERVER_PORT" || exit 1
	fds+=("$fd")
done
count "$idle idle"
# One client that keeps asking: a line, its answer, the next line, ...
nfds() { local f=(/proc/"$SERVER_PID"/fd/*); echo "${#f[@]}"; }
before=$(nfds)
../common/rot13_check -p "$SERVER_PORT" -P -n 100000 -t 30 -q \
	>/dev/null 2>&1 &
busy=$!
deadline=$((SECONDS + 10))
until [ "$(nfds)" -gt "$before" ] ||
	[ "$SECONDS" -ge "$deadline" ]; do
	sleep 0.1 # until the server has accepted the busy client
done
count "$idle idle + 1 busy"
kill "$busy" 2>/dev/null
wait "$busy" 2>/dev/null
for fd in "${fds[@]}"; do
	exec {fd}>&-
done
