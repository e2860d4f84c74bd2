#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# CPU of `guardnest --headless` (per-connection log and app-name lookups on)
# for a fixed number of CONNECT setups, several builds interleaved, three
# rounds (never a test; bench/README.md, "Exact app-name lookups at accept
# time"). Prints per build and round: setups/s, the proxy's CPU (utime +
# stime from /proc/PID/stat), and how many log lines named the program.
#
#   bash bench/headless-cpu-setups.sh N_SETUPS BUILD_DIR [BUILD_DIR…]
#
# Needs nginx-light and python3; each BUILD_DIR has src/guardnest and
# bench/connect-setups.
set -euo pipefail
setups=$1; shift
. "$(dirname "$0")/bench-lib.sh"
bench_init cpu
start_nginx 2 "keepalive_requests 1000000;"
sleep 0.5
tick=$(getconf CLK_TCK)
for round in 1 2 3; do
  for b in "$@"; do
    port=$(free_port)
    XDG_CONFIG_HOME=$work/cfg XDG_DATA_HOME=$work/data "$b/src/guardnest" --headless --port "$port" > "$work/gn.log" 2>&1 & pid=$!
    sleep 1
    s0=$(awk '{print $14+$15}' /proc/$pid/stat)
    rate=$("$b/bench/connect-setups" "$port" "$origin_port" /small.bin 30 64 "$setups" 2>/dev/null)
    sleep 0.5
    s1=$(awk '{print $14+$15}' /proc/$pid/stat)
    kill $pid; wait $pid 2>/dev/null || true
    apps=$(grep -c 'app="connect-setups"' "$work/gn.log" || true)
    lines=$(grep -c ' tunnel ' "$work/gn.log" || true)
    echo "$b round $round load $(cut -d' ' -f1 /proc/loadavg): setups/s $rate, CPU $(( (s1-s0)*1000/tick )) ms for $setups setups, log lines $lines with app $apps"
  done
done
