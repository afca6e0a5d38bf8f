#!/usr/bin/env bash
# demo.sh - `make run` for chapter 15: rot13_listener answering, what each
# LEV_OPT_* flag does, two servers sharing one port, and a server out of
# descriptors on minievent and on libevent 2.1. Every wait has a deadline.
set -u
cd "$(dirname "$0")" || exit 1
. ../common/serverctl.sh
CHECK=../common/rot13_check
HARD=$(ulimit -Hn)
NOFILE=32 # the descriptor limit of part 4's server
ulimit -Sn "$HARD" 2>/dev/null
HOLDER= WAITER= TMP=$(mktemp -d) || exit 1
cleanup() {
	local pid
	for pid in $HOLDER $WAITER; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	server_stop KILL >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT

step() {
	printf '\n%s\n' "$*"
}

# wait_for SECONDS CMD...: runs CMD until it succeeds or time is up.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "demo: still not true after the deadline: $*" >&2
			return 1
		fi
		sleep 0.05
	done
}

# has_line FILE PATTERN: FILE has a line matching PATTERN.
has_line() {
	grep -q -e "$2" "$1" 2>/dev/null
}

# reports_since_error FILE N: N report lines came after the first error.
reports_since_error() {
	[ "$(awk '/error callback 1\)/ { on = 1; next }
	          on && / s: / { n++ } END { print n + 0 }' "$1")" -ge "$2" ]
}

step "1. rot13_listener: evconnlistener_new_bind() and a bufferevent per client."
server_start ./rot13_listener || exit 1
echo "   \$ ss -ltn 'sport = :$SERVER_PORT'   (a listener's Send-Q is its backlog)"
ss -ltn "sport = :$SERVER_PORT" 2>&1 | sed 's/^/     /'
"$CHECK" -p "$SERVER_PORT" -P -n 2 -v 2>&1 | sed 's/^/   client: /'
[ "${PIPESTATUS[0]}" -eq 0 ] || exit 1
"$CHECK" -p "$SERVER_PORT" -c 500 -P -n 3 -t 60 | sed 's/^/   client: /'
[ "${PIPESTATUS[0]}" -eq 0 ] || exit 1
server_stop >/dev/null || exit 1
echo "   at exit: $(tail -n 1 <<<"$SERVER_LOG")"

step "2. Each LEV_OPT_* flag, with and without (./listener_flags):"
./listener_flags >"$TMP/flags" || exit 1
sed 's/^/   /' "$TMP/flags"
if [ -x .build/listener_flags-libevent ]; then
	.build/listener_flags-libevent >"$TMP/flags-libevent" || exit 1
	if cmp -s "$TMP/flags" "$TMP/flags-libevent"; then
		echo "   The same source on libevent 2.1 prints the same lines."
	else
		echo "   On libevent 2.1 the lines differ:"
		diff "$TMP/flags" "$TMP/flags-libevent" | sed 's/^/   /'
		exit 1
	fi
fi

step "3. Two processes, one port: rot13_listener -r (LEV_OPT_REUSEABLE_PORT)."
server_start ./rot13_listener -r || exit 1
FIRST_PID=$SERVER_PID FIRST_OUT=$SERVER_OUT PORT=$SERVER_PORT
echo "   \$ ./rot13_listener -p $PORT        (a second server, without -r)"
./rot13_listener -p "$PORT" 2>&1 | sed 's/^/     /'
echo "   \$ ./rot13_listener -p $PORT -r     (with -r)"
server_start ./rot13_listener -r -p "$PORT" || exit 1
sed -n 1p "$SERVER_OUT" | sed 's/^/     /'
"$CHECK" -p "$PORT" -c 200 -n 2 -t 60 | sed 's/^/   client: /'
[ "${PIPESTATUS[0]}" -eq 0 ] || exit 1
server_stop >/dev/null || exit 1
echo "   second server at exit: $(tail -n 1 <<<"$SERVER_LOG")"
server_cleanup
SERVER_PID=$FIRST_PID SERVER_OUT=$FIRST_OUT
server_stop >/dev/null || exit 1
echo "   first server at exit:  $(tail -n 1 <<<"$SERVER_LOG")"
server_cleanup

# emfile PROG: starts PROG with at most NOFILE descriptors, fills them with
# idle clients, starts one more client that must wait, lets the server
# report twice while it is out of descriptors, then lets the idle clients
# go and shows the waiting one served.
emfile() {
	ulimit -Sn "$NOFILE"
	server_start "$1" || return 1
	ulimit -Sn "$HARD"
	echo "   \$ grep 'open files' /proc/\$PID/limits"
	grep 'open files' "/proc/$SERVER_PID/limits" | sed 's/^/     /'
	"$CHECK" -p "$SERVER_PORT" -i 40 -N -n 1 -t 60 >/dev/null 2>&1 &
	HOLDER=$!
	wait_for 30 has_line "$SERVER_OUT" "error callback 1)" || return 1
	"$CHECK" -p "$SERVER_PORT" -P -n 3 -t 60 >"$TMP/waiter" 2>&1 &
	WAITER=$!
	# Two whole half-seconds out of descriptors after the partial one.
	wait_for 30 reports_since_error "$SERVER_OUT" 3 || return 1
	echo "   descriptors open: $(find "/proc/$SERVER_PID/fd" -mindepth 1 |
		wc -l); 41 clients, of which 40 idle; the idle ones now leave."
	kill "$HOLDER"
	wait "$HOLDER" 2>/dev/null
	HOLDER=
	wait "$WAITER" || return 1
	WAITER=
	wait_for 30 has_line "$SERVER_OUT" "accepting again" || return 1
	server_stop >/dev/null || return 1
	sed -n '2,$p' "$SERVER_OUT" | sed 's/^/   /'
	sed 's/^/   the waiting client: /' "$TMP/waiter"
	server_cleanup
}

step "4. Out of descriptors (ulimit -Sn $NOFILE), on minievent (./emfile_server):"
emfile ./emfile_server || exit 1
if [ -x .build/emfile_server-libevent ]; then
	step "   The same source on libevent 2.1 (.build/emfile_server-libevent):"
	emfile .build/emfile_server-libevent || exit 1
else
	echo "   (libevent's side skipped: libevent-dev is not installed)"
fi
