#!/usr/bin/env bats
# Chapter 06 (select): what the protocol suite does not cover. rot13_select
# at and past FD_SETSIZE, out of descriptors, asleep while idle; the demo
# programs; make run.

load ../helpers

CH=$TOP/chapters/06-select

teardown() {
	stop_server
}

@test "rot13_select: 1100 connections held at once: those past FD_SETSIZE are refused, the others served" {
	start_server "$CH/rot13_select"
	run "$CH/crowd" -p "$SERVER_PORT" -n 1100 -r 50
	expect_success
	# crowd's active client made its 50 round trips after the refusals.
	expect_output "active client: 50 round trips"
	[[ $output =~ 1100\ idle\ clients:\ ([0-9]+)\ served,\ ([0-9]+)\ refused ]] ||
		fail "expected crowd's count of served and refused" "$output"
	local served=${BASH_REMATCH[1]} refused=${BASH_REMATCH[2]}
	[ "$refused" -ge 76 ] && [ "$served" -ge 1000 ] ||
		fail "expected at least 76 refused (1100 + 1 > 1024 fds) and" \
			"1000 served; got $served served, $refused refused"
}

@test "rot13_select: 1100 clients connecting at once do not crash it; new clients are served after" {
	start_server "$CH/rot13_select"
	# Whether some of them reach descriptor 1024 depends on how fast the
	# first ones finish; and 1100 connects at once overflow the accept
	# queue (backlog 128), which can make the kernel reset a few of them
	# (nstat: TcpExtListenOverflows), with any server. So either all are
	# answered (0), or rot13_check stops at the first connection that was
	# refused or reset (1: an early close, a reset or a broken pipe). A
	# wrong byte (1, another message) or a hang (2) fails.
	check -c 1100 -n 2 -t 120
	[ "$status" -eq 0 ] || {
		expect_status 1 &&
			expect_output "closed the connection|reset by peer|Broken pipe"
	}
	# No descriptor count here: connections that overflowed the accept
	# queue can stay open on the server until TCP retransmits the dead
	# client's FIN, which takes tens of seconds. The 200-connection test
	# of the protocol suite checks for leaks.
	[ -n "$(proc_state "$SERVER_PID")" ] &&
		[ "$(proc_state "$SERVER_PID")" != Z ] ||
		fail "expected the server to be running; it has exited"
	check -c 200 -P -n 3 -t 120
	expect_success
}

@test "rot13_select: refusals are reported once on stderr and counted at exit" {
	start_server "$CH/rot13_select"
	run "$CH/crowd" -p "$SERVER_PORT" -n 1100 -r 1
	expect_success
	run "$CH/crowd" -p "$SERVER_PORT" -n 1100 -r 1
	expect_success
	stop_server
	run grep -c "FD_SETSIZE" "$SERVER_OUT.err"
	[ "$output" = 1 ] ||
		fail "expected one line about FD_SETSIZE on stderr, got $output:" \
			"$(cat "$SERVER_OUT.err")"
	run tail -n 1 "$SERVER_OUT"
	[[ $output =~ ([0-9]+)\ refused ]] && [ "${BASH_REMATCH[1]}" -ge 152 ] ||
		fail "expected at least 152 refused in the exit line, got: $output"
}

@test "rot13_select: out of descriptors (EMFILE) it pauses accepting, then serves everyone" {
	# Only the soft limit is lowered (rot13_check raises its own), and
	# server_start is called directly: start_server would raise it again.
	ulimit -Sn 40
	server_start "$CH/rot13_select" || fail "could not start rot13_select"
	check -c 100 -P -n 3 -t 120
	expect_success
	run grep -c "accept (pausing" "$SERVER_OUT.err"
	[ "$output" -ge 1 ] ||
		fail "expected accept() to fail with EMFILE at 40 descriptors" \
			"and the server to say it pauses; stderr:" \
			"$(cat "$SERVER_OUT.err")"
}

@test "rot13_select: asleep in select() while a client sits idle" {
	local t0 t1 pid
	start_server "$CH/rot13_select"
	check -P
	expect_success
	"$CHECK" -p "$SERVER_PORT" -N -n 0 -t 3 >/dev/null 2>&1 3>&- &
	pid=$!
	wait_until 20 'test "$(fd_count "$SERVER_PID")" -gt 6'
	t0=$(cpu_ticks "$SERVER_PID")
	sleep 2
	t1=$(cpu_ticks "$SERVER_PID")
	kill "$pid" 2>/dev/null
	wait "$pid" || true
	# A busy loop would use about 200 ticks (2 s at 100 Hz).
	[ $((t1 - t0)) -lt 50 ] ||
		fail "expected the server to sleep; it used $((t1 - t0))" \
			"CPU ticks in 2 s with one idle client"
}

@test "select_demo: write interest with nothing to write spins, read interest sleeps" {
	run "$CH/select_demo"
	expect_success
	expect_output "still in the set: no; timeout left: 0.000000 s"
	expect_output "with read interest only: +0 times"
	[[ $output =~ nothing\ to\ write:\ ([0-9]+)\ times ]] &&
		[ "${BASH_REMATCH[1]}" -gt 10 ] ||
		fail "expected select() to return again and again" "$output"
}

@test "fdset_overflow: FD_SET(1023) is fine, FD_SET(1024) is caught by glibc" {
	run "$CH/fdset_overflow" 1023
	expect_success
	expect_output "fd 1023 is in the set: yes"
	run bash -c "ulimit -c 0; exec '$CH/fdset_overflow' 1024"
	expect_status 134
	[[ $output != *"is in the set"* ]] ||
		fail "expected an abort before FD_SET returned" "$output"
}

@test "make run exits 0" {
	run make -s -C "$CH" run
	expect_success
	expect_output "refused \(closed by the server\)"
	expect_output "exit status 0 expected"
}
