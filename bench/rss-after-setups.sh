#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Memory after a burst of CONNECT setups (never a test): starts nginx on
# loopback and `guardnest --headless`, runs bench/connect-setups through it
# until N setups (default 60,000) are done, and prints GuardNest's RSS at
# rest before, right after the burst, and 60 s later (SETTLE seconds).
#
#   bash bench/rss-after-setups.sh [BUILD_DIR] [N] [SETTLE]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-_build}
n=${2:-60000}
settle=${3:-60}
guardnest=$build/src/guardnest
setups=$build/bench/connect-setups
[ -x "$guardnest" ] && [ -x "$setups" ] || { echo "build first: $guardnest or $setups not found" >&2; exit 1; }

work=$(mktemp -d /tmp/gn-rss.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

origin_port=$(free_port)
mkdir -p "$work/www" "$work/nginx"
head -c 1024 /dev/urandom > "$work/www/small.bin"
chmod -R a+rX "$work"
cat > "$work/nginx/nginx.conf" <<CONF
daemon off; worker_processes 1; pid $work/nginx/nginx.pid; error_log $work/nginx/error.log;
events { worker_connections 4096; }
http { access_log off; client_body_temp_path $work/nginx; proxy_temp_path $work/nginx;
  fastcgi_temp_path $work/nginx; uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  server { listen 127.0.0.1:$origin_port; root $work/www; } }
CONF
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" & pids+=($!)
gn_port=$(free_port)
env ${GN_RSS_ENV:-} XDG_CONFIG_HOME=$work/config XDG_CACHE_HOME=$work/cache XDG_DATA_HOME=$work/data \
  "$guardnest" --headless --port "$gn_port" > "$work/guardnest.log" 2>&1 & gn_pid=$!; pids+=($gn_pid)
sleep 1.5
kill -0 "$gn_pid" 2>/dev/null || { echo "guardnest exited:" >&2; cat "$work/guardnest.log" >&2; exit 1; }
rss() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$gn_pid/status"; }
printf "at rest:        VmRSS %6d KB  (anon %d KB, file %d KB)\n" "$(rss VmRSS)" "$(rss RssAnon)" "$(rss RssFile)"
"$setups" "$gn_port" "$origin_port" /small.bin 120 64 "$n" > "$work/rate" 2> "$work/count"
printf "after %s:  VmRSS %6d KB  VmHWM %6d KB  (%s setups/s; %s)\n" "$n" "$(rss VmRSS)" "$(rss VmHWM)" \
  "$(cat "$work/rate")" "$(tr -d '\n' < "$work/count")"
for t in 2 10 "$settle"; do
  sleep $(( t - ${prev:-0} )); prev=$t
  printf "after %3d s:    VmRSS %6d KB  (anon %d KB, file %d KB)\n" "$t" "$(rss VmRSS)" "$(rss RssAnon)" "$(rss RssFile)"
done
if [ -n "${GN_RSS_SMAPS:-}" ]; then cp "/proc/$gn_pid/smaps" "$GN_RSS_SMAPS"; fi
