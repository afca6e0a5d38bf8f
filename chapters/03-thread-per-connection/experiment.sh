#!/usr/bin/env bash
# experiment.sh - `make experiment` for chapter 03: the lesson's numbers.
#
#  1. thread_costs with 10,000 threads, default and 64 KiB stacks.
#  2. C10K with threads: rot13_thread holding 10,000 idle clients, and how
#     fast it still answers one more.
#  3. Context switches: 500 clients x 100 request/response lines against
#     rot13_thread (500 threads) and rot13_pool (8 and 64 workers).
#
# Takes about a minute; needs a descriptor limit (ulimit -Hn) above 10,100.
cd "$(dirname "$0")" || exit 1
. ../common/serverctl.sh
CHECK=../common/rot13_check
IDLE=10000
ulimit -n "$(ulimit -Hn)" 2>/dev/null
# Server output files of our own, removed at exit.
TMPDIR=$(mktemp -d) || exit 1
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT

die() {
	echo "experiment.sh: $*" >&2
	[ -z "${SERVER_PID:-}" ] || server_stop
	exit 1
}

status_of() {
	awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null
}

# Connections the kernel dropped because an accept queue was full.
listen_overflows() {
	awk '$1 == "TcpExt:" { if (!n) { for (i = 2; i <= NF; i++) k[i] = $i;
	     n = 1 } else for (i = 2; i <= NF; i++)
	     if (k[i] == "ListenOverflows") print $i }' /proc/net/netstat
}

kernel_stack_kb() {
	awk '$1 == "KernelStack:" { print $2 }' /proc/meminfo
}

# Waits up to $1 seconds for the server to have $2 threads.
wait_threads() {
	local deadline=$((SECONDS + $1))
	until [ "$(status_of "$SERVER_PID" Threads)" = "$2" ]; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.2
	done
}

[ "$(ulimit -n)" -gt $((IDLE + 100)) ] ||
	die "ulimit -n is $(ulimit -n); $IDLE idle clients need more"

echo "1. thread_costs"
./thread_costs -n 10000 | sed 's/^/  /' || die "thread_costs failed"
./thread_costs -n 10000 -s 64 | sed -n '/idle threads/,$p' | sed 's/^/  /'

echo
echo "2. rot13_thread with $IDLE idle clients"
server_start ./rot13_thread || die "rot13_thread did not start"
kst=$(kernel_stack_kb) drops=$(listen_overflows)
fifo=$TMPDIR/fifo
mkfifo "$fifo" || die "mkfifo"
# The idle clients stay connected while rot13_check waits for its stdin.
"$CHECK" -p "$SERVER_PORT" -i "$IDLE" -m stdin -t 300 <"$fifo" >/dev/null &
holder=$!
exec {w}>"$fifo"
t0=$SECONDS
wait_threads 120 $((IDLE + 1)) || die "the server did not reach $IDLE threads"
echo "  threads:      $(status_of "$SERVER_PID" Threads) (after $((SECONDS - t0)) s)"
echo "  SYNs dropped on full accept queues meanwhile: $(($(listen_overflows) - drops))"
echo "  VmSize:       $(status_of "$SERVER_PID" VmSize) kB"
echo "  VmRSS:        $(status_of "$SERVER_PID" VmRSS) kB"
echo "  KernelStack:  +$(($(kernel_stack_kb) - kst)) kB (system-wide)"
echo "  one more client, 100 lines, one at a time:"
"$CHECK" -p "$SERVER_PORT" -P -n 100 -t 60 | sed 's/^/    /'
echo hello >&"$w"
exec {w}>&-
wait "$holder"
wait_threads 120 1 || die "threads left behind"
server_stop || die "rot13_thread did not stop cleanly"
echo "  $(tail -n 1 "$SERVER_OUT")"

echo
echo "3. 500 clients x 100 request/response lines (50,000 round trips)"
for server in "./rot13_thread" "./rot13_pool -t 8" "./rot13_pool -t 64"; do
	# shellcheck disable=SC2086 # the server's options are meant to split
	server_start $server || die "$server did not start"
	echo "  $server: $("$CHECK" -p "$SERVER_PORT" -c 500 -P -n 100 -t 120)"
	server_stop || die "$server did not stop cleanly"
	echo "    $(tail -n 1 "$SERVER_OUT")"
done
