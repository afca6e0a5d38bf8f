#!/usr/bin/env bats
# Chapter 12: signals. The demos' claims, checked from their output (counts,
# never timings); rot13_graceful's protocol checks, its graceful stop (a
# client mid-exchange gets every answer after SIGTERM; a client that never
# reads does not hold the server past its grace period), valgrind; the
# signal demos give the same output on libevent 2.1; `make run` works.

load ../helpers

CH=$TOP/chapters/12-signals

setup() {
	CLIENT=
}

teardown() {
	[ -z "$CLIENT" ] || kill "$CLIENT" 2>/dev/null
	[ -z "$CLIENT" ] || wait "$CLIENT"
	stop_server
}

# Waits until the server has exited by itself, then collects its status.
server_exits_alone() {
	wait_until 30 '[ -z "$(proc_state "$SERVER_PID")" ] ||
		[ "$(proc_state "$SERVER_PID")" = Z ]' || return 1
	stop_server
}

@test "selfpipe: the flag loses the wakeup, the pipe keeps it" {
	run "$CH/selfpipe"
	expect_success
	expect_output "poll\(\) returned 0 \(timeout\); flag = 1"
	expect_output "poll\(\) returned 1 \(woken\); bytes in the pipe: 1"
	expect_output "SIGUSR1 x 5, SIGUSR2 x 2"
	expect_output "careless handler: errno after raise\(\) is EAGAIN"
	expect_output "careful handler:  errno after raise\(\) is 0"
}

@test "handler_deadlock: the logging handler deadlocks, the flag does not" {
	run "$CH/handler_deadlock"
	expect_success
	expect_output "log from the handler: stuck after"
	expect_output "flag only, log later: exited 0"
}

@test "signalfd_demo: standard signals merge, real-time ones queue; the mask is inherited" {
	run "$CH/signalfd_demo"
	expect_success
	[ "$(grep -c 'SIGUSR1 from this process' <<<"$output")" -eq 1 ] ||
		fail "expected one SIGUSR1 record" "$output"
	[ "$(grep -c 'SIGRTMIN from this process' <<<"$output")" -eq 3 ] ||
		fail "expected three SIGRTMIN records" "$output"
	expect_output "inherited: SigBlk:.*0000000200000200"
	expect_output "unblocked before exec: SigBlk:.*0000000000000000"
}

@test "evsignal_demo: two events, coalescing, EV_PERSIST, active_by_signal" {
	run "$CH/evsignal_demo"
	expect_success
	expect_output "A: signal SIGUSR1, what EV_SIGNAL, call 4"
	expect_output "still pending afterwards: once 0, A 1"
	expect_output "handler is back to the default: yes"
	expect_output "total calls: A 6, B 6, once 1"
}

@test "two_bases: each base loses its signal to the owner; one base gets both" {
	run "$CH/two_bases"
	expect_success
	expect_output "A's SIGUSR1: 0 call"
	expect_output "B's SIGUSR2: 0 call"
	expect_output "A's SIGUSR1: 1 call\(s\), A's SIGUSR2: 1 call"
}

@test "evsignal_demo and two_bases print the same on libevent 2.1" {
	pkg-config --exists libevent_core || skip "libevent 2.1 is not installed"
	run make -s -C "$CH" libevent
	expect_success
	for p in evsignal_demo two_bases; do
		diff <("$CH/$p") <("$CH/.build/$p-libevent" 2>/dev/null) ||
			fail "$p: minievent and libevent differ (above)"
	done
}

@test "rot13_graceful: the protocol checks" {
	start_server "$CH/rot13_graceful"
	check -P -n 50
	expect_success
	check -n 1000
	expect_success
	check -n 20 -w 1
	expect_success
	check -n 3000 -w 1500 -r
	expect_success
	check -m binary -n 8
	expect_success
	check -m long -n 100000
	expect_success
	check -m edges
	expect_success
	check -m tail -n 3
	expect_success
	check -c 200 -P -n 5 -t 120
	expect_success
	check -i 1 -P -n 3 -t 60
	expect_success
	check -A -m long -n 50000
	expect_success
	check -P -n 3
	expect_success
	stop_server INT
}

