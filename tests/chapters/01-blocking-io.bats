#!/usr/bin/env bats
# Chapter 01 (blocking-io), beyond the generated protocol suite: fetch and
# http_standin, partial sends, the demo, and what blocking costs
# rot13_blocking (a second client waits in the accept queue).

load ../helpers

CH=$TOP/chapters/01-blocking-io

teardown() {
	stop_server
}

# The listener's Recv-Q in `ss -ltn`: connections in its accept queue.
accept_queue() {
	ss -ltnH "sport = :$SERVER_PORT" | awk '{ print $2; exit }'
}

# How many client sockets (any state) point at the server's port.
clients() {
	ss -tnH "dport = :$SERVER_PORT" | wc -l
}

@test "fetch gets http_standin's whole answer, in several recv() calls" {
	local page=$BATS_TEST_TMPDIR/page size length head calls
	start_server "$CH/http_standin"
	run bash -c "'$CH/fetch' -p $SERVER_PORT 2>&1 >'$page'"
	expect_success
	expect_output "received [0-9]+ bytes in [0-9]+ recv\(\) calls"
	# What fetch counted is what it wrote, and what the header announced.
	size=$(wc -c <"$page")
	[[ $output =~ received\ $size\ bytes\ in\ ([0-9]+) ]] ||
		fail "fetch wrote $size bytes but reported:" "$output"
	calls=${BASH_REMATCH[1]}
	length=$(tr -d '\r' <"$page" | sed -n 's/^Content-Length: //p')
	head=$(awk '{ n += length($0) + 1 } /^\r$/ { print n; exit }' "$page")
	[ -n "$length" ] && [ -n "$head" ] ||
		fail "no Content-Length or no header end in:" "$(cat "$page")"
	[ "$size" -eq $((head + length)) ] ||
		fail "expected $((head + length)) bytes (header $head +" \
			"Content-Length $length), got $size"
	# 4 pieces, each its own recv(), and the recv() that returns 0.
	[ "$calls" -ge 3 ] ||
		fail "expected several recv() calls, got $calls:" "$output"
	expect_output "recv\(\) = 0: the server closed"
	run cat "$SERVER_OUT"
	expect_output "GET / HTTP/1.0, 0 body bytes: answered $size bytes"
}

@test "fetch resolves names with getaddrinfo: localhost works" {
	start_server "$CH/http_standin"
	run bash -c "'$CH/fetch' -a localhost -p $SERVER_PORT 2>&1 >/dev/null"
	expect_success
	expect_output "connected"
}

@test "fetch -u: partial sends to a slow reader are reported and finished" {
	start_server "$CH/http_standin" -r 10
	run bash -c "'$CH/fetch' -p $SERVER_PORT -u 262144 2>&1 >/dev/null"
	expect_success
	# Every byte went, however many send() calls it took...
	expect_output "sent 262[0-9]{3} bytes in [0-9]+ send\(\) calls"
	# ...and the demo either shows partial sends or says why there were
	# none: never silence.
	[[ $output =~ [1-9][0-9]*\ partial, ]] ||
		[[ $output =~ no\ partial\ send: ]] ||
		fail "expected partial sends or the reason for none:" "$output"
	run cat "$SERVER_OUT"
	expect_output "POST / HTTP/1.0, 262144 body bytes: answered"
}

@test "fetch says which address failed when nothing listens" {
	start_server "$CH/http_standin"
	local port=$SERVER_PORT
	stop_server
	run "$CH/fetch" -p "$port"
	expect_status 1
	expect_output "connect\(\) to 127.0.0.1 port $port: Connection refused"
}

@test "http_standin stops cleanly on SIGTERM, even in the middle of a body" {
	start_server "$CH/http_standin" -r 50
	"$CH/fetch" -p "$SERVER_PORT" -u 1000000 >/dev/null 2>&1 3>&- &
	local fetch=$!
	wait_until 20 '[ "$(clients)" -ge 1 ]'
	stop_server
	wait "$fetch" || true
}

@test "http_standin under valgrind: no error, no leak, no open fd" {
	skip_under_sanitizer
	local log bad=
	SERVER_WRAPPER="valgrind --error-exitcode=99 --leak-check=full
		--show-leak-kinds=definite,indirect,possible
		--errors-for-leak-kinds=definite,indirect,possible
		--track-fds=yes --log-file=$BATS_TEST_TMPDIR/vg.%p.log"
	SERVER_START_WAIT=120 SERVER_STOP_WAIT=120 \
		start_server "$CH/http_standin" -r 1
	run "$CH/fetch" -p "$SERVER_PORT"
	expect_success
	run "$CH/fetch" -p "$SERVER_PORT" -u 20000
	expect_success
	stop_server
	compgen -G "$BATS_TEST_TMPDIR/vg.*.log" >/dev/null ||
		fail "valgrind wrote no log"
	for log in "$BATS_TEST_TMPDIR"/vg.*.log; do
		bad=$bad$(valgrind_problems "$log")
	done
	[ -z "$bad" ] || fail "valgrind found problems:" "$bad"
}

@test "rot13_blocking: a second client waits in the accept queue" {
	local a b line
	start_server "$CH/rot13_blocking"
	exec {a}<>"/dev/tcp/127.0.0.1/$SERVER_PORT"
	wait_until 20 '[ "$(accept_queue)" = 0 ]' # A taken by accept()
	exec {b}<>"/dev/tcp/127.0.0.1/$SERVER_PORT"
	printf 'Hello\n' >&"$b"
	# B's connect() returned, yet B is not accepted while A is served.
	wait_until 20 '[ "$(accept_queue)" = 1 ]'
	if read -r -t 1 -u "$b" line; then
		fail "B was answered while A was connected: $line"
	fi
	[ "$(accept_queue)" = 1 ] || fail "expected B still queued"
	exec {a}>&-
	read -r -t 20 -u "$b" line || fail "B got no answer after A left"
	exec {b}>&-
	[ "$line" = Uryyb ] || fail "expected Uryyb, got: $line"
}

@test "rot13_blocking -b 2: the accept queue holds backlog + 1, no more" {
	local pids=() i n a
	start_server "$CH/rot13_blocking" -b 2
	exec {a}<>"/dev/tcp/127.0.0.1/$SERVER_PORT"
	wait_until 20 '[ "$(accept_queue)" = 0 ]'
	# Five more clients, one at a time; each holds its socket for a
	# while. Their connect() may block (a dropped SYN is retried), so
	# each runs in the background.
	for i in 1 2 3 4 5; do
		(exec 4<>"/dev/tcp/127.0.0.1/$SERVER_PORT" && exec sleep 30) \
			2>/dev/null 3>&- &
		pids+=($!)
		wait_until 20 '[ "$(clients)" -ge $((i + 1)) ]'
	done
	wait_until 20 '[ "$(accept_queue)" = 3 ]'
	# Full: the two others wait outside it (a dropped SYN is retried).
	n=$(accept_queue)
	[ "$n" = 3 ] || fail "expected Recv-Q 3 (backlog 2 + 1), got $n"
	exec {a}>&-
	kill "${pids[@]}"
	wait "${pids[@]}" || true
}

@test "make run exits 0 and shows B answered after A left" {
	run make -s -C "$CH" run
	expect_success
	expect_output "recv\(\) = 0: the server closed"
	expect_output "[1-9][0-9]* partial|no partial send:"
	expect_output "B: still no answer after 1.5 s"
	expect_output "B gets \"Uryyb, oybpxvat jbeyq\""
}
