#!/usr/bin/env bash
# demo.sh - chapter 05's `make run`: the two demos, rot13_busypoll serving
# clients while others sit idle, then the CPU each server burns while idle.
cd "$(dirname "$0")" || exit 1
# shellcheck source=../common/serverctl.sh
. ../common/serverctl.sh

echo "--- ./nonblock_demo"
./nonblock_demo || exit 1
echo
echo "--- ./partial_write_demo"
./partial_write_demo || exit 1
echo
echo "--- ./rot13_busypoll: 3 clients answered while 2 others sit idle"
server_start ./rot13_busypoll || exit 1
echo "$(head -n 1 "$SERVER_OUT")"
../common/rot13_check -p "$SERVER_PORT" -c 3 -i 2 -P -n 2 -v
status=$?
server_stop
stop_status=$?
[ "$status" -eq 0 ] && [ "$stop_status" -eq 0 ] || exit 1
echo "stopped with SIGTERM: exit status $stop_status"
echo
echo "--- ./idle_cpu.sh 2: CPU time used while nobody is connected"
./idle_cpu.sh 2
