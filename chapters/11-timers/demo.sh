#!/usr/bin/env bash
# demo.sh - `make run` for chapter 11: each timer demo, then rot13_idle
# answering a client and dropping an idle one. Every wait has a deadline.
set -u
cd "$(dirname "$0")" || exit 1
. ../common/serverctl.sh
CHECK=../common/rot13_check

step() {
	printf '\n== %s\n' "$*"
}

step "./timer_demo: one-shot, persistent, re-adding, event_remove_timer, event_pending"
./timer_demo || exit 1
step "./drift: EV_PERSIST keeps its rhythm"
./drift || exit 1
step "./common_timeout -n 100000: the magic timeval, heap vs queue, FIFO order"
./common_timeout -n 100000 || exit 1
step "./cached_time: the loop's cached time, and the two clocks"
./cached_time || exit 1
step "./busy_timer seed, then fixed: the seeds' zero-timeout timer"
./busy_timer seed || exit 1
./busy_timer fixed || exit 1

step "./rot13_idle -i 1: one client answered, one idle client dropped"
server_start ./rot13_idle -i 1 || exit 1
echo "server on port $SERVER_PORT"
"$CHECK" -p "$SERVER_PORT" -n 3 -v || { server_stop; exit 1; }
exec 5<>"/dev/tcp/127.0.0.1/$SERVER_PORT" || { server_stop; exit 1; }
echo "an idle client connects and sends nothing..."
start=$SECONDS
if read -r -t 10 -u 5 _; then
	echo "unexpected: the idle client received data"
elif [ $? -gt 128 ]; then
	echo "unexpected: still connected after 10 s"
else
	echo "...the server closed it after about $((SECONDS - start)) s"
fi
exec 5<&-
server_stop
echo "server's output:"
sed 's/^/  /' "$SERVER_OUT"
server_cleanup
[ "$SERVER_STATUS" -eq 0 ]
