#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Proxy benchmark (never a test): the project's performance figures for
# GuardNest, tinyproxy and Privoxy (if installed) and no proxy, on loopback with nginx
# as the origin. Every figure is the median of 3 runs; compare ratios, not
# absolute numbers (they move ±30 % between runs on a shared machine).
#
#   bash bench/proxy-bench.sh [BUILD_DIR]      (default: _build)
#   GN_BENCH_PARTS="bulk" bash bench/proxy-bench.sh …   (only some parts:
#       bulk http setups idle; the default is all four)
#
# The HTTP and setups parts also print the whole machine's busy CPU per
# request or setup (/proc/stat, every process: client, origin, proxy and
# the kernel's loopback work): on a quiet machine, what each costs and how
# far a proxy is from the machine's limit.
#
# The bulk part also runs a second GuardNest with GN_SPLICE=0 (the pooled
# buffer pump instead of splice(2) tunnels) as "gn-nosplice".
#
# Needs: nginx-light, curl, wrk, python3; optional tinyproxy, privoxy.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-_build}
parts=" ${GN_BENCH_PARTS:-bulk http setups idle} "
want() { [[ $parts == *" $1 "* ]]; }
guardnest=$build/src/guardnest
setups=$build/bench/connect-setups
[ -x "$guardnest" ] && [ -x "$setups" ] || { echo "build first: $guardnest or $setups not found" >&2; exit 1; }
for tool in nginx curl wrk python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install -y nginx-light curl wrk python3)" >&2; exit 1; }
done

. bench/bench-lib.sh
bench_init bench

# ---- the origin: nginx with a 1 GiB file and a small page
mkdir -p "$work/www"
truncate -s 1G "$work/www/1g.bin"
start_nginx 2 "sendfile on; keepalive_requests 1000000;"

# ---- the proxies
gn_port=$(free_port)
"$guardnest" --headless --port "$gn_port" > "$work/guardnest.log" 2>&1 & gn_pid=$!; pids+=($gn_pid)
proxies=("guardnest:$gn_port")
if want bulk; then
  ns_port=$(free_port)
  GN_SPLICE=0 "$guardnest" --headless --port "$ns_port" > "$work/gn-nosplice.log" 2>&1 & ns_pid=$!; pids+=($ns_pid)
fi
if command -v tinyproxy >/dev/null; then
  tp_port=$(free_port)
  start_tinyproxy "$tp_port"
  proxies+=("tinyproxy:$tp_port")
fi
if command -v privoxy >/dev/null; then
  pv_port=$(free_port)
  # Privoxy as installed: the stock action files, logging off.
  cat > "$work/privoxy.conf" <<CONF
confdir /etc/privoxy
logdir $work
actionsfile match-all.action
actionsfile default.action
filterfile default.filter
listen-address 127.0.0.1:$pv_port
toggle 1
keep-alive-timeout 300
max-client-connections 4096
CONF
  privoxy --no-daemon --pidfile "$work/privoxy.pid" "$work/privoxy.conf" > /dev/null 2>&1 & pids+=($!)
  proxies+=("privoxy:$pv_port")
fi
sleep 1
curl -sf -o /dev/null "http://127.0.0.1:$origin_port/small.bin" || { echo "nginx is not serving" >&2; exit 1; }

big="http://127.0.0.1:$origin_port/1g.bin"
small="http://127.0.0.1:$origin_port/small.bin"
cat > "$work/proxy.lua" <<LUA
request = function() return wrk.format("GET", "$small") end
LUA

busy_ms() {  # the whole machine's busy CPU time so far, all cores (ms)
  awk -v hz="$(getconf CLK_TCK)" '/^cpu /{print int(($2 + $3 + $4 + $7 + $8 + $9) * 1000 / hz); exit}' /proc/stat
}
cpu_ms() {  # user + system CPU of process $1 so far, all its threads (ms)
  awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' "/proc/$1/stat"
}
bulk_cpu() {  # "MB/s, CPU ms per GiB of process $1" over 3 downloads
  local pid=$1 before after mbs; shift
  before=$(cpu_ms "$pid")
  mbs=$(bulk "$@")
  after=$(cpu_ms "$pid")
  echo "$mbs  (proxy CPU $(( (after - before) / 3 )) ms/GiB)"
}
bulk() {  # MB/s of a 1 GiB download, median of 3
  for _ in 1 2 3; do curl -s -o /dev/null -w '%{speed_download}\n' "$@" "$big"; done \
    | median | awk '{printf "%.0f", $1/1e6}'
}
wrk_run() {  # prints "req/s p99ms", median of 3 by req/s, then the machine's CPU per request
  local b0 b1 runs
  b0=$(busy_ms)
  runs=$(wrk_runs "$@")
  b1=$(busy_ms)
  echo "$(echo "$runs" | sort -n | sed -n 2p)  (machine $(echo "$runs" | awk -v ms=$((b1 - b0)) \
    '{n += $1 * 5} END {printf "%.1f", n ? ms * 1000 / n : 0}') µs CPU/request)"
}
wrk_runs() {
  for _ in 1 2 3; do
    wrk -t2 -c64 -d5s --latency "$@" 2>/dev/null | awk '
      /Requests\/sec/ {rps=$2}
      /Non-2xx/ {print "wrk: non-2xx answers" > "/dev/stderr"}
      /^ +99%/ {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; p99=v}
      END {printf "%d %.2f\n", rps, p99}'
  done
}

