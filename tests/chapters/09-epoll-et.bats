#!/usr/bin/env bats
# Chapter 09: edge-triggered epoll beyond the protocol suite. One read per
# edge stalls a client that sends 64 KiB at once, reading until EAGAIN does
# not; a flooding client does not stop another's round trips; the
# EPOLLONESHOT and thundering-herd demos say what the lesson says (counts,
# never timings); `make compare` prints every row; the demo works.

load ../helpers

CH=$TOP/chapters/09-epoll-et

setup() {
	FLOODER=
}

teardown() {
	[ -z "$FLOODER" ] || kill "$FLOODER" 2>/dev/null
	[ -z "$FLOODER" ] || wait "$FLOODER"
	stop_server
}

@test "rot13_epoll_et_broken: one read per edge stalls a 64 KiB send" {
	start_server "$CH/rot13_epoll_et_broken"
	check -m long -n 65536 -t 5
	expect_status 2
	expect_output "timed out"
}

@test "rot13_epoll_et: reading until EAGAIN answers the same 64 KiB send" {
	start_server "$CH/rot13_epoll_et"
	check -m long -n 65536 -t 60
	expect_success
	expect_output "65537 bytes sent, 65541 bytes answered"
}

@test "rot13_epoll_et: many pipelined lines sent at once are all answered" {
	start_server "$CH/rot13_epoll_et"
	check -n 20000 -t 60
	expect_success
}

# The flooder is connected, or already done (on a fast, idle machine the
# 30 MB may take less time than one look).
flood_started() {
	[ "$(client_sockets)" -ge 1 ] || ! kill -0 "$FLOODER" 2>/dev/null
}

@test "rot13_epoll_et: a flooding client does not stop another's round trips" {
	start_server "$CH/rot13_epoll_et"
	"$CHECK" -p "$SERVER_PORT" -m long -n 30000000 -t 120 -q \
		>/dev/null 2>&1 3>&- &
	FLOODER=$!
	wait_until 60 flood_started
	check -P -n 300 -t 60
	expect_success
	wait "$FLOODER" || fail "the flooding client did not get every answer"
	FLOODER=
}

@test "rot13_epoll_et: each client costs two epoll_ctl calls, ADD and DEL" {
	start_server "$CH/rot13_epoll_et"
	check -c 50 -P -n 20
	expect_success
	stop_server
	# 2 for the listener and the stop pipe, 2 per client: never a MOD.
	[[ $SERVER_LOG =~ ([0-9]+)\ epoll_ctl\ calls ]] &&
		[ "${BASH_REMATCH[1]}" -eq 102 ] ||
		fail "expected 102 epoll_ctl calls for 50 clients, got:" \
			"$SERVER_LOG"
}

@test "oneshot_demo: level, edge and one-shot report what the lesson says" {
	run "$CH/oneshot_demo"
	expect_success
	expect_output "level \(default\) +1 +1 +1 +1 +0"
	expect_output "edge \(EPOLLET\) +1 +0 +1 +1 +0"
	expect_output "EPOLLONESHOT +1 +0 +0 +1 +0"
	expect_output "EPOLLET\|EPOLLONESHOT +1 +0 +0 +1 +0"
	# Two threads: one-shot never lets both handle the descriptor.
	expect_output "EPOLLET\|EPOLLONESHOT +3 rounds: handled by two threads at once 0 time"
	expect_output "EPOLLET +3 rounds: handled by two threads at once [1-3] time"
}

# The wake-ups herd printed for $@ (a number).
herd_wakeups() {
	run "$CH/herd" "$@"
	expect_success || return 1
	[[ $output =~ :\ ([0-9]+)\ wake-ups\ for ]] ||
		fail "no wake-up count in: $output"
	echo "${BASH_REMATCH[1]}"
}

@test "herd: a shared listener wakes every worker; EPOLLEXCLUSIVE fewer" {
	local plain exclusive reuseport
	plain=$(herd_wakeups -w 4 -n 10)
	exclusive=$(herd_wakeups -w 4 -n 10 -x)
	reuseport=$(herd_wakeups -w 4 -n 10 -r)
	# Exact counts depend on scheduling (a worker still on its way back
	# to epoll_wait() misses a wake-up), so compare the three instead:
	# the herd wakes several workers per connection, the cures fewer.
	[ "$plain" -ge 20 ] ||
		fail "expected the herd to wake at least 2 of 4 workers per" \
			"connection (>= 20 for 10), got $plain"
	[ "$exclusive" -lt "$plain" ] ||
		fail "expected EPOLLEXCLUSIVE ($exclusive) below plain ($plain)"
	[ "$reuseport" -lt "$plain" ] && [ "$reuseport" -ge 1 ] ||
		fail "expected SO_REUSEPORT ($reuseport) below plain ($plain)"
}

@test "make compare prints a row per server and a column per K, in each table" {
	command -v strace >/dev/null || skip "strace not installed"
	run env QUICK=1 KS="10 20" ROUNDS=50 TRACED=50 \
		make -s -C "$CH" compare
	expect_success
	local s servers=(rot13_select rot13_poll rot13_epoll_et)
	[ ! -f "$TOP/chapters/08-epoll-lt/rot13_epoll_lt.c" ] ||
		servers+=(rot13_epoll_lt)
	# Three tables: round trips, system calls, time per wait call.
	for s in "${servers[@]}"; do
		[ "$(grep -cE "^$s +[0-9.]+ +[0-9.]+$" <<<"$output")" -eq 3 ] ||
			fail "expected three full rows for $s, got:" "$output"
	done
}

@test "compare.sh says n/a for select past FD_SETSIZE, and measures the rest" {
	[ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge 2400 ] ||
		skip "needs 2400 descriptors"
	run env QUICK=1 KS="1100" ROUNDS=20 TRACED=0 make -s -C "$CH" compare
	expect_success
	expect_output "rot13_select +n/a \(FD_SETSIZE\)"
	expect_output "rot13_poll +[0-9]+"
	expect_output "rot13_epoll_et +[0-9]+"
}

@test "rot13_epoll_et: make run exits 0" {
	run make -s -C "$CH" run
	expect_success
	expect_output "exit status 2: the rest"
	expect_output "65537 bytes sent, 65541 bytes answered"
}
