#!/usr/bin/env bats
# Chapter 03: rot13_thread and rot13_pool beyond the protocol suite: the
# pool's limit, threads that come and go, a clean stop while clients are
# still connected (under valgrind too), pthread_create failing, make run.

load ../helpers

CH=$TOP/chapters/03-thread-per-connection
IDLE_FDS=()

teardown() {
	close_idle
	[ -z "${FLOOD_PID:-}" ] || { kill "$FLOOD_PID"; wait "$FLOOD_PID"; } || true
	stop_server
}

# Opens $1 idle connections to the server, held by this shell.
open_idle() {
	local i fd
	for ((i = 0; i < $1; i++)); do
		exec {fd}<>"/dev/tcp/127.0.0.1/$SERVER_PORT" ||
			fail "cannot connect to port $SERVER_PORT"
		IDLE_FDS+=("$fd")
	done
}

close_one_idle() {
	local fd=${IDLE_FDS[0]}
	exec {fd}>&-
	IDLE_FDS=("${IDLE_FDS[@]:1}")
}

close_idle() {
	while [ ${#IDLE_FDS[@]} -gt 0 ]; do close_one_idle; done
}

# Runs "$@" in the background without the idle connections (a copy held by
# a child would keep a connection open after close_one_idle).
spawn() {
	(
		for fd in "${IDLE_FDS[@]}"; do exec {fd}>&-; done
		exec "$@"
	) 3>&- &
}

threads() {
	awk '/^Threads:/ { print $2 }' "/proc/$SERVER_PID/status"
}

threads_are() {
	[ "$(threads)" -eq "$1" ]
}

fds_at_least() {
	[ "$(fd_count "$SERVER_PID")" -ge "$1" ]
}

# A client that sends and never reads, until the server's send() blocks.
start_flood() {
	local log=$BATS_TEST_TMPDIR/flood
	spawn "$CHECK" -p "$SERVER_PORT" -N -m long -n 64000000 -t 120 \
		>"$log" 2>&1
	FLOOD_PID=$!
	wait_until 120 grep -q -e stalled -e "sent all" "$log"
	grep -q stalled "$log" || fail "the flood did not stall:" "$(cat "$log")"
}

@test "rot13_pool: N idle clients hold all N workers; client N+1 waits" {
	local fds log=$BATS_TEST_TMPDIR/waiter
	start_server "$CH/rot13_pool" -t 2
	fds=$(fd_count "$SERVER_PID")
	open_idle 2
	wait_until 30 fds_at_least $((fds + 2))
	# The third client is accepted and queued, never answered...
	check -P -t 3
	expect_status 2
	expect_output "timed out"
	# ...until one of the idle clients leaves.
	fds=$(fd_count "$SERVER_PID")
	spawn "$CHECK" -p "$SERVER_PORT" -P -t 60 >"$log" 2>&1
	local waiter=$!
	wait_until 30 fds_at_least $((fds + 1))
	close_one_idle
	wait "$waiter" || fail "the queued client failed once a worker was" \
		"free:" "$(cat "$log")"
}

@test "rot13_pool: the number of threads stays 1 + N" {
	start_server "$CH/rot13_pool" -t 4
	wait_until 30 threads_are 5
	check -c 100 -P -n 3 -t 60
	expect_success
	threads_are 5 || fail "expected 5 threads, got $(threads)"
}

@test "rot13_pool: -t 0 is refused" {
	run "$CH/rot13_pool" -p 0 -t 0
	expect_status 2
	expect_output "usage"
}

@test "rot13_thread: one thread per client, back to one when they leave" {
	local i
	start_server "$CH/rot13_thread"
	threads_are 1 || fail "expected 1 thread at start, got $(threads)"
	open_idle 20
	wait_until 30 threads_are 21
	for i in 1 2 3 4; do
		check -c 50 -P -n 3 -t 60
		expect_success
	done
	close_idle
	wait_until 30 threads_are 1
}

@test "rot13_thread: a failed pthread_create drops that client only" {
	skip_under_sanitizer
	local wrap=$BATS_TEST_TMPDIR/limit.sh
	# 150 MB of address space: room for about ten 8 MiB thread stacks.
	printf '#!/bin/sh\nulimit -v 150000 || exit 1\nexec "$@"\n' >"$wrap"
	chmod +x "$wrap"
	SERVER_WRAPPER=$wrap start_server "$CH/rot13_thread"
	open_idle 30
	wait_until 30 grep -q pthread_create "$SERVER_OUT.err"
	close_idle
	wait_until 30 threads_are 1
	check -P -n 3 -t 30
	expect_success
}

# Starts "$@" with an idle client, a never-reader that blocks a server
# thread in send(), and 70 more idle clients (for a pool of 2, they fill its
# queue of 64 and the acceptor waits for room); then stops it.
stop_with_clients() {
	start_server "$@"
	open_idle 1
	start_flood
	open_idle 70
	stop_server
	grep -q "context switches" "$SERVER_OUT" ||
		fail "no report at exit:" "$(cat "$SERVER_OUT")"
}

@test "rot13_thread: stops cleanly with clients still connected" {
	stop_with_clients "$CH/rot13_thread"
}

@test "rot13_pool: stops cleanly with busy workers and a full queue" {
	stop_with_clients "$CH/rot13_pool" -t 2
}

valgrind_stop_with_clients() {
	local log bad=
	SERVER_WRAPPER="valgrind --error-exitcode=99 --leak-check=full
		--show-leak-kinds=definite,indirect,possible
		--errors-for-leak-kinds=definite,indirect,possible
		--track-fds=yes --log-file=$BATS_TEST_TMPDIR/vg.%p.log"
	SERVER_START_WAIT=120 SERVER_STOP_WAIT=120 stop_with_clients "$@"
	for log in "$BATS_TEST_TMPDIR"/vg.*.log; do
		bad=$bad$(valgrind_problems "$log")
	done
	[ -z "$bad" ] || fail "valgrind found problems:" "$bad"
}

@test "rot13_thread under valgrind: clean stop with clients connected" {
	skip_under_sanitizer
	valgrind_stop_with_clients "$CH/rot13_thread"
}

@test "rot13_pool under valgrind: clean stop with clients connected" {
	skip_under_sanitizer
	valgrind_stop_with_clients "$CH/rot13_pool" -t 2
}

@test "chapter 03: make run exits 0" {
	run make -s -C "$CH" run
	expect_success
	expect_output "exit status 2: accepted, queued, never answered"
	expect_output "1000 idle threads"
}
