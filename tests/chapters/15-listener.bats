#!/usr/bin/env bats
# Chapter 15: the listener. Out of descriptors (a lowered RLIMIT_NOFILE),
# minievent's listener sleeps instead of spinning and then serves the
# clients that waited, while the same program on libevent spins; the
# pause in rot13_listener's own error callback works on both libraries;
# each LEV_OPT_* flag does what it says, the same on both; two servers
# share a port with -r; a bufferevent without BEV_OPT_CLOSE_ON_FREE leaks
# a descriptor per client (the lesson's experiment); the demo works.

load ../helpers

CH=$TOP/chapters/15-listener
NOFILE=32 # the exhausted server's descriptor limit

setup() {
	HOLDERS=()
	WAITER= FIRST_PID=
}

teardown() {
	stop_holders
	if [ -n "$WAITER" ]; then
		kill "$WAITER" 2>/dev/null
		wait "$WAITER" 2>/dev/null
	fi
	stop_server
	if [ -n "$FIRST_PID" ]; then
		SERVER_PID=$FIRST_PID
		stop_server
	fi
}

# Elapsed time since boot, in clock ticks (the unit of cpu_ticks).
uptime_ticks() {
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%d\n", $1 * hz }' /proc/uptime
}

# exhaust PROG PATTERN [.err]: starts PROG allowed NOFILE descriptors, and
# 60 clients that stay connected: about 25 fit, the rest wait in the
# listen queue. Returns once the server's stdout (stderr with .err) has a
# line matching PATTERN, the sign that accept() failed.
exhaust() {
	# Only the soft limit is lowered, and server_start is called
	# directly: start_server would raise it again.
	ulimit -Sn "$NOFILE"
	server_start "$1" || fail "could not start $1"
	ulimit -Sn "$(ulimit -Hn)"
	"$CHECK" -p "$SERVER_PORT" -i 59 -N -n 1 -t 200 >/dev/null 2>&1 3>&- &
	HOLDERS+=($!)
	wait_until 60 grep -q -e "$2" "$SERVER_OUT${3:-}" ||
		fail "expected accept() to fail with EMFILE; stdout:" \
			"$(cat "$SERVER_OUT")" "stderr:" "$(cat "$SERVER_OUT.err")"
	# Five more clients, which can only wait in the queue for now.
	"$CHECK" -p "$SERVER_PORT" -c 5 -P -n 3 -t 120 \
		>"$BATS_TEST_TMPDIR/waiters" 2>&1 3>&- &
	WAITER=$!
}

# CPU ticks the server uses in 2 s while exhausted: a spinning loop uses
# about all the elapsed ticks, a paused one next to none. Prints "used
# elapsed".
cpu_while_exhausted() {
	local t0 t1 u0 u1
	t0=$(cpu_ticks "$SERVER_PID") u0=$(uptime_ticks)
	sleep 2
	t1=$(cpu_ticks "$SERVER_PID") u1=$(uptime_ticks)
	echo "$((t1 - t0)) $((u1 - u0))"
}

# The holders leave; the five waiting clients must then be served.
release_and_serve() {
	local status=0
	# Under bats' errexit the helper would stop at the holders' status
	# (143, killed by SIGTERM) without "|| true".
	stop_holders || true
	wait "$WAITER" || status=$?
	WAITER=
	[ "$status" -eq 0 ] || fail "expected the 5 clients that waited to" \
		"be served once descriptors came back (status 0), got status" \
		"$status:" "$(cat "$BATS_TEST_TMPDIR/waiters")"
	grep -q "ok: 5 connections" "$BATS_TEST_TMPDIR/waiters" ||
		fail "expected 'ok: 5 connections', got:" \
			"$(cat "$BATS_TEST_TMPDIR/waiters")"
}

# The error callbacks emfile_server counted, from its line at exit.
error_callbacks() {
	sed -n 's/.*accepted, \([0-9]*\) error callbacks$/\1/p' <<<"$SERVER_LOG"
}

