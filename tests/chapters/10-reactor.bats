#!/usr/bin/env bats
# Chapter 10: the reactor. rot13_events runs unchanged on libevent (the
# compat build passes the checker); EVENT_SHOW_METHOD names each backend;
# event_tour shows an event's states and dumps a base; out of descriptors
# the server pauses accepting without spinning; the select backend's
# refusal of fd >= FD_SETSIZE closes that client only; the demo works.

load ../helpers

CH=$TOP/chapters/10-reactor
EVENTS=$CH/rot13_events

setup() {
	HOLDER=
}

teardown() {
	if [ -n "$HOLDER" ]; then
		kill "$HOLDER" 2>/dev/null
		wait "$HOLDER" 2>/dev/null
	fi
	stop_server
}

# Elapsed time since boot, in clock ticks.
uptime_ticks() {
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%d\n", $1 * hz }' /proc/uptime
}

@test "compat: rot13_events.c built against libevent 2.1 passes the checker" {
	need_libevent
	run make -s -C "$CH" rot13_events.libevent
	expect_success
	run ldd "$CH/rot13_events.libevent"
	expect_output "libevent_core"
	start_server "$CH/rot13_events.libevent"
	check -c 100 -P -n 5 -t 60
	expect_success
	check -m edges -t 60
	expect_success
	check -m tail -n 3 -t 60
	expect_success
	check -m long -n 100000 -t 60
	expect_success
}

@test "EVENT_SHOW_METHOD names each backend, and EVENT_NO* choose it" {
	local env want
	for want in epoll poll select; do
		case $want in
		epoll) env= ;;
		poll) env=EVENT_NOEPOLL=1 ;;
		select) env="EVENT_NOEPOLL=1 EVENT_NOPOLL=1" ;;
		esac
		SERVER_WRAPPER="env EVENT_SHOW_METHOD=1 $env" start_server "$EVENTS"
		check -P
		expect_success
		stop_server
		[ "$SERVER_ERR" = "[msg] libevent using: $want" ] ||
			fail "with '$env': expected stderr" \
				"'[msg] libevent using: $want', got:" "$SERVER_ERR"
		[[ $SERVER_LOG == *"rot13_events: backend $want"* ]] ||
			fail "with '$env': expected 'backend $want' on stdout," \
				"got:" "$SERVER_LOG"
	done
}

@test "event_tour: an event's states, and the dump lists every event" {
	run "$CH/event_tour"
	expect_success
	# Plain event: no longer pending inside its callback; EV_PERSIST: still.
	expect_output "EV_READ event:.*after event_new +pending for: none.*after event_add +pending for: EV_READ.*inside its callback +pending for: none"
	expect_output "EV_READ\|EV_PERSIST event:.*inside its callback +pending for: EV_READ.*after the loop +pending for: EV_READ"
	expect_output "method epoll; 5 added, 1 active"
	expect_output "\[fd [0-9]+\] Read Persist"
	expect_output "\[fd [0-9]+\] Write Active: Write"
	expect_output "\[sig 10\] Signal Persist"
	expect_output "\[fd -1\] Timeout=[0-9]+\.[0-9]{6}"
}

@test "rot13_events: out of descriptors it pauses accepting, sleeps, then serves again" {
	local t0 t1 u0 u1
	# Only the soft limit is lowered (rot13_check raises its own), and
	# server_start is called directly: start_server would raise it again.
	ulimit -Sn 40
	server_start "$EVENTS" || fail "could not start rot13_events"
	# 60 connections that stay open: about 30 fit, the rest wait in the
	# listen queue and keep the listener readable.
	"$CHECK" -p "$SERVER_PORT" -i 59 -N -n 1 -t 200 >/dev/null 2>&1 3>&- &
	HOLDER=$!
	wait_until 60 grep -q "accept: Too many open files; pausing" \
		"$SERVER_OUT.err" ||
		fail "expected accept() to fail with EMFILE; stderr:" \
			"$(cat "$SERVER_OUT.err")"
	t0=$(cpu_ticks "$SERVER_PID") u0=$(uptime_ticks)
	sleep 2
	t1=$(cpu_ticks "$SERVER_PID") u1=$(uptime_ticks)
	# A spinning loop would use about all the elapsed ticks.
	[ $((2 * (t1 - t0))) -lt $((u1 - u0)) ] ||
		fail "expected the paused server to sleep; it used $((t1 - t0))" \
			"CPU ticks in $((u1 - u0)) elapsed ticks"
	kill "$HOLDER"
	wait "$HOLDER" || true
	HOLDER=
	check -P -n 3 -t 60
	expect_success
}

@test "rot13_events on select: a client on fd >= FD_SETSIZE is closed, the others served" {
	local hog=$BATS_TEST_TMPDIR/hog.py
	command -v python3 >/dev/null || skip "needs python3 to hold descriptors"
	ulimit -n "$(ulimit -Hn)"
	[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge 1100 ] ||
		skip "needs 1100 descriptors; the limit is $(ulimit -n)"
	# Descriptors 10-1019 are taken before the server starts, so that
	# one of its first clients gets a descriptor of 1024 or more. (Not
	# with bash's exec N<: bash itself crashes on that many.)
	cat >"$hog" <<-'HOG'
		import os, sys
		fd = os.open("/dev/null", os.O_RDONLY)
		for i in range(10, 1020):
		    os.dup2(fd, i, inheritable=True)
		os.close(fd)
		os.execvp(sys.argv[1], sys.argv[1:])
	HOG
	SERVER_WRAPPER="python3 $hog env EVENT_NOEPOLL=1 EVENT_NOPOLL=1" \
		server_start "$EVENTS" || fail "could not start rot13_events"
	# 12 at once: those on descriptors >= 1024 are closed unanswered.
	check -c 12 -i 11 -N -n 1 -t 30
	wait_until 30 grep -q "client on fd 10[0-9][0-9]: Invalid argument" \
		"$SERVER_OUT.err" ||
		fail "expected a client refused by select; stderr:" \
			"$(cat "$SERVER_OUT.err")"
	check -P -n 3 -t 60
	expect_success
	stop_server
	[[ $SERVER_LOG == *"backend select"* ]] ||
		fail "expected the select backend; stdout:" "$SERVER_LOG"
}

@test "make run exits 0 and shows every backend and libevent answering" {
	run make -s -C "$CH" run
	expect_success
	expect_output "stderr: \[msg\] libevent using: epoll"
	expect_output "stderr: \[msg\] libevent using: poll"
	expect_output "stderr: \[msg\] libevent using: select"
	if pkg-config --exists libevent_core 2>/dev/null; then
		expect_output "links: libevent_core"
	fi
	expect_output "Events in base"
}
