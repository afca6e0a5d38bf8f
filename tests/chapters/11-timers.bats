#!/usr/bin/env bats
# Chapter 11: timers. The demos say what the lesson says (orders and
# counts, never speeds), built against minievent and against libevent;
# rot13_idle speaks the protocol, drops an idle client, keeps an active
# one, and is valgrind clean; the demo works.

load ../helpers

CH=$TOP/chapters/11-timers

setup_file() {
	make -s -C "$TOP/chapters/11-timers" all >/dev/null
	if pkg-config --exists libevent_core 2>/dev/null; then
		make -s -C "$TOP/chapters/11-timers" compat >/dev/null
	fi
}

teardown() {
	[ -z "${IDLE_FD:-}" ] || exec {IDLE_FD}<&-
	stop_server
}

# Each claim below is checked for a suffix: "" (minievent) or ".libevent".

timer_demo_claims() {
	run "$CH/timer_demo$1"
	expect_success
	local want
	want=$(printf '%s\n' "persistent tick 1" "persistent tick 2" \
		"persistent tick 3" "re-adding the 200 ms timer" \
		"250 ms marker" "200 ms timer fired" \
		"pending for: read yes, timeout no" \
		"100 ms marker writes a byte  (timeout)" \
		"read event fired             (read)" \
		"pending: yes" "after event_del: pending no")
	local got
	got=$(grep -oE "persistent tick [0-9]|re-adding the 200 ms timer|250 ms marker|200 ms timer fired|pending for: read yes, timeout no|100 ms marker writes a byte  \(timeout\)|read event fired             \(read\)|pending: yes|after event_del: pending no" <<<"$output")
	[ "$got" = "$want" ] || fail "timer_demo$1: expected, in order:" \
		"$want" "got:" "$got"
	[ "$(grep -c "one-shot fired" <<<"$output")" -eq 1 ] ||
		fail "timer_demo$1: the one-shot timer must fire once" "$output"
}

drift_claims() {
	run "$CH/drift$1"
	expect_success
	[ "$(grep -c "tick 5 at" <<<"$output")" -eq 3 ] &&
		[ "$(grep -c "tick 6" <<<"$output")" -eq 0 ] ||
		fail "drift$1: expected 5 ticks for each of 3 timers" "$output"
}

common_timeout_claims() {
	run "$CH/common_timeout$1" -n 10000
	expect_success
	expect_output "common 10 s  = \{10, 1342177280\}  tv_usec = 0x50000000: magic 0x5, queue 0, 0 us"
	expect_output "common 50 ms = \{0, 1343275856\}  tv_usec = 0x5010c350: magic 0x5, queue 1, 50000 us"
	expect_output "fire in the order added: 0 1 2 3 4$"
}

cached_time_claims() {
	run "$CH/cached_time$1"
	expect_success
	expect_output "cached time    moved by +0\.0 ms \(unchanged\)"
	expect_output "event_base_update_cache_time\(\): moved by +[0-9.]+ ms \(forward\)"
	expect_output "set back    deadline kept in wall time: due in  3605 s"
}

busy_timer_claims() {
	run "$CH/busy_timer$1" seed
	expect_success
	local n
	n=$(sed -n 's/^seed: \([0-9]*\) callbacks.*/\1/p' <<<"$output")
	[ "${n:-0}" -gt 10000 ] ||
		fail "busy_timer$1 seed: expected > 10000 callbacks in 1 s" "$output"
	expect_output "pending inside its callback 0 times out of $n"
	run "$CH/busy_timer$1" fixed
	expect_success
	n=$(sed -n 's/^fixed: \([0-9]*\) callbacks.*/\1/p' <<<"$output")
	[ -n "$n" ] && [ "$n" -ge 1 ] && [ "$n" -le 10 ] ||
		fail "busy_timer$1 fixed: expected 1 to 10 callbacks" "$output"
}

@test "timer_demo: one-shot, persistent, re-add resets, remove_timer, pending" {
	timer_demo_claims ""
}

@test "drift: each timer ticks five times, then stops" {
	drift_claims ""
}

@test "common_timeout: the magic timeval, and FIFO firing" {
	common_timeout_claims ""
}

@test "cached_time: the cache stands still in a callback until updated" {
	cached_time_claims ""
}

@test "busy_timer: the seeds' timer spins, the persistent one does not" {
	busy_timer_claims ""
}

@test "the demos build and say the same against libevent 2.1" {
	need_libevent
	local p
	for p in timer_demo drift common_timeout cached_time busy_timer; do
		"${p}_claims" .libevent
	done
}

@test "rot13_idle: passes the protocol checks" {
	start_server "$CH/rot13_idle" -i 30
	check -n 200 -t 60
	expect_success
	check -c 50 -P -n 5 -t 60
	expect_success
	check -m long -n 100000 -t 60
	expect_success
	for mode in binary edges tail; do
		check -m "$mode" -t 60
		expect_success
	done
	check -r -w 7 -n 100 -t 60
	expect_success
}

# Opens a connection from bash and sends nothing.
connect_idle() {
	exec {IDLE_FD}<>"/dev/tcp/127.0.0.1/$SERVER_PORT"
}

@test "rot13_idle -i 1: an idle client is disconnected" {
	start_server "$CH/rot13_idle" -i 1
	connect_idle
	local rc=0
	read -r -t 30 -u "$IDLE_FD" _ || rc=$?
	[ "$rc" -eq 1 ] || fail "expected EOF (read status 1), got status $rc"
	wait_until 10 grep -q "idle for 1 s: disconnected" "$SERVER_OUT"
}

@test "rot13_idle -i 2: a client that sends every 0.3 s is kept" {
	start_server "$CH/rot13_idle" -i 2
	connect_idle
	local i line
	for i in 1 2 3 4 5 6 7 8 9 10; do
		printf 'ping %d\n' "$i" >&"$IDLE_FD"
		read -r -t 30 -u "$IDLE_FD" line ||
			fail "no answer to line $i: the client was dropped"
		[ "$line" = "cvat $i" ] || fail "expected 'cvat $i', got '$line'"
		sleep 0.3
	done
	! grep -q "disconnected" "$SERVER_OUT" ||
		fail "an active client was dropped" "$(cat "$SERVER_OUT")"
}

@test "rot13_idle under valgrind: no error, no leak, no open fd" {
	skip_under_sanitizer
	SERVER_WRAPPER="valgrind --error-exitcode=99 --leak-check=full
		--show-leak-kinds=definite,indirect,possible
		--errors-for-leak-kinds=definite,indirect,possible
		--track-fds=yes --log-file=$BATS_TEST_TMPDIR/vg.%p.log"
	SERVER_START_WAIT=120 SERVER_STOP_WAIT=120 \
		start_server "$CH/rot13_idle" -i 1
	check -P -n 20 -t 120
	expect_success
	check -c 10 -P -n 3 -t 120
	expect_success
	connect_idle
	local rc=0
	read -r -t 60 -u "$IDLE_FD" _ || rc=$?
	[ "$rc" -eq 1 ] || fail "expected EOF (read status 1), got status $rc"
	exec {IDLE_FD}<&-
	IDLE_FD=
	connect_idle # still open at the stop: freed by the clean exit
	stop_server INT
	local log bad=
	for log in "$BATS_TEST_TMPDIR"/vg.*.log; do
		bad=$bad$(valgrind_problems "$log")
	done
	[ -z "$bad" ] || fail "valgrind found problems:" "$bad"
}

@test "make run exits 0 and shows the idle client dropped" {
	run make -s -C "$CH" run
	expect_success
	expect_output "the server closed it after about"
	expect_output "1 dropped for idleness"
}
