#!/usr/bin/env bats
# Chapter 08: level-triggered epoll. The demos' claims, checked from their
# output; rot13_epoll_lt serves more than 1024 clients at once and does not
# spin while its clients are idle or stalled; the demo works.

load ../helpers

CH=$TOP/chapters/08-epoll-lt
EPOLL=$CH/rot13_epoll_lt

setup() {
	HOLDERS=()
}

teardown() {
	stop_holders
	stop_server
}

@test "lt_demo: a readable socket is reported until drained, one byte per wake-up" {
	run "$CH/lt_demo"
	expect_success
	expect_output "#1: EPOLLIN, read 'a'.*#2: EPOLLIN, read 'b'.*#3: EPOLLIN, read 'c'.*#4: nothing ready \(drained\)"
}

@test "lt_demo: EPOLLOUT with nothing to send wakes epoll_wait at once, every time" {
	local spins
	run "$CH/lt_demo"
	expect_success
	spins=$(sed -n 's/^2\. EPOLLIN|EPOLLOUT, nothing to send: \([0-9]*\) wake-ups.*/\1/p' <<<"$output")
	[ -n "$spins" ] && [ "$spins" -gt 100 ] ||
		fail "expected more than 100 wake-ups with EPOLLOUT armed," \
			"got '${spins}'" "$output"
	expect_output "EPOLLIN only, nothing arrives: 0 wake-ups"
}

@test "lt_demo: maxevents = 1 takes the ready sockets in turn" {
	run "$CH/lt_demo"
	expect_success
	expect_output "maxevents = 1, 6 calls: A B C A B C"
}

@test "lt_demo: epoll_create(0) fails, epoll_create(1) works, DEL takes NULL" {
	run "$CH/lt_demo"
	expect_success
	expect_output "epoll_create\(0\): Invalid argument"
	expect_output "epoll_create\(1\): ok"
	expect_output "EPOLL_CTL_DEL, fd, NULL\): ok"
}

@test "close_pitfall: close() removes a watch only with the last reference" {
	run "$CH/close_pitfall"
	expect_success
	expect_output "close\(([0-9]+)\), no other reference: 0 event"
	expect_output "events still arrive for fd ([0-9]+), which is closed \(fcntl: Bad file descriptor\)"
	expect_output "EPOLL_CTL_DEL on fd [0-9]+: Bad file descriptor"
	expect_output "EPOLL_CTL_DEL on the dup, fd [0-9]+: No such file or directory"
	expect_output "the last reference: 0 event"
}

@test "close_pitfall: the closed number, reused, names another socket" {
	run "$CH/close_pitfall"
	expect_success
	expect_output "a new socket gets fd ([0-9]+); the event still says fd \1: recv\(\1\) = Resource temporarily unavailable"
}

@test "dup_pitfall: a number twice is EEXIST, its dup is a second entry" {
	run "$CH/dup_pitfall"
	expect_success
	expect_output "again: File exists"
	expect_output "\(dup\): ok"
	expect_output "the peer writes 1 byte: 2 events: fd [0-9]+ fd [0-9]+"
	expect_output "without DEL first: 2 event\(s\) still"
}

@test "fork_pitfall: parent and child share one interest list" {
	local a b
	run "$CH/fork_pitfall"
	expect_success
	[[ $output =~ A\ is\ fd\ ([0-9]+),\ B\ is\ fd\ ([0-9]+) ]] ||
		fail "no 'A is fd N, B is fd M' line:" "$output"
	a=${BASH_REMATCH[1]} b=${BASH_REMATCH[2]}
	expect_output "child:  EPOLL_CTL_DEL A: ok"
	# A is readable but gone (the child's DEL); B is still there (the
	# child's close of its copy removed nothing); the child's pipe shows.
	expect_output "child alive: 2 event\(s\):.*fd [0-9]+ \(not open in the parent\)"
	expect_output "child alive: 2 event\(s\):.* fd $b"
	! [[ $output =~ child\ alive:[^$'\n']*fd\ $a[^0-9] ]] ||
		fail "A (fd $a) was reported after the child removed it:" "$output"
	expect_output "the child has exited: 1 event\(s\): fd $b"
}

@test "rot13_epoll_lt: 1500 clients connecting at once are all served" {
	need_fds 1600
	start_server "$EPOLL"
	check -c 1500 -P -n 3 -t 200
	expect_success
	expect_output "ok: 1500 connections"
}

@test "rot13_epoll_lt: with 1100 clients connected, past FD_SETSIZE, more are served" {
	need_fds 1300
	start_server "$EPOLL"
	hold_idle 1100
	check -c 50 -P -n 3 -t 120
	expect_success
	stop_server
	[[ $(tail -n 1 "$SERVER_OUT") =~ at\ most\ ([0-9]+)\ at\ once ]] &&
		[ "${BASH_REMATCH[1]}" -gt 1100 ] ||
		fail "expected more than 1100 clients at once, the server says:" \
			"$(tail -n 1 "$SERVER_OUT")"
}

@test "rot13_epoll_lt: no spinning while a client is stalled (EPOLLIN off, EPOLLOUT waiting)" {
	local log=$BATS_TEST_TMPDIR/flood before after
	start_server "$EPOLL"
	"$CHECK" -p "$SERVER_PORT" -N -m long -n 64000000 -t 120 \
		>"$log" 2>&1 3>&- &
	HOLDERS+=($!)
	wait_until 120 grep -q -e stalled -e "sent all" "$log"
	grep -q stalled "$log" || fail "expected the client to stall:" "$(cat "$log")"
	before=$(cpu_ticks "$SERVER_PID")
	sleep 1 # the window measured, not a wait for a condition
	after=$(cpu_ticks "$SERVER_PID")
	[ $((after - before)) -le 20 ] ||
		fail "expected the server idle while the client is stalled," \
			"it used $((after - before)) ticks of CPU in 1 s"
}

@test "rot13_epoll_lt: make run exits 0" {
	run make -s -C "$CH" run
	expect_success
	expect_output "A B C A B C"
	expect_output "not open in the parent"
	expect_output "ok: [0-9]+ connections"
	expect_output "exit status 0"
}
