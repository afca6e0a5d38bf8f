# tests/helpers.bash - loaded by every bats file in the project.
#
# Servers are started with -p 0 and found through their "listening on" line
# (chapters/common/serverctl.sh); every wait below has a deadline; every
# failure says what was expected and what came.
#
#   start_server PROG [ARGS]   fails the test if PROG does not start
#   stop_server [SIGNAL]       fails the test unless PROG exits with status 0
#   check [ARGS]               runs rot13_check against the server (bats run)
#   expect_success, expect_status N, expect_output REGEX
#   wait_until SECONDS CMD...  polls CMD until it succeeds or time runs out
#                              (one quoted argument: evaluated each time)
#   fd_count PID, tree_rss_kb PID, zombies_of PID

: "${TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
CHECK=$TOP/chapters/common/rot13_check
# shellcheck source=../chapters/common/serverctl.sh
. "$TOP/chapters/common/serverctl.sh"

fail() {
	printf '%s\n' "$@" >&2
	return 1
}

start_server() {
	# Many-client tests need more descriptors than the usual 1024.
	ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
	server_start "$@" || fail "could not start $*"
}

stop_server() {
	[ -n "${SERVER_PID:-}" ] || return 0
	server_stop "${1:-TERM}"
	if [ "$SERVER_STATUS" -ne 0 ]; then
		fail "server did not stop cleanly on SIG${1:-TERM}:" \
			"expected exit status 0, got $SERVER_STATUS" \
			"its stderr:" "$SERVER_ERR"
	fi
}

check() {
	run "$CHECK" -p "$SERVER_PORT" "$@"
}

expect_status() {
	[ "$status" -eq "$1" ] && return 0
	fail "expected exit status $1, got $status" "output:" "$output"
}

expect_success() {
	expect_status 0
}

expect_output() {
	[[ $output =~ $1 ]] && return 0
	fail "expected output matching: $1" "got:" "$output"
}

# wait_until SECONDS CMD ARGS...   runs CMD until it succeeds
# wait_until SECONDS 'SHELL TEXT'   evaluates the text each time: use this
#                                   form when the test holds a $(...),
#                                   which would otherwise be expanded once
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until if [ $# -eq 1 ]; then eval "$1"; else "$@"; fi; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			fail "still not true after the deadline: $*"
			return 1
		fi
		sleep 0.1
	done
}

