#!/usr/bin/env bats
# Chapter 14: bufferevent. rot13_bufferevent against hostile peers (a
# client that sends forever and never reads, one-byte writers, resets
# mid-stream, 10,000 connect-and-close in a row, a client that reads only
# after its EOF), its write timeout, a clean stop under valgrind with a
# paused client; the same source on libevent 2.1; bev_tour's callbacks
# (the same lines on both libraries); the backpressure demo's numbers;
# `make run`. The seeds' server has its own file, tests/seeds/.

load ../helpers

CH=$TOP/chapters/14-bufferevent
SERVER=$CH/rot13_bufferevent
LATE=$CH/late_reader

setup() {
	CLIENT=
}

teardown() {
	[ -z "$CLIENT" ] || kill "$CLIENT" 2>/dev/null
	[ -z "$CLIENT" ] || wait "$CLIENT"
	stop_server
}

kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status"
}

@test "compat: rot13_bufferevent.c built against libevent 2.1 passes the checker" {
	need_libevent
	run make -s -C "$CH" rot13_bufferevent.libevent
	expect_success
	run ldd "$CH/rot13_bufferevent.libevent"
	expect_output "libevent_core"
	start_server "$CH/rot13_bufferevent.libevent"
	check -c 100 -P -n 5 -t 60
	expect_success
	check -m edges -t 60
	expect_success
	check -m tail -n 3 -t 60
	expect_success
	check -m long -n 100000 -t 60
	expect_success
	late_read "$SERVER_PID" "$SERVER_PORT" 2000000
	expect_success
}

@test "a client that sends forever and never reads: the server stops reading, its memory stays bounded" {
	local log=$BATS_TEST_TMPDIR/flood before after sent limit=2048
	# AddressSanitizer keeps freed memory aside (its quarantine), so a
	# sanitizer build grows with the traffic, not with what it holds.
	[ "${SANITIZE:-}" != 1 ] || limit=32768
	start_server "$SERVER"
	check -P -n 3
	before=$(kb)
	"$CHECK" -p "$SERVER_PORT" -N -m long -n 64000000 -t 200 \
		>"$log" 2>&1 3>&- &
	CLIENT=$!
	wait_until 120 grep -q -e stalled -e "sent all" "$log"
	after=$(kb)
	sent=$(sed -n 's/^stalled after \([0-9]*\) of.*/\1/p' "$log")
	[ -n "$sent" ] || fail "expected the client to stall, got:" "$(cat "$log")"
	# Bytes the client got rid of: in kernel buffers on both sides, and at
	# most 16384 + 65536 + one line in the server's evbuffers.
	[ "$sent" -ge 1000000 ] ||
		fail "expected the kernel to take a few MB first, sent: $sent"
	[ $((after - before)) -lt "$limit" ] ||
		fail "expected the server to grow by less than $limit kB while" \
			"the client sent $sent bytes; it grew from $before kB" \
			"to $after kB"
	kill "$CLIENT"
	wait "$CLIENT" || true
	CLIENT=
	stop_server
	[[ $SERVER_LOG =~ backpressure\ pauses:\ [1-9] ]] ||
		fail "expected at least one pause for backpressure:" "$SERVER_LOG"
}

@test "the write timeout (-T 1) drops a client that never reads, and closes its socket" {
	local log=$BATS_TEST_TMPDIR/flood base
	start_server "$SERVER" -T 1
	base=$(sockets_of "$SERVER_PID")
	# The client fills the kernel's buffers and the server's, then nothing
	# moves; 1 s later the server drops it. The client notices either as
	# a failed send or, if it had stopped sending first, not at all.
	"$CHECK" -p "$SERVER_PORT" -N -m long -n 64000000 -t 200 \
		>"$log" 2>&1 3>&- &
	CLIENT=$!
	wait_until 60 grep -q -e "send after" -e stalled -e "sent all" "$log"
	wait_until 60 sockets_of_at_most "$SERVER_PID" "$base" ||
		fail "expected $base sockets once the client was dropped," \
			"got $(sockets_of "$SERVER_PID")"
	stop_server
	[[ $SERVER_LOG == *"1 clients accepted, 1 dropped,"* ]] ||
		fail "expected one client, dropped:" "$SERVER_LOG"
}

