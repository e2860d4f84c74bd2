#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# `guardnest --headless` of the GTK build runs without GTK mapped: the
# binary execs guardnest-headless (src/gn-headless-exec.c), same process id,
# same arguments and output. Real binaries from the build tree, a real
# origin (python3 http.server), real curl through the proxy (plain HTTP and
# CONNECT), a real GSettings backend (keyfile) to see that the OS proxy
# settings are left alone. Also: exit status 1 and the message on a start
# failure, --help of both, and the fallback: a copy of guardnest alone
# (no guardnest-headless next to it or installed) runs headless in-process.
# Prints TAP.
#
#   headless-exec.sh GUARDNEST INSTALLED_LIBEXEC_HELPER
set -uo pipefail

guardnest=${1:?path to guardnest}
installed_helper=${2:?the installed guardnest-headless path}
sibling=$(dirname "$guardnest")/guardnest-headless

# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
tap_init gn-headless-exec

export XDG_CONFIG_HOME=$tmp/config XDG_STATE_HOME=$tmp/state XDG_DATA_HOME=$tmp/data
export XDG_CACHE_HOME=$tmp/cache
export GSETTINGS_BACKEND=keyfile XDG_CURRENT_DESKTOP=GNOME
unset DBUS_SESSION_BUS_ADDRESS GN_OS_PROXY_BACKEND GN_PROXY_JOURNAL
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

os_proxy() {
  for s in org.gnome.system.proxy org.gnome.system.proxy.http org.gnome.system.proxy.https; do
    gsettings list-recursively "$s"
  done | sort
  [ -f "$XDG_CONFIG_HOME/glib-2.0/settings/keyfile" ] && cat "$XDG_CONFIG_HOME/glib-2.0/settings/keyfile"
}
gsettings set org.gnome.system.proxy.http host 'proxy.corp.example'
gsettings set org.gnome.system.proxy.http port 3128
gsettings set org.gnome.system.proxy mode 'manual'
before=$(os_proxy)

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
mkdir -p "$tmp/www"
head -c 200000 /dev/urandom > "$tmp/www/origin.bin"
origin_port=$(free_port)
python3 -m http.server --bind 127.0.0.1 --directory "$tmp/www" "$origin_port" >"$tmp/origin.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  curl -s -o /dev/null --noproxy '*' "http://127.0.0.1:$origin_port/" && break
  sleep 0.1
done
printf 'ads.example\n' > "$tmp/list.txt"

# start BINARY LOG: `BINARY --headless --port 0` in the background; sets
# $pid (the process the shell started) and $port (from "listening on").
start() {
  local bin=$1 log=$2
  "$bin" --headless --port 0 --blocklist "$tmp/list.txt" >"$log" 2>&1 &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 1 300); do
    port=$(sed -n 's/^GuardNest proxy listening on 127\.0\.0\.1 port \([0-9]*\) .*/\1/p' "$log")
    [ -n "$port" ] && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "# $bin --headless did not start:"; sed 's/^/#   /' "$log"
  return 1
}

wait_exit() {  # pid → its exit status, or 124 after 30 s
  for _ in $(seq 1 600); do
    kill -0 "$1" 2>/dev/null || { wait "$1"; return $?; }
    sleep 0.05
  done
  return 124
}

# serves: plain HTTP and a CONNECT tunnel through $port bring the origin's
# bytes; a listed domain is refused.
serves() {
  local code
  curl -s --fail --max-time 30 -x "http://127.0.0.1:$port" -o "$tmp/got-http" \
    "http://127.0.0.1:$origin_port/origin.bin" &&
    cmp -s "$tmp/got-http" "$tmp/www/origin.bin" &&
    curl -s --fail --max-time 30 -p -x "http://127.0.0.1:$port" -o "$tmp/got-tunnel" \
      "http://127.0.0.1:$origin_port/origin.bin" &&
    cmp -s "$tmp/got-tunnel" "$tmp/www/origin.bin" || return 1
  code=$(curl -s --max-time 30 -x "http://127.0.0.1:$port" -o /dev/null -w '%{http_code}' \
    "http://ads.example/")
  [ "$code" = 403 ] || { echo "# ads.example: HTTP $code"; return 1; }
}

gtk_mapped() { grep -q 'libgtk-4' "/proc/$1/maps"; }

echo "1..9"

