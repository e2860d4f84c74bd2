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
work=$(mktemp -d /tmp/gn-cpu.XXXXXX)
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
origin_port=$(free_port)
mkdir -p "$work/www" "$work/nginx"; head -c 1024 /dev/urandom > "$work/www/small.bin"; chmod -R a+rX "$work"
cat > "$work/nginx/nginx.conf" <<CONF
daemon off; worker_processes 2; pid $work/nginx/nginx.pid; error_log $work/nginx/error.log;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  server { listen 127.0.0.1:$origin_port; root $work/www; } }
CONF
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" & nginx_pid=$!
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
kill $nginx_pid; wait 2>/dev/null || true
rm -rf "$work"