@test "one byte per write: 50 such clients at once, edges, the tail" {
	start_server "$SERVER"
	check -c 50 -w 1 -n 20 -t 120
	expect_success
	check -w 3 -r -m edges -t 120
	expect_success
	check -w 1 -m tail -n 2 -t 60
	expect_success
}

@test "resets mid-stream (RST) hurt nobody and leak nothing" {
	local base
	start_server "$SERVER"
	base=$(sockets_of "$SERVER_PID")
	check -A -m long -n 1000000 -t 60
	expect_success
	check -c 20 -A -n 5000 -t 60
	expect_success
	check -A -w 1 -n 3 -t 60
	expect_success
	wait_until 30 sockets_of_at_most "$SERVER_PID" "$base" ||
		fail "expected $base sockets after the resets," \
			"got $(sockets_of "$SERVER_PID")"
	check -P -n 3
	expect_success
}

@test "10,000 connect-and-close in a row leave no descriptor behind" {
	local before i
	start_server "$SERVER"
	before=$(fd_count "$SERVER_PID")
	for ((i = 0; i < 10000; i++)); do
		exec 5<>"/dev/tcp/127.0.0.1/$SERVER_PORT" ||
			fail "connect $i failed"
		exec 5>&-
	done
	wait_until 60 fds_at_most "$SERVER_PID" "$before" ||
		fail "descriptors before: $before, after: $(fd_count "$SERVER_PID")"
	check -P -n 3
	expect_success
	stop_server
	[[ $SERVER_LOG == *"10001 clients accepted, 0 dropped,"* ]] ||
		fail "expected 10001 clients, none dropped:" "$SERVER_LOG"
}

@test "a client that reads only after its EOF gets every answer (the seeds' bug, fixed)" {
	start_server "$SERVER"
	# Small: the answers fit in the kernel's buffers, so the server
	# usually sends them all and closes before the client reads a byte
	# (if the kernel's buffers are smaller, the client's sending stalls
	# and it reads at once instead: right too).
	late_read "$SERVER_PID" "$SERVER_PORT" 50000
	expect_success
	expect_output "read 700000 of 700000 answer bytes, all correct"
	# Large: the server stops reading, the client's sending stalls.
	late_read "$SERVER_PID" "$SERVER_PORT" 2000000
	expect_success
	expect_output "sending stalled after"
	expect_output "read 28000000 of 28000000 answer bytes, all correct"
}

@test "rot13_bufferevent under valgrind: a clean stop with a paused and a half-closed client" {
	skip_under_sanitizer
	command -v valgrind >/dev/null || skip "valgrind is not installed"
	local log problems flood=$BATS_TEST_TMPDIR/flood
	local fifo=$BATS_TEST_TMPDIR/go late=$BATS_TEST_TMPDIR/late pid
	SERVER_WRAPPER="valgrind --error-exitcode=99 --leak-check=full
		--show-leak-kinds=definite,indirect,possible
		--errors-for-leak-kinds=definite,indirect,possible
		--track-fds=yes --log-file=$BATS_TEST_TMPDIR/vg.%p.log"
	SERVER_START_WAIT=120 SERVER_STOP_WAIT=120 start_server "$SERVER"
	check -m tail -n 3 -t 120
	expect_success
	check -A -m long -n 100000 -t 120
	expect_success
	"$CHECK" -p "$SERVER_PORT" -N -m long -n 64000000 -t 300 \
		>"$flood" 2>&1 3>&- &
	CLIENT=$!
	wait_until 200 grep -q -e stalled -e "sent all" "$flood"
	# And one that has half-closed and does not read its answers yet.
	mkfifo "$fifo"
	"$LATE" -p "$SERVER_PORT" -n 20000 <"$fifo" >"$late" 2>&1 3>&- &
	pid=$!
	exec 8>"$fifo"
	wait_until 120 grep -q -e half-closed -e stalled "$late"
	SERVER_STOP_WAIT=120 stop_server TERM
	exec 8>&-
	wait "$pid" || true
	for log in "$BATS_TEST_TMPDIR"/vg.*.log; do
		problems=$(valgrind_problems "$log")
		[ -z "$problems" ] || fail "valgrind ($log):" "$problems"
	done
}

