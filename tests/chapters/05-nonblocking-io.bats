#!/usr/bin/env bats
# Chapter 05 (nonblocking-io): the demos' claims, checked from their output;
# rot13_busypoll beyond the protocol suite; the idle-CPU and syscall reports
# (their rows, never their speed); `make run`.

load ../helpers

CH=$TOP/chapters/05-nonblocking-io

teardown() {
	stop_server
}

@test "nonblock_demo: the seeds' fcntl loses O_APPEND, the right way keeps it" {
	run "$CH/nonblock_demo"
	expect_success
	expect_output "O_WRONLY\|O_APPEND -> O_WRONLY\|O_NONBLOCK: O_APPEND lost"
	expect_output "O_WRONLY\|O_APPEND -> O_WRONLY\|O_APPEND\|O_NONBLOCK: O_APPEND kept"
	# What losing it does: the write after lseek(0) overwrites.
	expect_output "the file holds \"Xbc\""
	expect_output "the file holds \"abcX\""
	expect_output "fcntl returns -1, errno EBADF"
}

@test "nonblock_demo: accept and recv say EAGAIN; data, then EOF; EINTR" {
	run "$CH/nonblock_demo"
	expect_success
	expect_output "accept\(\) on a non-blocking listener, no client: -1, errno EAGAIN"
	expect_output "accept\(\) of a client: O_RDWR \(not inherited"
	expect_output "accept4\(\.\.\., SOCK_NONBLOCK\) of a client: O_RDWR\|O_NONBLOCK"
	expect_output "SOCK_NONBLOCK, 0\): O_RDWR\|O_NONBLOCK"
	expect_output "recv\(\), nothing sent yet: -1, errno EAGAIN"
	expect_output "sent \"hello\\\\n\": 6 bytes"
	expect_output "half-closed: 0 \(EOF\)"
	expect_output "SIGALRM after 100 ms: -1, errno EINTR"
}

@test "partial_write_demo: send takes part, then EAGAIN; the rest is sent later" {
	local first pending
	run "$CH/partial_write_demo"
	expect_success
	[[ $output =~ send\(8388608\ bytes\)\ =\ ([0-9]+) ]] ||
		fail "expected a first 'send(8388608 bytes) = N' line" "$output"
	first=${BASH_REMATCH[1]}
	[ "$first" -gt 0 ] && [ "$first" -lt 8388608 ] ||
		fail "expected the first send to take part of 8388608 bytes," \
			"it took $first"
	expect_output "send\($((8388608 - first)) bytes\) = -1, errno EAGAIN"
	[[ $output =~ pending\ output:\ ([0-9]+)\ bytes ]] &&
		pending=${BASH_REMATCH[1]}
	[ "${pending:-}" = $((8388608 - first)) ] ||
		fail "expected $((8388608 - first)) bytes pending, got ${pending:-none}"
	expect_output "all 8388608 bytes sent in [0-9]+ rounds; the reader got 8388608 bytes, all in order"
}

@test "rot13_busypoll: a client that floods without reading does not stall the others" {
	local log=$BATS_TEST_TMPDIR/flood pid
	start_server "$CH/rot13_busypoll"
	"$CHECK" -p "$SERVER_PORT" -N -m long -n 64000000 -t 120 \
		>"$log" 2>&1 3>&- &
	pid=$!
	wait_until 120 grep -q -e stalled -e "sent all" "$log"
	# The flooder's connection is full both ways; the loop goes on.
	check -c 5 -P -n 20 -t 60
	kill "$pid"
	wait "$pid" || true
	expect_success
	run cat "$log"
	expect_output "stalled after"
}

@test "rot13_busypoll: stops cleanly with idle clients still connected" {
	local i fds=()
	start_server "$CH/rot13_busypoll"
	for i in 1 2 3; do
		exec {fd}<>"/dev/tcp/127.0.0.1/$SERVER_PORT"
		fds+=("$fd")
	done
	check -P
	expect_success
	stop_server TERM
	for fd in "${fds[@]}"; do
		exec {fd}>&-
	done
}

@test "idle_cpu.sh reports the CPU time of busypoll and the blocking server" {
	make -s -C "$TOP/chapters/01-blocking-io" >/dev/null
	run "$CH/idle_cpu.sh" 1
	expect_success
	expect_output "^server +idle \(s\) +user \(s\) +system \(s\) +% of one CPU"
	expect_output $'\n''rot13_blocking +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9]+%'
	expect_output $'\n''rot13_busypoll +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9]+%'
}

@test "syscalls.sh: every turn makes one recv per idle client" {
	command -v strace >/dev/null || skip "strace not installed"
	strace -o /dev/null true 2>/dev/null || skip "strace cannot trace here"
	local acc rcv
	run "$CH/syscalls.sh" 10
	expect_success
	expect_output "none +[0-9]+ +0 +0"
	[[ $output =~ 10\ idle\ +([0-9]+)\ +([0-9]+)\ +0 ]] ||
		fail "expected a '10 idle' row" "$output"
	acc=${BASH_REMATCH[1]} rcv=${BASH_REMATCH[2]}
	# A turn is one accept() and ten recv()s; the second is cut at the
	# ends of the one-second window, so allow one turn either way.
	[ "$acc" -gt 1 ] && [ "$rcv" -ge $((10 * (acc - 1))) ] &&
		[ "$rcv" -le $((10 * (acc + 1))) ] ||
		fail "expected about 10 recvfrom per accept, got $rcv for $acc"
	expect_output "10 idle \+ 1 busy +[0-9]+ +[0-9]+ +[1-9][0-9]*"
}

@test "make run exits 0 and shows every part" {
	run make -s -C "$CH" run
	expect_success
	expect_output "O_APPEND lost"
	expect_output "errno EAGAIN"
	expect_output "pending output: [0-9]+ bytes"
	expect_output "ok: 3 connections"
	expect_output $'\n''rot13_busypoll +[0-9.]+ '
}