@test "emfile_server on minievent: out of descriptors the loop sleeps, then serves the clients that waited" {
	local cpu used elapsed start errors
	start=$SECONDS
	exhaust "$CH/emfile_server" "error callback 1)"
	read -r used elapsed <<<"$(cpu_while_exhausted)"
	[ $((5 * used)) -lt "$elapsed" ] ||
		fail "expected the exhausted server to sleep (under 20% of a" \
			"CPU); it used $used CPU ticks in $elapsed"
	release_and_serve
	wait_until 30 grep -q "accepting again after" "$SERVER_OUT"
	stop_server
	errors=$(error_callbacks)
	# minievent retries every 100 ms: about 10 callbacks a second, plus
	# one per descriptor freed while the clients leave.
	[ -n "$errors" ] && [ "$errors" -le $((20 * (SECONDS - start) + 100)) ] ||
		fail "expected about 10 error callbacks a second for" \
			"$((SECONDS - start)) s, got '$errors':" "$SERVER_LOG"
}

@test "emfile_server on libevent: the same program spins (its error callback runs in a busy loop)" {
	need_libevent
	local errors
	run make -s -C "$CH" .build/emfile_server-libevent
	expect_success
	exhaust "$CH/.build/emfile_server-libevent" "error callback 1)"
	cpu_while_exhausted >/dev/null
	release_and_serve
	stop_server
	errors=$(error_callbacks)
	[ -n "$errors" ] && [ "$errors" -ge 1000 ] ||
		fail "expected libevent to call the error callback in a busy" \
			"loop (thousands of times in 2 s), got '$errors':" \
			"$SERVER_LOG"
}

@test "rot13_listener: its error callback pauses accepting, the loop sleeps, the clients that waited are served" {
	local used elapsed
	exhaust "$CH/rot13_listener" "accept: Too many open files; pausing" \
		.err
	read -r used elapsed <<<"$(cpu_while_exhausted)"
	[ $((5 * used)) -lt "$elapsed" ] ||
		fail "expected the exhausted server to sleep (under 20% of a" \
			"CPU); it used $used CPU ticks in $elapsed"
	release_and_serve
	wait_until 30 grep -q "accepting again after [0-9]* pauses" \
		"$SERVER_OUT.err"
	check -P -n 3 -t 60
	expect_success
}

@test "rot13_listener built against libevent: the same pause keeps libevent from spinning" {
	need_libevent
	local used elapsed
	run make -s -C "$CH" .build/rot13_listener-libevent
	expect_success
	exhaust "$CH/.build/rot13_listener-libevent" \
		"accept: Too many open files; pausing" .err
	read -r used elapsed <<<"$(cpu_while_exhausted)"
	[ $((5 * used)) -lt "$elapsed" ] ||
		fail "expected the exhausted server to sleep (under 20% of a" \
			"CPU); it used $used CPU ticks in $elapsed"
	release_and_serve
}

@test "listener_flags: each LEV_OPT_* flag changes what it should" {
	run "$CH/listener_flags"
	expect_success
	expect_output "LEAVE_SOCKETS_BLOCKING
    with:    accepted socket O_NONBLOCK off
    without: accepted socket O_NONBLOCK on"
	expect_output "CLOSE_ON_FREE
    with:    after evconnlistener_free: fd closed
    without: after evconnlistener_free: fd still open"
	expect_output "CLOSE_ON_EXEC
    with:    FD_CLOEXEC: listener on, accepted socket on
    without: FD_CLOEXEC: listener off, accepted socket off"
	expect_output "REUSEABLE
    with:    SO_REUSEADDR on
    without: SO_REUSEADDR off"
	expect_output "REUSEABLE_PORT
    with:    SO_REUSEPORT on; a 2nd listener on the port: listening
    without: SO_REUSEPORT off; a 2nd listener on the port: Address already in use"
	expect_output "DISABLED
    with:    a waiting client is accepted only after evconnlistener_enable\(\)
    without: a waiting client is accepted at once"
	expect_output "DEFERRED_ACCEPT
    with:    TCP_DEFER_ACCEPT on; accepted with 5 bytes received
    without: TCP_DEFER_ACCEPT off; accepted with 0 bytes received"
}

