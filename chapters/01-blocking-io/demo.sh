#!/usr/bin/env bash
# demo.sh - `make run` for chapter 01: what blocking calls look like.
#
#  1. fetch GETs a page from http_standin: the answer comes in pieces, and
#     each recv() returns one of them.
#  2. fetch uploads 256 KiB to http_standin -r 10, which reads slowly:
#     send() blocks, SIGALRM interrupts it, and it returns a partial count.
#  3. rot13_blocking with two clients: A connects and stays silent, B sends
#     a line. B is answered only once A has gone; meanwhile B waits in the
#     listener's accept queue (the Recv-Q column of `ss -ltn`).
#
# Servers run on ports the kernel picks (-p 0) and are stopped by PID.
# Every wait has a deadline. Exit status 0 when everything went as above.
set -u
cd "$(dirname "$0")" || exit 1
# shellcheck source=../common/serverctl.sh
. ../common/serverctl.sh

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ch01.XXXXXX") || exit 1
SERVER_OUT=
trap 'server_stop >/dev/null 2>&1; rm -rf "$tmp" ${SERVER_OUT:+"$SERVER_OUT" "$SERVER_OUT.err"}' EXIT

# Seconds since T0, two decimals.
stamp() {
	local us=$((${EPOCHREALTIME//[!0-9]/} - T0))
	printf '%2d.%02d s' $((us / 1000000)) $((us % 1000000 / 10000))
}

die() {
	echo "demo: $*" >&2
	exit 1
}

# The listener's Recv-Q: connections waiting in its accept queue. Without
# ss (package iproute2) the demo still runs, the queue just goes unseen.
accept_queue() {
	if command -v ss >/dev/null; then
		ss -ltnH "sport = :$1" | awk '{ print $2; exit }'
	else
		echo "${2:-0}"
	fi
}

echo "== 1. fetch: a blocking HTTP client, each recv() shown"
server_start ./http_standin -r 10 || die "http_standin did not start"
echo "\$ ./fetch -p $SERVER_PORT >page.txt"
./fetch -p "$SERVER_PORT" >"$tmp/page.txt" || die "fetch failed"
echo "page.txt: $(wc -c <"$tmp/page.txt") bytes," \
	"starting \"$(head -n 1 "$tmp/page.txt" | tr -d '\r')\""

echo
echo "== 2. fetch -u: 256 KiB to a server that reads 4 KiB every 10 ms"
echo "\$ ./fetch -p $SERVER_PORT -u 262144 >/dev/null"
./fetch -p "$SERVER_PORT" -u 262144 >/dev/null 2>"$tmp/upload" ||
	die "fetch -u failed: $(cat "$tmp/upload")"
grep -v '^recv' "$tmp/upload"
echo "http_standin said:"
sed -n '2,$s/^/  /p' "$SERVER_OUT"
server_stop || die "http_standin did not stop cleanly"
rm -f "$SERVER_OUT" "$SERVER_OUT.err"

echo
echo "== 3. rot13_blocking: one client at a time"
server_start ./rot13_blocking || die "rot13_blocking did not start"
port=$SERVER_PORT
T0=${EPOCHREALTIME//[!0-9]/}
exec {a}<>"/dev/tcp/127.0.0.1/$port" || die "A could not connect"
echo "$(stamp)  A connects and sends nothing"
# Let the server take A first, so that what waits in the queue is B.
deadline=$((SECONDS + 10))
until [ "$(accept_queue "$port")" = 0 ]; do
	[ "$SECONDS" -lt "$deadline" ] || die "the server never accepted A"
	sleep 0.05
done
exec {b}<>"/dev/tcp/127.0.0.1/$port" || die "B could not connect"
printf 'Hello, blocking world\n' >&"$b"
echo "$(stamp)  B connects (connect() returned) and sends" \
	"\"Hello, blocking world\""
deadline=$((SECONDS + 10))
until [ "$(accept_queue "$port" 1)" = 1 ]; do
	[ "$SECONDS" -lt "$deadline" ] || die "B never showed in the queue"
	sleep 0.05
done
echo "$(stamp)  \$ ss -ltn 'sport = :$port'"
ss -ltn "sport = :$port" 2>&1 | sed 's/^/          /'
echo "          Recv-Q 1: B's handshake is done, but no accept() took it;"
echo "          the server is busy waiting for A. (Send-Q: the backlog, 128.)"
if read -r -t 1.5 -u "$b" line; then
	die "B was answered while A was connected: \"$line\""
fi
echo "$(stamp)  B: still no answer after 1.5 s"
exec {a}>&-
echo "$(stamp)  A closes its connection"
read -r -t 8 -u "$b" line || die "B got no answer after A left"
echo "$(stamp)  B gets \"$line\""
exec {b}>&-
server_stop || die "rot13_blocking did not stop cleanly"
echo
echo "The server waited for silent A, so B waited too."
