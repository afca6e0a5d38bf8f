#!/usr/bin/env bash
# demo.sh - chapter 06's `make run`: select() at work, then at its limit.
#
# 1. select_demo: the sets and the timeout are overwritten; write interest
#    with nothing to write is a busy loop.
# 2. fdset_overflow: FD_SET(1024) runs past the 128-byte fd_set (glibc's
#    fortify check aborts it before it writes).
# 3. rot13_select serves three clients at once while a fourth sits idle.
# 4. crowd: round trips of one client alone, then with 1030 idle clients
#    connected: those given descriptor 1024 or above are refused, the rest
#    are served, and every round trip costs more.
set -u
cd "$(dirname "$0")" || exit 1
. ../common/serverctl.sh
CHECK=../common/rot13_check
SERVER_WRAPPER=${SERVER_WRAPPER:-}

# The shell, not the server, raises the descriptor limit: a soft limit of
# 1024 would stop accept() with EMFILE before FD_SETSIZE is reached.
ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)"

trap 'server_stop >/dev/null 2>&1' EXIT

echo "--- ./select_demo"
./select_demo || exit 1

echo
echo "--- ./fdset_overflow 1023; ./fdset_overflow 1024"
./fdset_overflow 1023 || exit 1
out=$( (ulimit -c 0; exec ./fdset_overflow 1024) 2>&1)
status=$?
echo "$out"
echo "(exit status $status: killed by SIGABRT, nothing written out of bounds)"
[ "$status" -ne 0 ] || exit 1

echo
server_start ./rot13_select || exit 1
echo "--- rot13_select is $(head -n 1 "$SERVER_OUT")"
echo "--- rot13_check -c 3 -i 1 -n 2 -v   (3 clients while 1 sits idle)"
"$CHECK" -p "$SERVER_PORT" -c 3 -i 1 -n 2 -v -t 30 || exit 1

echo
echo "--- ./crowd -n 0 -r 2000      (the active client alone)"
./crowd -p "$SERVER_PORT" -n 0 -r 2000 || exit 1
echo "--- ./crowd -n 1030 -r 2000   (with 1030 idle clients)"
./crowd -p "$SERVER_PORT" -n 1030 -r 2000 || exit 1

echo
echo "--- the server, stopped with SIGTERM (exit status 0 expected)"
server_stop || exit 1
echo "stderr: $SERVER_ERR"
echo "stdout: $(tail -n 1 <<<"$SERVER_LOG")"
