# shellcheck shell=bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Sourced by the bench scripts (never run, never a test): a work folder
# removed at exit with every process started through it, no proxy
# variables, free loopback ports, medians, and the two peers every bench
# starts the same way: nginx as the origin and tinyproxy.
#
#   . "$(dirname "$0")/bench-lib.sh"; bench_init NAME
#
# Needs python3 (free_port), nginx-light (start_nginx), tinyproxy
# (start_tinyproxy).

# bench_init NAME: $work (/tmp/gn-NAME.XXXXXX) and $pids, both cleaned up
# at exit; the proxy variables unset so the clients go direct.
bench_init() {
  work=$(mktemp -d "/tmp/gn-$1.XXXXXX")
  pids=()
  trap bench_cleanup EXIT
  unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
}
bench_cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# start_nginx WORKERS [HTTP_DIRECTIVES]: nginx on 127.0.0.1:$origin_port
# serving $work/www, where small.bin (1 KiB) is added to whatever the
# caller put there first.
start_nginx() {
  origin_port=$(free_port)
  mkdir -p "$work/www" "$work/nginx"
  head -c 1024 /dev/urandom > "$work/www/small.bin"
  chmod -R a+rX "$work"   # nginx workers run as www-data
  cat > "$work/nginx/nginx.conf" <<CONF
daemon off; worker_processes $1; pid $work/nginx/nginx.pid; error_log $work/nginx/error.log;
events { worker_connections 4096; }
http { access_log off; ${2:-}
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  server { listen 127.0.0.1:$origin_port; root $work/www; } }
CONF
  nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" & pids+=("$!")
}

# start_tinyproxy PORT: tinyproxy on 127.0.0.1:PORT, logging only the
# critical; its pid in $tinyproxy_pid.
start_tinyproxy() {
  cat > "$work/tinyproxy.conf" <<CONF
Port $1
Listen 127.0.0.1
Timeout 600
MaxClients 1000
LogLevel Critical
LogFile "$work/tinyproxy.log"
PidFile "$work/tinyproxy.pid"
Allow 127.0.0.1
CONF
  tinyproxy -d -c "$work/tinyproxy.conf" > /dev/null 2>&1 & tinyproxy_pid=$!; pids+=("$tinyproxy_pid")
}