@test "listener_flags: the same source on libevent 2.1 prints the same lines" {
	need_libevent
	local mine
	run "$CH/listener_flags"
	expect_success
	mine=$output
	run make -s -C "$CH" .build/listener_flags-libevent
	expect_success
	run "$CH/.build/listener_flags-libevent"
	expect_success
	[ "$output" = "$mine" ] || fail "minievent printed:" "$mine" \
		"libevent printed:" "$output"
}

@test "rot13_listener -r: two servers share one port and both get clients; without -r the second is refused" {
	local first_out port
	start_server "$CH/rot13_listener" -r
	FIRST_PID=$SERVER_PID first_out=$SERVER_OUT port=$SERVER_PORT
	run "$CH/rot13_listener" -p "$port"
	expect_status 1
	expect_output "listen on 127.0.0.1:$port: Address already in use"
	start_server "$CH/rot13_listener" -r -p "$port"
	[ "$SERVER_PORT" = "$port" ] ||
		fail "expected the second server on port $port, got $SERVER_PORT"
	check -c 200 -n 2 -t 60
	expect_success
	stop_server
	[[ $SERVER_LOG =~ rot13_listener:\ ([0-9]+)\ clients\ accepted ]] &&
		[ "${BASH_REMATCH[1]}" -ge 1 ] ||
		fail "expected the second server to get clients too:" \
			"$SERVER_LOG"
	SERVER_PID=$FIRST_PID SERVER_OUT=$first_out FIRST_PID=
	stop_server
	[[ $SERVER_LOG =~ rot13_listener:\ ([0-9]+)\ clients\ accepted ]] &&
		[ "${BASH_REMATCH[1]}" -ge 1 ] ||
		fail "expected the first server to get clients:" "$SERVER_LOG"
}

@test "the lesson's leak: without BEV_OPT_CLOSE_ON_FREE each client leaves a descriptor behind" {
	local leaky=$BATS_TEST_TMPDIR/rot13_leaky san=
	sed 's/BEV_OPT_CLOSE_ON_FREE)) == NULL/0)) == NULL/' \
		"$CH/rot13_listener.c" >"$leaky.c"
	! cmp -s "$CH/rot13_listener.c" "$leaky.c" ||
		fail "the experiment's sed no longer matches rot13_listener.c"
	# Under `make sanitize`, lib/ is built with the sanitizers: link them.
	[ "${SANITIZE:-}" != 1 ] || san=-fsanitize=address,undefined
	run cc -std=c11 -D_GNU_SOURCE -I"$TOP/chapters/common" \
		-I"$TOP/lib/include" -o "$leaky" "$leaky.c" \
		"$TOP"/chapters/common/{net,rot13}.c "$TOP/lib/libminievent.a" \
		$san
	expect_success
	start_server "$leaky"
	# Every answer comes, but never the close: the socket stays open.
	check -c 50 -n 2 -t 3
	expect_status 2
	expect_output "timed out"
	[ "$(client_sockets)" -ge 50 ] ||
		fail "expected 50 leaked sockets, the server holds $(client_sockets)"
}

@test "make run exits 0 and shows the pause, the spin and the clients that waited served" {
	run make -s -C "$CH" run
	expect_success
	expect_output "SO_REUSEPORT on; a 2nd listener on the port: listening"
	expect_output "Address already in use"
	expect_output "emfile_server: accept: Too many open files"
	expect_output "accepting again after"
	expect_output "the waiting client: ok: 1 connection"
}
