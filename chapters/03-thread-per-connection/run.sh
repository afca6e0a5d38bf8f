#!/usr/bin/env bash
# run.sh - `make run` for chapter 03: threads, shown in a few seconds.
#
#  1. rot13_thread: idle clients each hold a thread of their own, and
#     another client is answered meanwhile.
#  2. rot13_pool -t 2: two idle clients hold both workers; a third client
#     is accepted but waits, and is answered once an idle client leaves.
#  3. Numbers: context switches of both servers for the same 50 clients,
#     and what creating a thread and keeping 1000 of them costs.
#
# Idle clients are bash /dev/tcp connections held open by this script.
# (no set -u: serverctl.sh reads knobs that may be unset)
cd "$(dirname "$0")" || exit 1
. ../common/serverctl.sh
CHECK=../common/rot13_check
IDLE=()
# Server output files of our own, removed at exit.
TMPDIR=$(mktemp -d) || exit 1
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT

die() {
	echo "run.sh: $*" >&2
	[ -z "${SERVER_PID:-}" ] || server_stop
	exit 1
}

threads_of() {
	awk '/^Threads:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}

# Polls the command "$@" for up to 20 s. Its arguments are expanded once,
# so what changes must be read inside it: see threads_are, fds_above.
wait_for() {
	local deadline=$((SECONDS + 20))
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

fd_count() {
	local fds=(/proc/"$1"/fd/*)
	echo "${#fds[@]}"
}

threads_are() {
	[ "$(threads_of "$SERVER_PID")" = "$1" ]
}

fds_above() {
	[ "$(fd_count "$SERVER_PID")" -gt "$1" ]
}

open_idle() {
	local i fd
	for ((i = 0; i < $1; i++)); do
		exec {fd}<>"/dev/tcp/127.0.0.1/$SERVER_PORT" ||
			die "cannot connect"
		IDLE+=("$fd")
	done
}

close_one_idle() {
	local fd=${IDLE[0]}
	exec {fd}>&-
	IDLE=("${IDLE[@]:1}")
}

close_idle() {
	while [ ${#IDLE[@]} -gt 0 ]; do close_one_idle; done
}

# Prints the server's own report (its last line) after stopping it.
stop_and_report() {
	server_stop || die "the server did not stop cleanly"
	echo "  $(tail -n 1 "$SERVER_OUT")"
}

echo "1. rot13_thread: a thread per client"
server_start ./rot13_thread || die "rot13_thread did not start"
echo "  threads with no client:      $(threads_of "$SERVER_PID")"
open_idle 3
wait_for threads_are 4 || die "no thread per client"
echo "  threads with 3 idle clients: $(threads_of "$SERVER_PID")"
echo "  a fourth client, answered while the idle ones wait:"
"$CHECK" -p "$SERVER_PORT" -P -n 2 -t 20 -v | sed 's/^/    /'
close_idle
wait_for threads_are 1 || die "threads left"
echo "  threads once they left:      $(threads_of "$SERVER_PID")"
stop_and_report

echo
echo "2. rot13_pool -t 2: two workers, two idle clients"
server_start ./rot13_pool -t 2 || die "rot13_pool did not start"
echo "  threads: $(threads_of "$SERVER_PID") (main and 2 workers, whatever the clients)"
open_idle 2
echo "  a third client (gives up after 2 s):"
"$CHECK" -p "$SERVER_PORT" -P -t 2 2>&1 | sed 's/^/    /'
echo "    exit status ${PIPESTATUS[0]}: accepted, queued, never answered"
fds=$(fd_count "$SERVER_PID")
# The waiting client must not inherit the idle connections, or closing
# one here would not close it.
(
	for fd in "${IDLE[@]}"; do exec {fd}>&-; done
	exec "$CHECK" -p "$SERVER_PORT" -P -t 20
) >"$SERVER_OUT.wait" 2>&1 &
waiter=$!
# Once the server holds one more descriptor, the client is in the queue.
wait_for fds_above "$fds" || die "not accepted"
close_one_idle
echo "  one idle client leaves; the waiting client:"
wait "$waiter" || die "the waiting client was not answered"
sed 's/^/    /' "$SERVER_OUT.wait"
close_idle
stop_and_report

echo
echo "3. Numbers (they vary from run to run and machine to machine)"
echo "  50 clients at once, 20 request/response lines each:"
for server in "./rot13_thread" "./rot13_pool -t 8"; do
	# shellcheck disable=SC2086 # the server's options are meant to split
	server_start $server || die "$server did not start"
	"$CHECK" -p "$SERVER_PORT" -c 50 -P -n 20 -t 20 >/dev/null ||
		die "the clients of $server failed"
	stop_and_report
done
echo
./thread_costs -n 1000 | sed 's/^/  /'