fd_count() {
	local fds=(/proc/"$1"/fd/*)
	echo "${#fds[@]}"
}

# Resident memory of PID and its children, in kB.
tree_rss_kb() {
	local total=0 pid kb
	for pid in "$1" $(children_of "$1"); do
		kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
		total=$((total + ${kb:-0}))
	done
	echo "$total"
}

# For wait_until: each counts again every time it is called.
fds_at_most() {
	[ "$(fd_count "$1")" -le "$2" ]
}

no_zombies() {
	[ "$(zombies_of "$1")" -eq 0 ]
}

zombies_of() {
	local pid n=0
	for pid in $(children_of "$1"); do
		[ "$(proc_state "$pid")" = Z ] && n=$((n + 1))
	done
	echo "$n"
}

# Prints what is wrong in a valgrind log: errors, leaks the error count
# includes, and descriptors the program itself opened and left open.
valgrind_problems() {
	grep -q "ERROR SUMMARY: 0 errors" "$1" ||
		grep -E "ERROR SUMMARY|definitely|indirectly|possibly|Invalid" "$1"
	awk '/Open (AF_[A-Z0-9]+ socket|file descriptor)/ { held = $0; next }
	     held != "" { if ($0 !~ /inherited from parent/) print held; held = "" }' "$1"
}

# For tests that run valgrind or shrink the address space (ulimit -v):
# neither works on a sanitizer build (`make sanitize`), whose own runtime
# does that checking. Such a test is reported as skipped there, not passed.
skip_under_sanitizer() {
	[ "${SANITIZE:-}" != 1 ] ||
		skip "valgrind and ulimit -v cannot run a sanitizer build"
}

# For tests that build a program against the real libevent 2.1 as well:
# without its development files they are skipped, and say what to install.
need_libevent() {
	pkg-config --exists libevent_core 2>/dev/null ||
		skip "libevent-dev is not installed (apt-get install libevent-dev pkg-config)"
}

# Skips unless this process may open n descriptors (servers and rot13_check
# raise their soft limit up to the hard one).
need_fds() {
	local hard
	hard=$(ulimit -Hn)
	[ "$hard" = unlimited ] || [ "$hard" -ge "$1" ] ||
		skip "needs $1 descriptors; the hard limit (ulimit -Hn) is $hard"
}

# The server's connected sockets: its socket descriptors less the listener.
client_sockets() {
	local n
	n=$(find "/proc/$SERVER_PID/fd" -lname 'socket:*' 2>/dev/null | wc -l)
	echo $((n - 1))
}

# For wait_until: the count is taken anew on every call.
has_clients() {
	[ "$(client_sockets)" -ge "$1" ]
}

# Holds n idle connections to the server open, in rot13_check processes
# recorded in HOLDERS (stop_holders ends them), 100 at a time, waiting for
# each hundred to reach the server: an idle client whose handshake was
# dropped under a burst (SYN cookies) would never appear there.
hold_idle() {
	local want=$1 have=0 n
	while [ "$have" -lt "$want" ]; do
		n=$((want - have < 100 ? want - have : 100))
		"$CHECK" -p "$SERVER_PORT" -i $((n - 1)) -N -n 1 -t 200 \
			>/dev/null 2>&1 3>&- &
		HOLDERS+=($!)
		have=$((have + n))
		wait_until 60 has_clients "$have" ||
			fail "expected $have clients connected, the server" \
				"has $(client_sockets)"
	done
}

# Ends the processes a test recorded in HOLDERS, by PID.
stop_holders() {
	local pid
	for pid in "${HOLDERS[@]}"; do
		kill "$pid" 2>/dev/null
		# Killed by the signal it was sent: that is no failure.
		wait "$pid" 2>/dev/null || true
	done
	HOLDERS=()
}

# CPU time (user + system) PID has used so far, in clock ticks.
cpu_ticks() {
	local stat
	read -r stat <"/proc/$1/stat"
	stat=${stat##*) }
	set -- $stat
	echo $((${12} + ${13}))
}

# Sockets process $1 has open; counted anew on every call (for wait_until).
sockets_of() {
	find "/proc/$1/fd" -lname 'socket:*' 2>/dev/null | wc -l
}

sockets_of_at_most() {
	[ "$(sockets_of "$1")" -le "$2" ]
}

# late_read PID PORT LINES: chapter 14's late_reader sends LINES lines to
# the server PID listening on PORT, half-closes, and is told to read only
# once the server has closed the connection (its socket count is back
# where it was); if its sending stalls (backpressure), it reads at once.
# Sets status and output, as `run` does; CLIENT is its PID while it runs.
late_read() {
	local pid=$1 port=$2 lines=$3 base
	local fifo=$BATS_TEST_TMPDIR/go log=$BATS_TEST_TMPDIR/late
	base=$(sockets_of "$pid")
	rm -f "$fifo"
	mkfifo "$fifo"
	"$TOP/chapters/14-bufferevent/late_reader" -p "$port" -n "$lines" \
		<"$fifo" >"$log" 2>&1 3>&- &
	CLIENT=$!
	exec 8>"$fifo"
	wait_until 60 grep -q -e half-closed -e stalled "$log"
	if grep -q half-closed "$log"; then
		wait_until 60 sockets_of_at_most "$pid" "$base"
	fi
	exec 8>&-
	status=0
	wait "$CLIENT" || status=$?
	CLIENT=
	output=$(cat "$log")
}
