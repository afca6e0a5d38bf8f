#!/usr/bin/env bash
# compat.sh - `make compat`: rot13_events built from the same source against
# the system's libevent 2.1 (rot13_events.libevent) and against minievent
# (rot13_events), each on every backend, each judged by the same checker.
cd "$(dirname "$0")" || exit 1
. ../common/serverctl.sh
CHECK=../common/rot13_check
ulimit -Sn "$(ulimit -Hn)" 2>/dev/null
trap 'server_stop KILL >/dev/null 2>&1' EXIT
status=0
for prog in rot13_events.libevent rot13_events; do
	ldd "./$prog" | grep -q 'libevent_core' && lib=libevent || lib=minievent
	for env in "" EVENT_NOEPOLL=1 "EVENT_NOEPOLL=1 EVENT_NOPOLL=1"; do
		# shellcheck disable=SC2086 # env holds words for env(1)
		SERVER_WRAPPER="env $env" server_start "./$prog" || exit 1
		backend=$(sed -n 's/^rot13_events: backend //p' "$SERVER_OUT")
		printf '%-22s (%s, %-6s) ' "$prog" "$lib" "$backend"
		"$CHECK" -p "$SERVER_PORT" -c 200 -P -n 5 -t 60 || status=1
		"$CHECK" -p "$SERVER_PORT" -m edges -t 60 -q || status=1
		"$CHECK" -p "$SERVER_PORT" -m tail -n 3 -t 60 -q || status=1
		server_stop >/dev/null || status=1
	done
done
trap - EXIT
exit "$status"
