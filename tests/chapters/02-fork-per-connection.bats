#!/usr/bin/env bats
# Chapter 02: rot13_fork beyond the protocol suite (tests/protocol runs that
# one): children are reaped, the parent's descriptors come back to where
# they started, a stop leaves no process behind; and the chapter's other
# programs (forkcost, connrate, make run) work.

load ../helpers

DIR=$TOP/chapters/02-fork-per-connection

setup() {
	FORK=$DIR/rot13_fork
}

teardown() {
	stop_server
}

children_count() {
	children_of "$SERVER_PID" | wc -l
}

# For wait_until, which runs its command again on each try: a "$(...)" in
# its arguments would be expanded once, before the first try.
children_are() {
	[ "$(children_count)" "$1" "$2" ]
}

server_exited() {
	local state
	state=$(proc_state "$SERVER_PID")
	[ -z "$state" ] || [ "$state" = Z ]
}

fds_are() {
	[ "$(fd_count "$SERVER_PID")" -eq "$1" ]
}

@test "rot13_fork: 300 connections in bursts leave no zombie and no child" {
	local i
	start_server "$FORK"
	for i in 1 2 3; do
		check -c 100 -n 3 -t 120
		expect_success
	done
	wait_until 30 children_are -eq 0 ||
		fail "children left 30 s after the last client:" \
			"$(children_of "$SERVER_PID" | while read -r p; do
				echo "$p $(proc_state "$p")"; done)"
	[ "$(zombies_of "$SERVER_PID")" -eq 0 ]
}

@test "rot13_fork: the parent's descriptor count returns to its start" {
	local before
	start_server "$FORK"
	before=$(fd_count "$SERVER_PID")
	check -c 50 -P -n 2 -t 120
	expect_success
	check -m tail -n 3 -t 60
	expect_success
	check -A -m long -n 20000 -t 60
	expect_success
	# The parent closes its copy at once, so this holds even before the
	# children are gone; poll anyway, the machine may be busy.
	wait_until 30 fds_are "$before" ||
		fail "parent descriptors: expected $before," \
			"got $(fd_count "$SERVER_PID")"
}

@test "rot13_fork: one child per open connection, gone when it closes" {
	start_server "$FORK"
	exec 5<>"/dev/tcp/127.0.0.1/$SERVER_PORT"
	exec 6<>"/dev/tcp/127.0.0.1/$SERVER_PORT"
	wait_until 30 children_are -eq 2
	exec 5>&- 6>&-
	wait_until 30 children_are -eq 0
}

@test "rot13_fork: SIGTERM with clients connected leaves no child behind" {
	local kids log=$BATS_TEST_TMPDIR/idle pid
	start_server "$FORK"
	# Three connections held open, one of them mid-line, by a client that
	# waits for the server's close.
	"$CHECK" -p "$SERVER_PORT" -i 3 -P -n 1000000 -t 120 \
		>"$log" 2>&1 3>&- &
	pid=$!
	exec 5<>"/dev/tcp/127.0.0.1/$SERVER_PORT"
	printf 'half a line' >&5
	wait_until 60 children_are -ge 5
	kids=$(children_of "$SERVER_PID")
	stop_server TERM
	exec 5>&-
	kill "$pid" 2>/dev/null || true
	wait "$pid" || true
	local k
	for k in $kids; do
		[ -z "$(proc_state "$k")" ] ||
			fail "child $k still there after the parent stopped:" \
				"state $(proc_state "$k")"
	done
}

@test "rot13_fork: SIGINT to the whole process group stops every process" {
	local kids k st
	# setsid: a group of its own, as a terminal's Ctrl-C would see it.
	SERVER_WRAPPER=setsid start_server "$FORK"
	exec 5<>"/dev/tcp/127.0.0.1/$SERVER_PORT"
	wait_until 30 children_are -eq 1
	kids=$(children_of "$SERVER_PID")
	kill -INT -- "-$SERVER_PID"
	# Not stop_server: its kill would fail on a server already gone.
	wait_until 30 server_exited
	st=0
	wait "$SERVER_PID" || st=$?
	SERVER_PID=
	exec 5>&-
	[ "$st" -eq 0 ] || fail "expected exit status 0 after SIGINT, got $st"
	for k in $kids; do
		[ -z "$(proc_state "$k")" ] || fail "child $k survived"
	done
}

@test "forkcost: prints a sane cost for each way to start work" {
	local name us call= fork=
	run "$DIR/forkcost" -n 50
	expect_success
	expect_output "forkcost: 50 rounds each, parent using 0 MiB"
	for name in "function call" "pthread_create\+join" \
		"fork\+_exit\+waitpid"; do
		expect_output "  $name +[0-9]+\.[0-9]{3} us per round"
		us=$(echo "$output" | sed -En "s/^  $name +([0-9.]+) us.*/\1/p")
		# A round takes some time, but not a whole second.
		awk -v us="$us" 'BEGIN { exit !(us >= 0 && us < 1000000) }' ||
			fail "$name: $us us per round is not sane"
		case $name in function*) call=$us ;; fork*) fork=$us ;; esac
	done
	# A fork costs more than a plain call: that is the chapter's point.
	awk -v c="$call" -v f="$fork" 'BEGIN { exit !(f > c) }' ||
		fail "fork ($fork us) not dearer than a call ($call us)"
}

@test "forkcost: rejects bad arguments" {
	run "$DIR/forkcost" -n 0
	expect_status 2
	run "$DIR/forkcost" -m lots
	expect_status 2
}

@test "connrate: counts correct round trips, fails on a wrong server" {
	start_server "$FORK"
	run "$DIR/connrate" -p "$SERVER_PORT" -n 20
	expect_success
	expect_output "^20 connections in [0-9.]+ s: [0-9]+ connections per second$"
	stop_server
	# Nobody listens there any more: the first connect is refused.
	run "$DIR/connrate" -p "$SERVER_PORT" -n 1
	expect_status 1
	expect_output "connection 1: Connection refused"
}

@test "chapter 02: make run exits 0" {
	run make -s -C "$DIR" run
	expect_success
	expect_output "0 children, so no zombie"
	expect_output "rot13_fork exited with status 0"
}
