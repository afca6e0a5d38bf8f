#!/usr/bin/env bats
# tests/lib/lib.bats - the lib test programs (tests/lib/test_*.c), each on
# every backend and once under valgrind, each run a separate bats test.
#
#   bats tests/lib/lib.bats                  against minievent (lib/)
#   LIB=libevent bats tests/lib/lib.bats     against libevent 2.1, which
#                                            proves the tests themselves
#
# A program that tests minievent's insides (it includes a lib/ file) is
# built only for minievent; against libevent its tests are skipped.

load ../helpers

LIBDIR=$TOP/tests/lib

setup_file() {
	export LIB=${LIB:-minievent}
	make -s -C "$LIBDIR" LIB="$LIB" all >"$BATS_FILE_TMPDIR/build.log" 2>&1 ||
		echo failed >"$BATS_FILE_TMPDIR/build.failed"
}

# run_prog PROGRAM BACKEND [-v]: runs it; fails with its output unless
# every case passed.
run_prog() {
	local prog=$LIBDIR/build-$LIB/$1
	if [ -f "$BATS_FILE_TMPDIR/build.failed" ]; then
		fail "make -C tests/lib LIB=$LIB failed:" \
			"$(tail -n 30 "$BATS_FILE_TMPDIR/build.log")"
		return 1
	fi
	if [ ! -x "$prog" ]; then
		[ -f "$LIBDIR/$1.c" ] || skip "$1.c does not exist yet"
		skip "$1 is built only against minievent"
	fi
	if [ "${3:-}" = -v ]; then
		skip_under_sanitizer
		command -v valgrind >/dev/null || skip "valgrind not installed"
		run "$LIBDIR/run.sh" -v "$2" "$prog"
	else
		run "$LIBDIR/run.sh" "$2" "$prog"
	fi
	[ "$status" -eq 0 ] && return 0
	fail "$1 on $2${3:+ under valgrind}: expected every case to pass;" \
		"got exit status $status. Output:" "$output"
}

@test "lib: test_base on epoll" {
	run_prog test_base epoll
}

@test "lib: test_base on poll" {
	run_prog test_base poll
}

@test "lib: test_base on select" {
	run_prog test_base select
}

@test "lib: test_base under valgrind (epoll)" {
	run_prog test_base epoll -v
}

@test "lib: test_event on epoll" {
	run_prog test_event epoll
}

@test "lib: test_event on poll" {
	run_prog test_event poll
}

@test "lib: test_event on select" {
	run_prog test_event select
}

@test "lib: test_event under valgrind (epoll)" {
	run_prog test_event epoll -v
}

@test "lib: test_loop on epoll" {
	run_prog test_loop epoll
}

@test "lib: test_loop on poll" {
	run_prog test_loop poll
}

@test "lib: test_loop on select" {
	run_prog test_loop select
}

@test "lib: test_loop under valgrind (epoll)" {
	run_prog test_loop epoll -v
}

@test "lib: test_timer on epoll" {
	run_prog test_timer epoll
}

@test "lib: test_timer on poll" {
	run_prog test_timer poll
}

@test "lib: test_timer on select" {
	run_prog test_timer select
}

@test "lib: test_timer under valgrind (epoll)" {
	run_prog test_timer epoll -v
}

@test "lib: test_signal on epoll" {
	run_prog test_signal epoll
}

@test "lib: test_signal on poll" {
	run_prog test_signal poll
}

@test "lib: test_signal on select" {
	run_prog test_signal select
}

@test "lib: test_signal under valgrind (epoll)" {
	run_prog test_signal epoll -v
}

@test "lib: test_log_mm on epoll" {
	run_prog test_log_mm epoll
}

@test "lib: test_log_mm on poll" {
	run_prog test_log_mm poll
}

@test "lib: test_log_mm on select" {
	run_prog test_log_mm select
}

@test "lib: test_log_mm under valgrind (epoll)" {
	run_prog test_log_mm epoll -v
}

@test "lib: test_evutil on epoll" {
	run_prog test_evutil epoll
}

@test "lib: test_evutil on poll" {
	run_prog test_evutil poll
}

@test "lib: test_evutil on select" {
	run_prog test_evutil select
}

@test "lib: test_evutil under valgrind (epoll)" {
	run_prog test_evutil epoll -v
}

@test "lib: test_minheap on epoll" {
	run_prog test_minheap epoll
}

@test "lib: test_minheap on poll" {
	run_prog test_minheap poll
}

@test "lib: test_minheap on select" {
	run_prog test_minheap select
}

@test "lib: test_minheap under valgrind (epoll)" {
	run_prog test_minheap epoll -v
}

@test "lib: test_backends on epoll" {
	run_prog test_backends epoll
}

@test "lib: test_backends on poll" {
	run_prog test_backends poll
}

@test "lib: test_backends on select" {
	run_prog test_backends select
}

@test "lib: test_backends under valgrind (epoll)" {
	run_prog test_backends epoll -v
}

@test "lib: test_buffer on epoll" {
	run_prog test_buffer epoll
}

@test "lib: test_buffer on poll" {
	run_prog test_buffer poll
}

@test "lib: test_buffer on select" {
	run_prog test_buffer select
}

@test "lib: test_buffer under valgrind (epoll)" {
	run_prog test_buffer epoll -v
}

@test "lib: test_bufferevent on epoll" {
	run_prog test_bufferevent epoll
}

@test "lib: test_bufferevent on poll" {
	run_prog test_bufferevent poll
}

@test "lib: test_bufferevent on select" {
	run_prog test_bufferevent select
}

@test "lib: test_bufferevent under valgrind (epoll)" {
	run_prog test_bufferevent epoll -v
}

@test "lib: test_listener on epoll" {
	run_prog test_listener epoll
}

@test "lib: test_listener on poll" {
	run_prog test_listener poll
}

@test "lib: test_listener on select" {
	run_prog test_listener select
}

@test "lib: test_listener under valgrind (epoll)" {
	run_prog test_listener epoll -v
}
