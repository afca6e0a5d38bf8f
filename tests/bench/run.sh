#!/usr/bin/env bash
# tests/bench/run.sh - runs the benchmarks against libevent and minievent,
# side by side, and prints a table of medians (make bench at the top).
#
#   tests/bench/run.sh              5 runs per library, about 1-3 minutes
#   BENCH_QUICK=1 tests/bench/run.sh   1 run, small sizes: a smoke test
#
# Knobs (environment):
#   BENCH_RUNS=N       runs per library (default 5, quick 1)
#   BENCH_LIBS=libevent   leave minievent out even if it builds
#   BENCH_OUT=FILE     where the table goes (default tests/bench/results.md;
#                      quick: tests/bench/build/results-quick.md)
#   BENCH_CPU=N        pin every run to CPU N with taskset
#
# Runs alternate between the libraries (row by row: libevent, minievent,
# then minievent, libevent on the next run), so that a burst of load from
# elsewhere on the machine hits both alike. Each cell of the table is the
# median over the runs. Benchmarks report; this script fails only when it
# cannot build or run the libevent side at all.
set -u
cd "$(dirname "$0")" || exit 1
HERE=$PWD
BUILD=$HERE/build

QUICK=${BENCH_QUICK:-}
RUNS=${BENCH_RUNS:-$([ -n "$QUICK" ] && echo 1 || echo 5)}
OUT=${BENCH_OUT:-$([ -n "$QUICK" ] && echo "$BUILD/results-quick.md" ||
	echo "$HERE/results.md")}
if [ -n "$QUICK" ]; then
	PIPE="-w 2000 -r 4" CHURN="-c 100000 -r 3" FIRE="-c 20000 -r 3" LIMIT=30
	BUF="-t 10 -r 3" PING="-c 5000 -r 3" STREAM="-c 50000 -r 3"
else
	PIPE="-w 10000 -r 16" CHURN="-c 1000000 -r 11" FIRE="-c 100000 -r 11" LIMIT=120
	BUF="-t 100 -r 11" PING="-c 100000 -r 11" STREAM="-c 1000000 -r 11"
fi
PIN=()
[ -z "${BENCH_CPU:-}" ] || PIN=(taskset -c "$BENCH_CPU")

# name | unit | program and arguments
ROWS=(
	"pipe N=100 A=1|us/round|bench_pipe -n 100 -a 1 $PIPE"
	"pipe N=100 A=100|us/round|bench_pipe -n 100 -a 100 $PIPE"
	"pipe N=1000 A=1|us/round|bench_pipe -n 1000 -a 1 $PIPE"
	"pipe N=1000 A=100|us/round|bench_pipe -n 1000 -a 100 $PIPE"
	"pipe N=10000 A=1|us/round|bench_pipe -n 10000 -a 1 $PIPE"
	"pipe N=10000 A=100|us/round|bench_pipe -n 10000 -a 100 $PIPE"
	"timer add+del, random durations|ns/pair|bench_timer -m churn -d random $CHURN"
	"timer add+del, one duration|ns/pair|bench_timer -m churn -d same $CHURN"
	"timer add+del, common timeout|ns/pair|bench_timer -m churn -d common $CHURN"
	"timer fire, random durations|ns/timer|bench_timer -m fire -d random $FIRE"
	"timer fire, one duration|ns/timer|bench_timer -m fire -d same $FIRE"
	"timer fire, common timeout|ns/timer|bench_timer -m fire -d common $FIRE"
	"evbuffer add+remove, 64-byte lines|ns/line|bench_buffer -m addremove $BUF"
	"evbuffer readln, 64-byte lines|ns/line|bench_buffer -m readln $BUF"
	"bufferevent ROT13 ping-pong|ns/round trip|bench_bev -m pingpong $PING"
	"bufferevent ROT13 stream, 256 lines in flight|ns/line|bench_bev -m stream $STREAM"
)

TMP=$(mktemp -d) || exit 1
trap 'rm -rf "$TMP"' EXIT
declare -A CPU WALL METHOD
NOTES=()

# Builds both sides; sets LIBS to those that built, and says in one line
# why minievent is left out when it is.
build() {
	LIBS=()
	if ! make -s libevent >"$TMP/build.log" 2>&1; then
		cat "$TMP/build.log" >&2
		echo "run.sh: the benchmarks do not build against libevent" >&2
		exit 1
	fi
	LIBS=(libevent)
	local why=
	if [ "${BENCH_LIBS:-}" = libevent ]; then
		why="minievent: left out (BENCH_LIBS=libevent)"
	elif [ ! -f ../../lib/libminievent.a ]; then
		why="minievent: lib/libminievent.a is not built yet; running the libevent side only"
	elif ! make -s minievent >"$TMP/build.log" 2>&1; then
		why="minievent: the benchmarks do not build against lib/ ($(first_error "$TMP/build.log")); running the libevent side only"
	else
		LIBS+=(minievent)
	fi
	[ -z "$why" ] || { echo "$why"; NOTES+=("$why"); }
}

# Prints the first compiler or linker complaint in the log $1, shortened.
first_error() {
	grep -E 'undefined reference|error:' "$1" | grep -v collect2 |
		sed -n '1{s/.*\(undefined reference\)/\1/; s/^[^ ]*: //; p}' |
		cut -c1-100
}

