#!/usr/bin/env bash
# run_server_tests.sh BUILD_DIR - exercise 09-epoll-et: et_server (built
# with your et_serve.c) against chapters/common/rot13_check. Prints a FAIL
# line per failed check; exits 1 if any failed.
cd "$(dirname "$0")" || exit 1
BUILD=$1
TOP=$(cd ../../.. && pwd)
. "$TOP/chapters/common/serverctl.sh"
CHECK=$TOP/chapters/common/rot13_check
failed=0

# expect WHAT ARGS...: runs rot13_check ARGS, which must succeed. After
# a failure the other checks are skipped: each would wait for its deadline.
expect() {
	local what=$1 out
	shift
	[ "$failed" -eq 0 ] || return
	if ! out=$("$CHECK" -p "$SERVER_PORT" "$@" 2>&1); then
		echo "FAIL: $what: expected every answer (rot13_check $*)," \
			"got:"
		sed 's/^/    /' <<<"$out"
		failed=1
	fi
}

server_start "$BUILD/et_server" || exit 1
expect "a client sends a 64 KiB line at once" -m long -n 65536 -t 10
expect "a client sends 5000 lines at once" -n 5000 -t 10
expect "50 clients, 10 round trips each" -c 50 -P -n 10 -t 30
expect "a 100000-byte line, random write sizes" -m long -n 100000 -w 3000 -r -t 10
expect "an unterminated last line, then half-close" -m tail -n 3 -t 10
server_stop >/dev/null
if [ "$SERVER_STATUS" -ne 0 ]; then
	echo "FAIL: et_server stopped with status $SERVER_STATUS, expected 0:"
	echo "$SERVER_ERR"
	failed=1
fi
server_cleanup
[ "$failed" -eq 0 ] && echo "ok: et_server answered every client"
exit "$failed"
