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

. bench/bench-lib.sh
bench_init rss

start_nginx 1
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