# Runs one row once for one library; appends the value, or "fail".
run_one() {
	local lib=$1 i=$2 cmd line wall method
	cmd=${ROWS[i]##*|}
	# shellcheck disable=SC2086 # $cmd is the program and its arguments
	if line=$("${PIN[@]}" timeout "$LIMIT" "$BUILD/$lib/"$cmd \
		2>"$TMP/err"); then
		wall=${line#* wall=} method=${line#*method=}
		CPU[$lib,$i]+="${line##*cpu=} "
		WALL[$lib,$i]+="${wall%% *} "
		# bench_buffer has no event_base: "method=none".
		[ "${method%% *}" = none ] || METHOD[$lib]=${method%% *}
		clamp_note "$line"
	else
		CPU[$lib,$i]+="fail "
		WALL[$lib,$i]+="fail "
		NOTES+=("$lib, ${ROWS[i]%%|*}: failed: $(head -c 200 "$TMP/err" |
			head -n 1)")
	fi
}

# bench_pipe uses fewer pairs than asked when the descriptor limit is low.
clamp_note() {
	local n asked
	n=$(sed -n 's/.* n=\([0-9]*\) asked=\([0-9]*\).*/\1/p' <<<"$1")
	asked=$(sed -n 's/.* asked=\([0-9]*\).*/\1/p' <<<"$1")
	[ -n "$n" ] && [ "$n" != "$asked" ] || return 0
	NOTES+=("N=$asked ran with $n socketpairs: two descriptors each must fit under RLIMIT_NOFILE's hard limit ($(ulimit -Hn))")
}

# Prints the median of the values given, or "fail" if any failed.
median() {
	case " $* " in *" fail "*) echo fail; return ;; esac
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
		END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		      printf "%.1f\n", m }'
}

# Prints (max - min) / median in percent: how much the runs disagree.
spread() {
	case " $* " in *" fail "*) echo "-"; return ;; esac
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
		END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		      if (NR < 2 || m == 0) print "-"
		      else printf "%.0f%%\n", 100 * (v[NR] - v[1]) / m }'
}

# Prints the table of one clock's numbers; $1 names the array (CPU, WALL).
table() {
	local -n vals=$1
	local i le me ratio s1 s2 name unit
	echo "| benchmark | unit | libevent | minievent | minievent/libevent | spread (le, me) |"
	echo "|---|---|--:|--:|--:|--:|"
	for i in "${!ROWS[@]}"; do
		# shellcheck disable=SC2086 # the values are a list of numbers
		le=$(median ${vals[libevent,$i]})
		# shellcheck disable=SC2086
		s1=$(spread ${vals[libevent,$i]})
		me=- s2=- ratio=-
		if [ -n "${vals[minievent,$i]:-}" ]; then
			# shellcheck disable=SC2086
			me=$(median ${vals[minievent,$i]})
			# shellcheck disable=SC2086
			s2=$(spread ${vals[minievent,$i]})
			[ "$le" = fail ] || [ "$me" = fail ] ||
				ratio=$(awk -v a="$me" -v b="$le" \
					'BEGIN { printf "%.2f\n", a / b }')
		fi
		IFS='|' read -r name unit _ <<<"${ROWS[i]}"
		echo "| $name | $unit | $le | $me | $ratio | $s1, $s2 |"
	done
}

report() {
	local cpu
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
	echo "# Benchmarks: minievent against libevent"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs (${cpu:-unknown CPU})," \
		"Linux $(uname -r), libevent $(pkg-config --modversion libevent_core)" \
		"($(printf '%s' "${METHOD[libevent]:-?}"))${METHOD[minievent]:+, minievent (${METHOD[minievent]})};" \
		"$RUNS run(s) per library, alternating${QUICK:+, quick mode (small sizes)}."
	echo "Lower is better in every column; a ratio above 1 means minievent is slower."
	echo "Spread: (slowest run - fastest run) / median, per library."
	echo
	echo "## CPU time (the process's CPU clock: steadier on a shared machine)"
	echo
	table CPU
	echo
	echo "## Wall-clock time (what a user waits for)"
	echo
	table WALL
	if [ ${#NOTES[@]} -gt 0 ]; then
		echo
		printf '%s\n' "${NOTES[@]}" | sort -u | sed 's/^/- /'
	fi
}

main() {
	local run i lib order
	build
	for ((run = 1; run <= RUNS; run++)); do
		order=("${LIBS[@]}")
		[ $((run % 2)) -eq 1 ] ||
			mapfile -t order < <(printf '%s\n' "${LIBS[@]}" | tac)
		printf 'run %d/%d (%s):' "$run" "$RUNS" "${order[*]}" >&2
		for i in "${!ROWS[@]}"; do
			for lib in "${order[@]}"; do
				run_one "$lib" "$i"
			done
			printf ' %d' $((i + 1)) >&2
		done
		echo >&2
	done
	mkdir -p "$(dirname "$OUT")"
	report | tee "$OUT"
	echo "(written to ${OUT#"$HERE"/})"
}

main
