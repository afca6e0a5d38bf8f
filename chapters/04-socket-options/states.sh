#!/usr/bin/env bash
# states.sh - chapter 04's experiment: watch a connection end with ss.
# Chapter 01's server closes first (it is stopped), bash's client second.
# The sleeps only space the snapshots out; nothing depends on them.
S=../01-blocking-io/rot13_blocking
out=$(mktemp)
$S -p 0 >"$out" & pid=$!
until grep -qs listening "$out"; do sleep 0.1; done
port=$(sed -n 's/.*://p' "$out")
rm -f "$out"
exec 3<>"/dev/tcp/127.0.0.1/$port"    # bash opens a TCP connection as fd 3
kill "$pid"; wait "$pid"              # the server closes first
ss -tan "( sport = :$port or dport = :$port )"
sleep 0.1
ss -tan "( sport = :$port or dport = :$port )"
exec 3<&-                             # now the client closes too
sleep 0.1
ss -tan "( sport = :$port or dport = :$port )"
