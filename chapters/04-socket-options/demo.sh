#!/usr/bin/env bash
# demo.sh - `make run` for chapter 04: the five demos in order, each after
# a line on what it shows. Every demo binds 127.0.0.1 on ports the kernel
# picks, checks what it claims, cleans up and exits 0. Takes about 2 s.
set -u
cd "$(dirname "$0")" || exit 1

say() {
	printf '\n== %s\n' "$1"
	shift
	printf '   %s\n' "$@"
}

demo() {
	"./$1" && return 0
	echo "demo.sh: $1 failed" >&2
	exit 1
}

say "SO_REUSEADDR and TIME_WAIT (reuseaddr_demo)" \
	"The side that closes first keeps a TIME_WAIT entry for 60 s; a" \
	"restarted server needs SO_REUSEADDR to bind its port meanwhile."
out=$(demo reuseaddr_demo) || exit 1
echo "$out"
port=$(sed -n 's/.*TIME_WAIT entry: 127\.0\.0\.1:\([0-9]*\) .*/\1/p' \
	<<<"$out" | head -n 1)
if [ -n "$port" ] && command -v ss >/dev/null; then
	echo "\$ ss -tano state time-wait '( sport = :$port )'"
	ss -tano state time-wait "( sport = :$port )"
fi

say "SO_REUSEPORT (reuseport_demo)" \
	"Several listeners on one port; the kernel spreads the connections."
demo reuseport_demo

say "SO_LINGER (linger_demo)" \
	"What close() does with data still queued, under each setting."
demo linger_demo

say "shutdown() versus close() (shutdown_demo)" \
	"A half-close lets the peer answer; close() only drops one descriptor."
demo shutdown_demo

say "SIGPIPE (sigpipe_demo)" \
	"Writing to a reset connection kills the process, unless it asked not to."
demo sigpipe_demo