@test "rot13_graceful: SIGTERM at the accept; the client then sends, half-closes, gets every answer" {
	# LeakSanitizer cannot run under ptrace, which strace uses here.
	skip_under_sanitizer
	command -v strace >/dev/null || skip "strace is not installed"
	strace -o /dev/null true 2>/dev/null || skip "ptrace is not allowed here"
	# strace delivers SIGTERM to the server when it calls accept4() for
	# this client: the signal is certain to land mid-exchange, after the
	# connection exists and before any line is answered.
	SERVER_WRAPPER="strace -o /dev/null -e trace=accept4
		-e inject=accept4:signal=SIGTERM:when=1" \
		start_server "$CH/rot13_graceful"
	check -P -n 50 -t 60
	expect_success
	server_exits_alone
	[[ $SERVER_LOG == *"stopping (Terminated): 1 client(s) to finish"* ]] ||
		fail "expected the stop to wait for 1 client" "$SERVER_LOG"
	[[ $SERVER_LOG == *"all clients finished"* ]] ||
		fail "expected all clients finished" "$SERVER_LOG"
}

@test "rot13_graceful: after SIGTERM new clients are refused, an old one is served" {
	start_server "$CH/rot13_graceful"
	exec 5<>"/dev/tcp/127.0.0.1/$SERVER_PORT"
	printf 'Hello\n' >&5
	IFS= read -r -t 20 line <&5
	[ "$line" = Uryyb ] || fail "expected Uryyb, got '$line'"
	kill -TERM "$SERVER_PID"
	wait_until 20 grep -q '^stopping' "$SERVER_OUT"
	check -P
	expect_status 3
	expect_output "Connection refused"
	printf 'Still there?\n' >&5
	IFS= read -r -t 20 line <&5
	exec 5>&-
	[ "$line" = "Fgvyy gurer?" ] || fail "expected 'Fgvyy gurer?', got '$line'"
	server_exits_alone
}

@test "rot13_graceful: a client that never reads is cut off at the grace period" {
	local log=$BATS_TEST_TMPDIR/flood
	start_server "$CH/rot13_graceful" -g 1
	"$CHECK" -p "$SERVER_PORT" -N -m long -n 64000000 -t 120 \
		>"$log" 2>&1 3>&- &
	CLIENT=$!
	wait_until 120 grep -q -e stalled -e "sent all" "$log"
	kill -TERM "$SERVER_PID"
	server_exits_alone
	[[ $SERVER_LOG == *"grace period over: cutting off 1 client(s)"* ]] ||
		fail "expected the grace period to end it" "$SERVER_LOG"
}

@test "rot13_graceful: a second signal stops at once" {
	start_server "$CH/rot13_graceful" -g 100
	exec 5<>"/dev/tcp/127.0.0.1/$SERVER_PORT"
	kill -TERM "$SERVER_PID"
	wait_until 20 grep -q '^stopping' "$SERVER_OUT"
	stop_server INT
	exec 5>&-
	[[ $SERVER_LOG == *"second signal (Interrupt): stopping now"* ]] ||
		fail "expected the second signal to stop it" "$SERVER_LOG"
}

@test "rot13_graceful under valgrind: clean after a graceful stop" {
	skip_under_sanitizer
	command -v valgrind >/dev/null || skip "valgrind is not installed"
	local log problems
	SERVER_WRAPPER="valgrind --error-exitcode=99 --leak-check=full
		--show-leak-kinds=definite,indirect,possible
		--errors-for-leak-kinds=definite,indirect,possible
		--track-fds=yes --log-file=$BATS_TEST_TMPDIR/vg.%p.log"
	SERVER_START_WAIT=120 SERVER_STOP_WAIT=120 \
		start_server "$CH/rot13_graceful" -g 1
	check -P -n 20 -t 120
	expect_success
	check -m long -n 100000 -t 120
	expect_success
	# One client still connected when the signal comes, one never reading.
	exec 5<>"/dev/tcp/127.0.0.1/$SERVER_PORT"
	printf 'Hello\n' >&5
	IFS= read -r -t 60 line <&5
	[ "$line" = Uryyb ] || fail "expected Uryyb, got '$line'"
	SERVER_STOP_WAIT=120 stop_server TERM
	exec 5>&-
	for log in "$BATS_TEST_TMPDIR"/vg.*.log; do
		problems=$(valgrind_problems "$log")
		[ -z "$problems" ] || fail "valgrind ($log):" "$problems"
	done
}

@test "make run exits 0" {
	run make -s -C "$CH" run
	expect_success
	expect_output "and exits with status 0"
}