if want bulk; then
echo "== CONNECT bulk, 1 GiB via curl -p (MB/s; GuardNest's CPU time per GiB, steadier on a busy machine)"
printf "%-10s %s\n" direct "$(bulk)"
for p in "${proxies[@]}"; do
  case ${p%%:*} in
    guardnest) printf "%-10s %s\n" guardnest "$(bulk_cpu "$gn_pid" -p -x "http://127.0.0.1:${p##*:}")" ;;
    *) printf "%-10s %s\n" "${p%%:*}" "$(bulk -p -x "http://127.0.0.1:${p##*:}")" ;;
  esac
done
printf "%-10s %s\n" gn-nosplice "$(bulk_cpu "$ns_pid" -p -x "http://127.0.0.1:$ns_port")"
printf "%-10s %s\n" direct "$(bulk)"
# On a shared machine the load moves between the medians above; rounds of
# direct, GuardNest and GuardNest without splice back to back compare under
# about the same load. The median of the ratios is the figure to quote.
echo "== CONNECT bulk, 5 rounds of direct / guardnest / gn-nosplice back to back (MB/s, ratio to direct)"
one() { curl -s -o /dev/null -w '%{speed_download}\n' "$@" "$big"; }
for _ in 1 2 3 4 5; do
  echo "$(one) $(one -p -x "http://127.0.0.1:$gn_port") $(one -p -x "http://127.0.0.1:$ns_port")"
done > "$work/rounds"
awk '{ printf "direct %5.0f  guardnest %5.0f (%.2f)  gn-nosplice %5.0f (%.2f)\n", $1/1e6, $2/1e6, $2/$1, $3/1e6, $3/$1 }' "$work/rounds"
echo "median ratio to direct: guardnest $(awk '{printf "%.2f\n", $2/$1}' "$work/rounds" | median)," \
     "gn-nosplice $(awk '{printf "%.2f\n", $3/$1}' "$work/rounds" | median)"
fi

if want http; then
echo "== plain-HTTP forwarding, wrk 64 connections, 1 KiB page (req/s, p99 ms)"
printf "%-10s %s\n" direct "$(wrk_run "$small")"
for p in "${proxies[@]}"; do
  printf "%-10s %s\n" "${p%%:*}" "$(wrk_run -s "$work/proxy.lua" "http://127.0.0.1:${p##*:}/")"
done
fi

if want setups; then
echo "== CONNECT setups/s (CONNECT + one GET, 64 at once; the whole machine's CPU per setup, all processes)"
# The machine's busy CPU (/proc/stat: user, nice, system, irq, softirq,
# steal) over the three runs, per setup: direct is the client and nginx;
# through a proxy it adds the proxy and a second loopback connection. On a
# quiet machine this shows what a setup costs and where the ceiling is.
setups_run() {
  local b0 b1 rates
  b0=$(busy_ms)
  rates=$(for _ in 1 2 3; do "$setups" "$1" "$origin_port" /small.bin 5 64; done)
  b1=$(busy_ms)
  echo "$(echo "$rates" | median)  (machine $(echo "$rates" | awk -v ms=$((b1 - b0)) \
    '{n += $1 * 5} END {printf "%.0f", n ? ms * 1000 / n : 0}') µs CPU/setup)"
}
printf "%-10s %s\n" direct "$(setups_run 0)"
for p in "${proxies[@]}"; do printf "%-10s %s\n" "${p%%:*}" "$(setups_run "${p##*:}")"; done
fi

want idle || exit 0
echo "== memory per idle tunnel and open fds (2000 idle CONNECT tunnels)"
for p in "${proxies[@]}"; do
  name=${p%%:*}; port=${p##*:}
  case $name in
    guardnest) pid=$gn_pid ;;
    *) pid=$(cat "$work/$name.pid") ;;
  esac
  python3 - "$pid" "$port" "$origin_port" "$name" <<'PY'
import os, socket, sys, time
pid, port, origin, name = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def rss_kb():
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS"))
def fds():
    return len(os.listdir(f"/proc/{pid}/fd"))
def tunnel():
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(f"CONNECT 127.0.0.1:{origin} HTTP/1.1\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(4096)
    assert head.startswith(b"HTTP/1.") and b" 200" in head.split(b"\r\n")[0], head
    return s
# warm up: one busy tunnel, then measure
t = tunnel(); t.close(); time.sleep(0.5)
fd0, rss0 = fds(), rss_kb()
socks = [tunnel() for _ in range(2000)]
time.sleep(1)
rss1 = rss_kb()
for s in socks: s.close()
time.sleep(2)
print(f"{name:10s} {(rss1 - rss0) / 2000:.1f} KB/tunnel; fds before {fd0}, after all closed {fds()}")
PY
done