# 1–4: the build tree's guardnest --headless.
if start "$guardnest" "$tmp/run.log"; then
  exe=$(readlink "/proc/$pid/exe")
  if [ "$exe" = "$(readlink -f "$sibling")" ] && ! gtk_mapped "$pid" &&
     ! grep -q 'libgtk\|libgdk\|libpango\|libcairo\|libgraphene' "/proc/$pid/maps"; then
    ok "guardnest --headless became $(basename "$exe") (same pid $pid), no GTK, Pango, Cairo mapped"
  else
    not_ok "guardnest --headless: pid $pid runs $exe"
    grep -o '/[^ ]*lib\(gtk\|gdk\|pango\|cairo\|graphene\)[^ ]*' "/proc/$pid/maps" | sort -u | sed 's/^/#   /'
  fi
  if serves; then
    ok "it serves plain HTTP and a CONNECT tunnel, blocks a listed domain"
  else
    not_ok "serving through port $port"; sed 's/^/#   /' "$tmp/run.log"
  fi
  # The engine reports in batches: wait for the lines.
  for _ in $(seq 1 200); do
    grep -q " blocked ads\.example:" "$tmp/run.log" && break
    sleep 0.05
  done
  if grep -q " tunnel 127\.0\.0\.1:$origin_port " "$tmp/run.log" &&
     grep -q " http 127\.0\.0\.1:$origin_port 200 " "$tmp/run.log" &&
     grep -q " blocked ads\.example:" "$tmp/run.log"; then
    ok "its per-connection lines (tunnel, http, blocked) reach stdout"
  else
    not_ok "connection lines missing from the output:"; sed 's/^/#   /' "$tmp/run.log"
  fi
  kill -TERM "$pid"
  wait_exit "$pid"; status=$?
  if [ "$status" -eq 0 ] && [ "$(os_proxy)" = "$before" ]; then
    ok "SIGTERM: exit 0, the OS proxy settings untouched"
  else
    not_ok "SIGTERM: exit $status"; diff <(echo "$before") <(os_proxy) | sed 's/^/#   /'
  fi
else
  for t in "no GTK" "serves" "output" "SIGTERM"; do not_ok "start ($t)"; done
fi

# 5: a start failure keeps its status and message.
"$guardnest" --headless --port "$origin_port" >"$tmp/busy.log" 2>&1
status=$?
if [ "$status" -eq 1 ] && grep -q "$origin_port" "$tmp/busy.log"; then
  ok "port in use: exit 1 with the engine's message"
else
  not_ok "port in use: exit $status"; sed 's/^/#   /' "$tmp/busy.log"
fi

# 6: guardnest --headless --help is the headless help, named guardnest.
out=$("$guardnest" --headless --help 2>&1); status=$?
if [ "$status" -eq 0 ] && grep -q '^Usage:' <<<"$out" && grep -q 'guardnest ' <<<"$out" &&
   ! grep -q 'guardnest-headless' <<<"$out" && grep -q -- '--system-proxy' <<<"$out"; then
  ok "guardnest --headless --help: the headless options, named guardnest"
else
  not_ok "guardnest --headless --help: exit $status"; sed 's/^/#   /' <<<"$out"
fi

# 7: guardnest --help (the window's) still lists --headless.
out=$(env -u DISPLAY -u WAYLAND_DISPLAY "$guardnest" --help 2>&1); status=$?
if [ "$status" -eq 0 ] && grep -q -- '--headless' <<<"$out"; then
  ok "guardnest --help lists --headless"
else
  not_ok "guardnest --help: exit $status"; sed 's/^/#   /' <<<"$out"
fi

# 8: --repair-proxy with nothing to repair: exit 0, settings untouched.
"$guardnest" --repair-proxy >"$tmp/repair.log" 2>&1; status=$?
if [ "$status" -eq 0 ] && [ "$(os_proxy)" = "$before" ]; then
  ok "guardnest --repair-proxy with nothing to repair: exit 0, untouched"
else
  not_ok "--repair-proxy: exit $status"; sed 's/^/#   /' "$tmp/repair.log"
fi

# 9: the fallback: guardnest alone runs headless itself (GTK mapped).
if [ -e "$installed_helper" ]; then
  ok "# SKIP $installed_helper is installed, so a lone copy would exec it"
else
  mkdir -p "$tmp/alone"
  cp "$guardnest" "$tmp/alone/guardnest"
  if start "$tmp/alone/guardnest" "$tmp/alone.log"; then
    if [ "$(readlink "/proc/$pid/exe")" = "$tmp/alone/guardnest" ] && gtk_mapped "$pid" && serves; then
      kill -TERM "$pid"
      wait_exit "$pid"; status=$?
      if [ "$status" -eq 0 ]; then
        ok "without guardnest-headless: runs in-process, serves, SIGTERM exit 0"
      else
        not_ok "fallback: SIGTERM exit $status"
      fi
    else
      not_ok "fallback: pid $pid runs $(readlink "/proc/$pid/exe")"; sed 's/^/#   /' "$tmp/alone.log"
    fi
  else
    not_ok "fallback: start"
  fi
fi

[ "$failed" -eq 0 ]
