#!/usr/bin/env bash
# The check helpers below are called through ok(), not unreachable:
# shellcheck disable=SC2317
# SPDX-License-Identifier: GPL-3.0-or-later
#
# guardnest.exe --headless under Wine, used as a user would, with Linux curl
# through it (Wine's sockets are the host's), as TAP:
#   headless-e2e.sh GUARDNEST_EXE
# An origin (python3 http.server on 127.0.0.1) serves random bytes; the
# blocklist lists ads.example. Checked: the origin's exact bytes for an
# allowed host, 403 for the listed host and a subdomain of it, a CONNECT
# tunnel that carries the origin's bytes, and a CONNECT to a listed host
# refused with 403. Needs WINEPATH to find the stack's DLLs (check-all.sh
# and the cross build's meson test set it); makes its own Wine prefix.
set -uo pipefail

exe=${1:?usage: headless-e2e.sh GUARDNEST_EXE}
n=0
failed=0
ok () {  # ok DESCRIPTION COMMAND...
  local desc=$1 output status
  shift
  n=$((n + 1))
  output=$("$@" 2>&1)
  status=$?
  [ -z "$output" ] || printf '%s\n' "$output" | sed 's/^/# /'
  if [ "$status" = 0 ]; then echo "ok $n - $desc"; else echo "not ok $n - $desc"; failed=1; fi
}
for tool in wine wineserver curl python3 cmp; do
  command -v "$tool" >/dev/null || { echo "Bail out! $tool not found"; exit 1; }
done

tmp=$(mktemp -d /tmp/gn-headless-e2e.XXXXXX)
export WINEPREFIX=$tmp/wine WINEARCH=win64 WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
origin_pid=
cleanup () {
  [ -z "$origin_pid" ] || kill "$origin_pid" 2>/dev/null
  wineserver -k 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
wine wineboot --init >/dev/null 2>&1
wineserver -w

free_port () {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

mkdir -p "$tmp/www"
head -c 300000 /dev/urandom > "$tmp/www/origin.bin"
printf 'ads.example\n' > "$tmp/blocklist.txt"
origin_port=$(free_port)
python3 -m http.server --bind 127.0.0.1 --directory "$tmp/www" "$origin_port" \
  >"$tmp/origin.log" 2>&1 &
origin_pid=$!
proxy_port=$(free_port)

echo "1..7"
wine "$exe" --headless --port "$proxy_port" --blocklist "$(winepath -w "$tmp/blocklist.txt")" \
  >"$tmp/guardnest.log" 2>&1 &
guardnest_pid=$!

ready () {
  for _ in $(seq 1 120); do
    curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$proxy_port/" && return 0
    kill -0 "$guardnest_pid" 2>/dev/null || { cat "$tmp/guardnest.log"; return 1; }
    sleep 0.5
  done
  cat "$tmp/guardnest.log"
  return 1
}
ok "guardnest.exe --headless listens on 127.0.0.1:$proxy_port under Wine" ready

through () {  # through OUT URL [curl options]: status code on stdout
  local out=$1 url=$2
  shift 2
  curl -s --noproxy '' --max-time 30 -x "http://127.0.0.1:$proxy_port" -o "$out" \
    -w '%{http_code}' "$@" "$url"
}
allowed () {
  local code
  code=$(through "$tmp/got.bin" "http://127.0.0.1:$origin_port/origin.bin")
  [ "$code" = 200 ] || { echo "status $code"; return 1; }
  cmp "$tmp/www/origin.bin" "$tmp/got.bin"
}
blocked () {  # blocked HOST
  local code
  code=$(through /dev/null "http://$1/")
  echo "status $code"
  [ "$code" = 403 ]
}
tunnel () {
  local code
  code=$(through "$tmp/tunnel.bin" "http://127.0.0.1:$origin_port/origin.bin" -p)
  [ "$code" = 200 ] || { echo "status $code"; return 1; }
  cmp "$tmp/www/origin.bin" "$tmp/tunnel.bin"
}
tunnel_blocked () {
  local code
  code=$(curl -s --noproxy '' --max-time 30 -x "http://127.0.0.1:$proxy_port" -p -o /dev/null \
    -w '%{http_connect}' "http://ads.example:443/")
  echo "CONNECT status $code"
  [ "$code" = 403 ]
}
still_running () { kill -0 "$guardnest_pid"; }

ok "allowed host: the origin's 300000 bytes, unchanged" allowed
ok "listed host ads.example: 403" blocked ads.example
ok "subdomain deep.sub.ads.example: 403" blocked deep.sub.ads.example
ok "CONNECT tunnel to the origin carries its bytes" tunnel
ok "CONNECT to ads.example:443: 403" tunnel_blocked
ok "guardnest.exe still running after the checks" still_running
sed 's/^/# guardnest: /' "$tmp/guardnest.log" | head -n 40
exit "$failed"
