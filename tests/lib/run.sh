#!/bin/sh
# tests/lib/run.sh - runs one lib test program on one backend.
#
#   tests/lib/run.sh [-v] BACKEND PROGRAM [CASE...]
#
# BACKEND is epoll, poll or select, chosen through libevent's environment
# variables (EVENT_NOEPOLL, EVENT_NOPOLL), which minievent honours too.
# -v runs the program under valgrind memcheck: every error, and every
# definite or possible leak, in the program or in any process it forks,
# makes that process exit with status 99, so the case fails.
set -eu
valgrind=
if [ "${1:-}" = -v ]; then
	valgrind="valgrind -q --error-exitcode=99 --leak-check=full"
	valgrind="$valgrind --errors-for-leak-kinds=definite,possible"
	# valgrind runs programs 20-50 times slower: longer limits per case.
	UNIT_TIMEOUT=${UNIT_TIMEOUT:-60}
	export UNIT_TIMEOUT
	shift
fi
[ $# -ge 2 ] || { echo "usage: $0 [-v] BACKEND PROGRAM [CASE...]" >&2; exit 2; }
backend=$1
shift
unset EVENT_NOEPOLL EVENT_NOPOLL EVENT_NOSELECT EVENT_SHOW_METHOD
case $backend in
epoll) ;;
poll) EVENT_NOEPOLL=1; export EVENT_NOEPOLL ;;
select) EVENT_NOEPOLL=1 EVENT_NOPOLL=1; export EVENT_NOEPOLL EVENT_NOPOLL ;;
*) echo "$0: unknown backend: $backend" >&2; exit 2 ;;
esac
exec $valgrind "$@"