@test "bev_tour: each callback with its flags, the same on every backend" {
	local env first=
	for env in "" EVENT_NOEPOLL=1 "EVENT_NOEPOLL=1 EVENT_NOPOLL=1"; do
		# shellcheck disable=SC2086 # env holds words for env(1)
		run env $env "$CH/bev_tour"
		expect_success
		[ -n "$first" ] || first=$output
		[ "$output" = "$first" ] ||
			fail "with '$env' the tour differs from epoll's:" "$output"
	done
	expect_output "eventcb: BEV_EVENT_CONNECTED"
	expect_output "returned; output holds 6 bytes.   writecb: output holds 0 bytes"
	expect_output "after 4 bytes: no callback; input holds 4 bytes.   readcb: input holds 10 bytes"
	expect_output "eventcb: BEV_EVENT_READING\|BEV_EVENT_TIMEOUT.   after 200 ms or more: yes.   enabled now: EV_WRITE"
	expect_output "eventcb: BEV_EVENT_READING\|BEV_EVENT_EOF"
	expect_output "eventcb: BEV_EVENT_ERROR \(Connection refused\)"
	expect_output "eventcb: BEV_EVENT_WRITING\|BEV_EVENT_TIMEOUT"
}

@test "deferred: a pair's callback runs from the loop; a deferred one after those due" {
	run "$CH/deferred"
	expect_success
	expect_output "returned; callbacks so far: 0.   readcb of the partner: input holds 3 bytes"
	expect_output "readcb of B: input holds 1 bytes.   readcb of A: input holds 1 bytes"
}

@test "bev_tour and deferred print the same lines on libevent 2.1" {
	need_libevent
	local prog theirs
	for prog in bev_tour deferred; do
		run make -s -C "$CH" "$prog.libevent"
		expect_success
		run "$CH/$prog.libevent"
		expect_success
		theirs=$output
		run "$CH/$prog"
		expect_success
		[ "$output" = "$theirs" ] ||
			fail "$prog: minievent's output differs from libevent's:" \
				"$(diff <(echo "$theirs") <(echo "$output"))"
	done
}

@test "backpressure: the output evbuffer takes everything, then stays bounded; every byte comes back" {
	local out1 out2
	run "$CH/backpressure"
	expect_success
	out1=$(sed -n '/^1\./,/^2\./s/^ *\([0-9]*\) in the server.s output evbuffer$/\1/p' <<<"$output")
	out2=$(sed -n '/^2\./,$s/^ *\([0-9]*\) in the server.s output evbuffer$/\1/p' <<<"$output")
	[ "${out1:-0}" -gt 16000000 ] ||
		fail "expected more than 16 MB in the output without" \
			"backpressure, got '$out1':" "$output"
	[ "${out2:-999999999}" -le $((65536 + 65536)) ] ||
		fail "expected at most 128 KiB with backpressure, got" \
			"'$out2':" "$output"
	expect_output "the peer sent all 33554432 bytes"
	expect_output "the peer stalled after [0-9]+ bytes"
	expect_output "33554432 of 33554432 bytes came back, in order"
}

@test "make run exits 0 and shows the seeds' server losing answers" {
	run make -s -C "$CH" run
	expect_success
	expect_output "read 28000000 of 28000000 answer bytes, all correct"
	if [[ $output != *"The seeds' server"*skipped* ]]; then
		expect_output "after 36 of 66 answer bytes"
		expect_output "never came"
	fi
}
