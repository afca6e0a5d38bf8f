#!/usr/bin/env bash
# idle_cpu.sh - chapter 05: the CPU time a server uses while nobody talks to
# it, for the busy-polling server against the blocking ones.
#
#   ./idle_cpu.sh [SECONDS]      (default 2)
#
# Starts every server that is built (rot13_blocking from chapter 01, and
# rot13_fork and rot13_thread if chapters 02 and 03 are built) next to
# rot13_busypoll, all at once, leaves them idle for SECONDS, and reads the
# CPU time each used meanwhile (utime and stime, fields 14 and 15 of
# /proc/PID/stat, in clock ticks). Then stops them by PID. It reports; it
# asserts nothing: the numbers depend on the machine and its load.
cd "$(dirname "$0")" || exit 1
# shellcheck source=../common/serverctl.sh
. ../common/serverctl.sh

secs=${1:-2}
hz=$(getconf CLK_TCK)
candidates=(../01-blocking-io/rot13_blocking
	../02-fork-per-connection/rot13_fork
	../03-thread-per-connection/rot13_thread
	./rot13_busypoll)

# Prints "utime stime" of PID, in clock ticks.
cpu_ticks() {
	local stat fields
	read -r stat <"/proc/$1/stat" || return 1
	read -ra fields <<<"${stat##*) }" # fields[0] is field 3, the state
	echo "${fields[11]} ${fields[12]}"
}

names=() pids=() outs=() before=()
stop_all() {
	local i
	for i in "${!pids[@]}"; do
		SERVER_PID=${pids[$i]}
		server_stop >/dev/null 2>&1
		rm -f "${outs[$i]}" "${outs[$i]}.err"
	done
}
trap stop_all EXIT

for prog in "${candidates[@]}"; do
	[ -x "$prog" ] || continue
	server_start "$prog" || exit 1
	names+=("$(basename "$prog")") pids+=("$SERVER_PID")
	outs+=("$SERVER_OUT")
done
for pid in "${pids[@]}"; do
	before+=("$(cpu_ticks "$pid")") || exit 1
done
t0=$EPOCHREALTIME
sleep "$secs" # the measurement itself: every server sits idle meanwhile
t1=$EPOCHREALTIME
printf '%-16s %8s %8s %10s %14s\n' server "idle (s)" "user (s)" \
	"system (s)" "% of one CPU"
for i in "${!pids[@]}"; do
	read -r u0 s0 <<<"${before[$i]}"
	read -r u1 s1 <<<"$(cpu_ticks "${pids[$i]}")"
	awk -v n="${names[$i]}" -v t0="${t0/,/.}" -v t1="${t1/,/.}" \
		-v hz="$hz" -v u=$((u1 - u0)) -v s=$((s1 - s0)) \
		'BEGIN { printf "%-16s %8.1f %8.2f %10.2f %13.0f%%\n", n,
		         t1 - t0, u / hz, s / hz, 100 * (u + s) / hz / (t1 - t0) }'
done
