# serverctl.sh - start a chapter's server, find its port, stop it by PID.
#
# Sourced by every chapter's demo (`make run`) and by the bats tests, so both
# handle servers the same way: the server is started with `-p 0`, the kernel
# picks a free port, and the port is read from the server's first line,
# "listening on ADDR:PORT". Every wait has a deadline.
#
#   server_start PROG [ARGS...]  sets SERVER_PID, SERVER_PORT, SERVER_OUT
#   server_stop [SIGNAL]         signals the server (TERM by default), waits
#                                for it, sets SERVER_STATUS (returned too),
#                                and SERVER_LOG and SERVER_ERR (the last 20
#                                lines of its stdout and stderr)
#   server_cleanup               removes the files its output went to
#   proc_state PID               R, S, Z, ... from /proc (empty if gone)
#   children_of PID              the PIDs whose parent is PID
#
# Knobs: SERVER_WRAPPER (a command put in front, e.g. valgrind ...),
# SERVER_START_WAIT and SERVER_STOP_WAIT (seconds, default 20 each).

proc_state() {
	local stat
	read -r stat 2>/dev/null <"/proc/$1/stat" || return 0
	stat=${stat##*) } # the command name may hold spaces and parentheses
	echo "${stat%% *}"
}

children_of() {
	local f stat ppid
	for f in /proc/[0-9]*/stat; do
		read -r stat 2>/dev/null <"$f" || continue
		stat=${stat##*) }
		read -r _ ppid _ <<<"$stat"
		if [ "$ppid" = "$1" ]; then
			f=${f#/proc/}
			echo "${f%/stat}"
		fi
	done
}

server_start() {
	local prog=$1 deadline line
	shift
	# Under bats, in the test's own directory, which bats removes.
	SERVER_OUT=$(mktemp "${BATS_TEST_TMPDIR:-${TMPDIR:-/tmp}}/server.XXXXXX") ||
		return 1
	# shellcheck disable=SC2086 # the wrapper is meant to be split
	# 3>&-: bats reads its results from fd 3 and waits until every
	# process holding it has closed it; a server must not inherit it.
	${SERVER_WRAPPER:-} "$prog" -p 0 "$@" >"$SERVER_OUT" 2>"$SERVER_OUT.err" 3>&- &
	SERVER_PID=$!
	SERVER_PORT=
	deadline=$((SECONDS + ${SERVER_START_WAIT:-20}))
	while :; do
		# Only a whole line counts: a half-written one could hold half
		# of the port number.
		if read -r line <"$SERVER_OUT"; then
			case $line in
			"listening on "*:[0-9]*)
				SERVER_PORT=${line##*:}
				return 0
				;;
			esac
		fi
		if [ -z "$(proc_state "$SERVER_PID")" ] ||
			[ "$(proc_state "$SERVER_PID")" = Z ]; then
			echo "server_start: $prog exited before listening:" >&2
			cat "$SERVER_OUT.err" >&2
			wait "$SERVER_PID"
			return 1
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "server_start: no 'listening on' line from $prog" \
				"within ${SERVER_START_WAIT:-20} s" >&2
			kill -KILL "$SERVER_PID" 2>/dev/null
			wait "$SERVER_PID"
			return 1
		fi
		sleep 0.05
	done
}

server_stop() {
	local sig=${1:-TERM} deadline state
	SERVER_STATUS=
	[ -n "${SERVER_PID:-}" ] || return 0
	kill -"$sig" "$SERVER_PID" 2>/dev/null || true # it may be gone already
	deadline=$((SECONDS + ${SERVER_STOP_WAIT:-20}))
	while state=$(proc_state "$SERVER_PID") && [ -n "$state" ] &&
		[ "$state" != Z ]; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "server_stop: server $SERVER_PID still running" \
				"${SERVER_STOP_WAIT:-20} s after SIG$sig; killed" >&2
			kill -KILL "$SERVER_PID" 2>/dev/null
			break
		fi
		sleep 0.05
	done
	wait "$SERVER_PID"
	SERVER_STATUS=$?
	SERVER_LOG=$(tail -n 20 "$SERVER_OUT" 2>/dev/null)
	SERVER_ERR=$(tail -n 20 "$SERVER_OUT.err" 2>/dev/null)
	SERVER_PID=
	return "$SERVER_STATUS"
}

server_cleanup() {
	[ -n "${SERVER_OUT:-}" ] && rm -f "$SERVER_OUT" "$SERVER_OUT.err"
	SERVER_OUT=
}
