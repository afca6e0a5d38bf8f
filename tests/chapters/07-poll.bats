#!/usr/bin/env bats
# Chapter 07: rot13_poll beyond the protocol suite. poll() has no
# FD_SETSIZE: more than 1024 clients at once are served; clients removed
# from the middle of the pollfd array leave the others alone; running out
# of descriptors pauses accepting instead of spinning; the demo works.

load ../helpers

POLL=$TOP/chapters/07-poll/rot13_poll

setup() {
	HOLDERS=()
}

teardown() {
	stop_holders
	stop_server
}

# The "at most N at once" the server prints when it stops.
peak_clients() {
	sed -n 's/.*at most \([0-9]*\) at once.*/\1/p' "$SERVER_OUT"
}

@test "rot13_poll: 1500 clients connecting at once are all served" {
	need_fds 1600
	start_server "$POLL"
	check -c 1500 -P -n 3 -t 200
	expect_success
	expect_output "ok: 1500 connections"
}

@test "rot13_poll: with 1100 clients connected, past FD_SETSIZE, more are served" {
	need_fds 1300
	start_server "$POLL"
	hold_idle 1100
	check -c 50 -P -n 3 -t 120
	expect_success
	stop_server
	[ "$(peak_clients)" -gt 1100 ] ||
		fail "expected the server to report more than 1100 clients" \
			"at once, it says: $(tail -n 1 "$SERVER_OUT")"
}

@test "rot13_poll: clients reset in the middle of a scan; the others are served" {
	local before aborter round
	start_server "$POLL"
	before=$(fd_count "$SERVER_PID")
	# 60 + 60 clients: fewer than the listen backlog (128), so that what
	# is tested is the server's array, not the kernel's SYN-cookie path.
	for round in 1 2 3 4 5; do
		"$CHECK" -p "$SERVER_PORT" -c 60 -A -m long -n 20000 -t 120 \
			>/dev/null 2>&1 3>&- &
		aborter=$!
		check -c 60 -P -n 10 -t 120
		expect_success
		expect_output "ok: 60 connections"
		wait "$aborter" || fail "the resetting clients failed (round $round)"
	done
	# Every removed slot closed its descriptor.
	wait_until 30 fds_at_most "$SERVER_PID" "$before" ||
		fail "descriptors before: $before, after: $(fd_count "$SERVER_PID")"
	check -P -n 3
	expect_success
}

@test "rot13_poll: out of descriptors, it pauses accepting and resumes" {
	command -v prlimit >/dev/null || skip "prlimit (util-linux) not installed"
	# 40 descriptors: the server has room for about 30 clients.
	SERVER_WRAPPER="prlimit --nofile=40:40" start_server "$POLL"
	"$CHECK" -p "$SERVER_PORT" -i 59 -N -n 1 -t 200 >/dev/null 2>&1 3>&- &
	HOLDERS+=($!)
	wait_until 60 grep -q "pausing" "$SERVER_OUT.err" ||
		fail "expected 'accept: ...; pausing' on the server's stderr," \
			"got: $(cat "$SERVER_OUT.err")"
	kill "${HOLDERS[0]}"
	wait "${HOLDERS[0]}" || true
	HOLDERS=()
	# Once the held clients have gone, a new one is served.
	check -P -n 3 -t 60
	expect_success
}

@test "rot13_poll: make run exits 0" {
	run make -s -C "$TOP/chapters/07-poll" run
	expect_success
	expect_output "past FD_SETSIZE"
	expect_output "exit status 0"
}
