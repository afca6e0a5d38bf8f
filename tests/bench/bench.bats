#!/usr/bin/env bats
# The benchmark runner's smoke test: quick mode (BENCH_QUICK=1) builds the
# benchmarks, runs every row and writes a table with a number in each. It
# checks that the benchmarks work, never how fast they are.

# helpers.bash is in tests/, whether this file is in tests/bench/ or tests/.
load "${BATS_TEST_DIRNAME%/bench}/helpers"

BENCH=$TOP/tests/bench

ROWS=(
	"pipe N=100 A=1|us/round"
	"pipe N=100 A=100|us/round"
	"pipe N=1000 A=1|us/round"
	"pipe N=1000 A=100|us/round"
	"pipe N=10000 A=1|us/round"
	"pipe N=10000 A=100|us/round"
	"timer add+del, random durations|ns/pair"
	"timer add+del, one duration|ns/pair"
	"timer add+del, common timeout|ns/pair"
	"timer fire, random durations|ns/timer"
	"timer fire, one duration|ns/timer"
	"timer fire, common timeout|ns/timer"
)

# Prints $1 with the characters special in an extended regex escaped.
escape() {
	sed 's/[][\.*^$+?(){}|]/\\&/g' <<<"$1"
}

# Fails unless every row appears twice (CPU and wall-clock tables) in the
# file $1 with a number in the libevent column, and, if $2 is "both", in
# the minievent and ratio columns too.
expect_rows() {
	local row name unit num='[0-9]+(\.[0-9]+)?' want n missing=
	for row in "${ROWS[@]}"; do
		name=${row%|*} unit=${row#*|}
		want="^\| $(escape "$name") \| $(escape "$unit") \| $num \| "
		[ "$2" != both ] || want="$want$num \| $num \| "
		n=$(grep -cE "$want" "$1") || true
		[ "$n" -eq 2 ] || missing="$missing
  $name ($n of 2 tables)"
	done
	[ -z "$missing" ] && return 0
	fail "expected a number in every row of both tables; rows wrong:" \
		"$missing" "the table:" "$(cat "$1")"
}

@test "bench: quick mode against libevent prints a number in every row" {
	local out=$BATS_TEST_TMPDIR/results.md
	run env BENCH_QUICK=1 BENCH_LIBS=libevent BENCH_OUT="$out" \
		"$BENCH/run.sh"
	expect_success
	expect_output "minievent: left out \(BENCH_LIBS=libevent\)"
	[ -s "$out" ] || fail "expected the table in $out; the output was:" \
		"$output"
	expect_rows "$out" libevent
}

@test "bench: quick mode against both libraries, once lib/ builds" {
	make -s -C "$BENCH" minievent >/dev/null 2>&1 ||
		skip "the benchmarks do not build against lib/ yet"
	local out=$BATS_TEST_TMPDIR/results.md
	run env BENCH_QUICK=1 BENCH_OUT="$out" "$BENCH/run.sh"
	expect_success
	expect_rows "$out" both
}

@test "bench: the programs refuse arguments they cannot run with" {
	make -s -C "$BENCH" libevent >/dev/null 2>&1 ||
		fail "the benchmarks do not build against libevent"
	run "$BENCH/build/libevent/bench_pipe" -n 10 -a 11
	expect_status 2
	run "$BENCH/build/libevent/bench_timer" -m churn -d sometimes
	expect_status 2
	expect_output "usage: bench_timer"
}
