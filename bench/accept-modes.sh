#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Who accepts, measured (never a test): CONNECT setups/s and GuardNest's CPU
# per setup for each GN_ACCEPT mode (src/engine/gn-proxy-accept.c):
# reuseport (one SO_REUSEPORT listening socket per worker), polled (every
# worker polls the one socket) and engine (the engine thread accepts and
# hands each connection over), one `guardnest --headless --quiet` each,
# side by side, runs interleaved (the order rotates each round) so that
# the shared machine's load hits all alike. Also tinyproxy, if installed,
# for the ratio the project quotes. GN_BENCH_MODES picks the modes.
#
#   bash bench/accept-modes.sh [BUILD_DIR] [ROUNDS] [SECONDS]   (default: _build 5 5)
#
# Prints one line per run (setups/s, CPU µs per setup from `perf stat -e
# task-clock -p` when perf works, else from /proc/PID/stat, and context
# switches per setup with perf) and the medians; the load average before
# each round.
#
# Needs: nginx-light, python3; optional perf, tinyproxy.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-_build}
rounds=${2:-5}
seconds=${3:-5}
guardnest=${GN_BENCH_GUARDNEST:-$build/src/guardnest}
setups=$build/bench/connect-setups
[ -x "$guardnest" ] && [ -x "$setups" ] || { echo "build first: $guardnest or $setups not found" >&2; exit 1; }

. bench/bench-lib.sh
bench_init accept-bench
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' "/proc/$1/stat"; }
use_perf=0
perf stat -x, -e task-clock -- true >/dev/null 2>&1 && use_perf=1

start_nginx 2 "keepalive_requests 1000000;"

declare -A port pid
read -r -a modes <<< "${GN_BENCH_MODES:-reuseport polled engine}"
for m in "${modes[@]}"; do
  port[$m]=$(free_port)
  GN_ACCEPT=$m "$guardnest" --headless --quiet --port "${port[$m]}" > "$work/$m.log" 2>&1 &
  pid[$m]=$!; pids+=(${pid[$m]})
done
if command -v tinyproxy >/dev/null; then
  port[tinyproxy]=$(free_port)
  start_tinyproxy "${port[tinyproxy]}"; pid[tinyproxy]=$tinyproxy_pid
  modes+=(tinyproxy)
fi
sleep 1

# One run: prints "setups/s µs-per-setup context-switches-per-setup".
run() {
  local mode=$1 out count rate cpu cs=0 before after
  if [ $use_perf = 1 ]; then
    out=$(perf stat -x, -e task-clock,context-switches -p "${pid[$mode]}" -- \
            "$setups" "${port[$mode]}" "$origin_port" /small.bin "$seconds" 64 1000000000 2>&1 >"$work/rate")
    cpu=$(echo "$out" | awk -F, '/task-clock/ {print $1}')   # ms
    cs=$(echo "$out" | awk -F, '/context-switches/ {print $1}')
  else
    before=$(cpu_ms "${pid[$mode]}")
    out=$("$setups" "${port[$mode]}" "$origin_port" /small.bin "$seconds" 64 1000000000 2>&1 >"$work/rate")
    after=$(cpu_ms "${pid[$mode]}")
    cpu=$((after - before))
  fi
  rate=$(cat "$work/rate")
  count=$(echo "$out" | awk '/setups$/ {print $2}')
  awk -v r="$rate" -v c="$cpu" -v s="$cs" -v n="$count" \
    'BEGIN {printf "%d %.1f %.2f\n", r, (n > 0 ? c * 1000 / n : 0), (n > 0 ? s / n : 0)}'
}

echo "cpu per setup from $([ $use_perf = 1 ] && echo 'perf stat task-clock' || echo /proc/PID/stat)"
for ((r = 1; r <= rounds; r++)); do
  k=$(( (r - 1) % ${#modes[@]} ))
  order=("${modes[@]:k}" "${modes[@]:0:k}")
  echo "round $r, load $(cut -d' ' -f1-3 /proc/loadavg)"
  for m in "${order[@]}"; do
    line=$(run "$m")
    printf "  %-10s %6s setups/s  %6s us CPU/setup  %5s switches/setup\n" "$m" ${line}
    echo "$line" >> "$work/$m.res"
  done
done
echo "medians over $rounds rounds:"
for m in "${modes[@]}"; do
  printf "  %-10s %6s setups/s  %6s us CPU/setup  %5s switches/setup\n" "$m" \
    "$(cut -d' ' -f1 "$work/$m.res" | median)" "$(cut -d' ' -f2 "$work/$m.res" | median)" \
    "$(cut -d' ' -f3 "$work/$m.res" | median)"
done
