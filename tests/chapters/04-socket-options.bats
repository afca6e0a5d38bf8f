#!/usr/bin/env bats
# Chapter 04: each demo's claim, checked from what it prints (and, where a
# second witness exists, from ss and valgrind), and `make run`.

load ../helpers

CH=$TOP/chapters/04-socket-options

# Prints the lines of $output from the line starting with "$1" up to the
# next numbered heading.
section() {
	awk -v head="$1" 'index($0, head) == 1 { on = 1; print; next }
		/^[0-9]\. / { on = 0 } on' <<<"$output"
}

# Checks that the section of $output starting with $1 matches regex $2.
expect_in() {
	local part
	part=$(section "$1")
	[[ $part =~ $2 ]] && return 0
	fail "in the part \"$1\", expected a line matching: $2" "got:" "$part"
}

@test "reuseaddr_demo: EADDRINUSE without SO_REUSEADDR, a new listener with it" {
	run "$CH/reuseaddr_demo"
	expect_success
	expect_in "1." "TIME_WAIT entry: 127\.0\.0\.1:[0-9]+ -> "
	expect_in "1." "no TIME_WAIT \(it closed second\)"
	expect_in "2." "without options: +bind: EADDRINUSE"
	expect_in "2." "with SO_REUSEPORT only: bind: EADDRINUSE"
	expect_in "2." "with SO_REUSEADDR: +ok, listening again"
	expect_in "3." "with SO_REUSEADDR: +bind: EADDRINUSE"
}

@test "reuseaddr_demo: ss sees the TIME_WAIT entry the demo reports" {
	command -v ss >/dev/null || skip "ss not installed"
	run "$CH/reuseaddr_demo"
	expect_success
	local port
	port=$(sed -n 's/.*TIME_WAIT entry: 127\.0\.0\.1:\([0-9]*\) .*/\1/p' \
		<<<"$output" | head -n 1)
	[ -n "$port" ] || fail "no TIME_WAIT entry line in:" "$output"
	run ss -Htan state time-wait "( sport = :$port )"
	[[ $output =~ 127\.0\.0\.1:$port ]] ||
		fail "expected ss to list a TIME_WAIT entry on port $port" \
			"got:" "$output"
}

@test "reuseport_demo: both listeners get connections; the rules hold" {
	run "$CH/reuseport_demo"
	expect_success
	local re="([0-9]+) connections: listener A accepted ([0-9]+), listener B accepted ([0-9]+)"
	[[ $output =~ $re ]] || fail "no count line in:" "$output"
	local total=${BASH_REMATCH[1]} a=${BASH_REMATCH[2]} b=${BASH_REMATCH[3]}
	[ "$((a + b))" -eq "$total" ] ||
		fail "expected A + B = $total, got $a + $b"
	[ "$a" -gt 0 ] && [ "$b" -gt 0 ] ||
		fail "expected both listeners to accept some, got A=$a B=$b"
	expect_in "2." "first without, second with: second bind: EADDRINUSE"
	expect_in "2." "first with, second without: second bind: EADDRINUSE"
	if [ "$(id -u)" -eq 0 ]; then
		expect_in "3." "joins user 0's group .*: bind: EADDRINUSE"
	fi
}

# The "received X of Y bytes, then Z" line of a linger_demo case.
linger_case() {
	local re="received ([0-9]+) of ([0-9]+) bytes, then ([A-Z]+)"
	local part
	part=$(section "$1")
	[[ $part =~ $re ]] || fail "no 'received' line in part $1:" "$part"
	got=${BASH_REMATCH[1]} sent=${BASH_REMATCH[2]} end=${BASH_REMATCH[3]}
}

@test "linger_demo: linger 0 resets (ECONNRESET, data lost, no TIME_WAIT); a normal close ends with EOF" {
	local got sent end
	run "$CH/linger_demo"
	expect_success
	linger_case "1." || return 1
	[ "$end" = EOF ] && [ "$got" -eq "$sent" ] ||
		fail "default close: expected all $sent bytes then EOF," \
			"got $got bytes then $end"
	expect_in "1." "TIME_WAIT on server port [0-9]+: yes"
	linger_case "2." || return 1
	[ "$end" = ECONNRESET ] && [ "$got" -lt "$sent" ] ||
		fail "linger 0: expected fewer than $sent bytes then ECONNRESET," \
			"got $got bytes then $end"
	expect_in "2." "TIME_WAIT on server port [0-9]+: none"
	linger_case "3." || return 1
	[ "$end" = EOF ] && [ "$got" -eq "$sent" ] ||
		fail "linger 1 s: expected all $sent bytes then EOF," \
			"got $got bytes then $end"
	expect_in "3." "close\(\) returned 0 after"
	linger_case "5." || return 1
	[ "$end" = ECONNRESET ] ||
		fail "close with unread input: expected ECONNRESET, got $end"
}

@test "shutdown_demo: the answer to a half-close arrives; close() of a dup keeps the connection" {
	run "$CH/shutdown_demo"
	expect_success
	# ROT13 of the question "Why half-close?"
	expect_in "1." 'still received "Jul unys-pybfr\?"'
	expect_in "2." "received 10 bytes \(\"still open\"\), no EOF"
	expect_in "2." "recv\(\) returned 0: EOF"
	expect_in "3." "recv\(\) returned 0 at once"
	expect_in "3." "recv\(\) now returns 4"
}

@test "sigpipe_demo: SIGPIPE kills by default; MSG_NOSIGNAL and SIG_IGN give EPIPE" {
	run "$CH/sigpipe_demo"
	expect_success
	expect_in "1." "child killed by signal 13 \(SIGPIPE\)"
	expect_in "2." "send #2: -1, EPIPE"
	expect_in "2." "child exited with status 0"
	expect_in "3." "write #2: -1, EPIPE"
	expect_in "3." "child exited with status 0"
}

@test "chapter 04: every demo is valgrind clean (errors, leaks, descriptors)" {
	skip_under_sanitizer
	command -v valgrind >/dev/null || skip "valgrind not installed"
	local prog log bad=
	for prog in reuseaddr_demo reuseport_demo linger_demo shutdown_demo \
		sigpipe_demo; do
		run valgrind --error-exitcode=99 --leak-check=full \
			--show-leak-kinds=definite,indirect,possible \
			--errors-for-leak-kinds=definite,indirect,possible \
			--track-fds=yes --child-silent-after-fork=no \
			--log-file="$BATS_TEST_TMPDIR/$prog.%p.log" "$CH/$prog"
		[ "$status" -eq 0 ] || bad="$bad$prog exited with $status; "
	done
	for log in "$BATS_TEST_TMPDIR"/*.log; do
		# A child killed by SIGPIPE dies holding the socket it wrote
		# to: that is the point of the demo, so only its memory counts.
		if grep -q "default action of signal 13" "$log"; then
			grep -q "ERROR SUMMARY: 0 errors" "$log" ||
				bad="$bad$(basename "$log"): errors; "
			continue
		fi
		bad=$bad$(valgrind_problems "$log")
	done
	[ -z "$bad" ] || fail "valgrind found problems:" "$bad"
}

@test "chapter 04: make run exits 0 and runs all five demos" {
	run make -s -C "$CH" run
	expect_success
	local demo
	for demo in reuseaddr_demo reuseport_demo linger_demo shutdown_demo \
		sigpipe_demo; do
		[[ $output =~ \($demo\) ]] || fail "make run did not run $demo:" \
			"$output"
	done
}
