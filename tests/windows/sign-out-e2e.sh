#!/usr/bin/env bash
# The check helpers below are called through ok(), not unreachable:
# shellcheck disable=SC2317
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The real guardnest.exe --headless --system-proxy under Wine, through a
# cancelled sign-out and then a crash, as TAP:
#   sign-out-e2e.sh GUARDNEST_EXE TEST_WINPROXY_EXE
# With the user's company proxy in the registry: protection on points it at
# GuardNest; WM_QUERYENDSESSION to GuardNest's session window (what Windows
# sends at a sign-out) puts the user's proxy back; WM_ENDSESSION(FALSE) (an
# app refused, or the user chose to stay) points it at GuardNest again, with
# the journal and the RunOnce repair entry back, while the proxy keeps
# serving. Then a crash (SIGKILL), another program changing ProxyOverride,
# and `guardnest.exe --repair-proxy`: the GLib adapter's per-key restore
# gives ProxyServer back and keeps the other program's ProxyOverride.
# test-winproxy.exe --session-message sends the messages. Needs WINEPATH for
# the stack's DLLs (check-all.sh and the cross build's meson test set it).
set -uo pipefail

exe=${1:?usage: sign-out-e2e.sh GUARDNEST_EXE TEST_WINPROXY_EXE}
helper=${2:?usage: sign-out-e2e.sh GUARDNEST_EXE TEST_WINPROXY_EXE}
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
for tool in wine wineserver curl python3; do
  command -v "$tool" >/dev/null || { echo "Bail out! $tool not found"; exit 1; }
done

tmp=$(mktemp -d /tmp/gn-sign-out-e2e.XXXXXX)
export WINEPREFIX=$tmp/wine WINEARCH=win64 WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
guardnest_pid=
cleanup () {
  [ -z "$guardnest_pid" ] || kill -9 "$guardnest_pid" 2>/dev/null
  wineserver -k 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
wine wineboot --init >/dev/null 2>&1
# Wine's null display driver: GuardNest's hidden top-level session window
# exists without X (takes effect once the server restarts).
wine reg add 'HKCU\Software\Wine\Drivers' /v Graphics /d null /f >/dev/null 2>&1
wineserver -w

ie='HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings'
runonce='HKCU\Software\Microsoft\Windows\CurrentVersion\RunOnce'
regval () {  # regval KEY VALUE -> data on stdout, status 1 if absent
  wine reg query "$1" /v "$2" 2>/dev/null | tr -d '\r' |
    awk -v v="$2" '$1 == v { sub(/^[ \t]*[^ \t]+[ \t]+[^ \t]+[ \t]+/, ""); print; found = 1 }
                   END { exit !found }'
}
wait_for () { for _ in $(seq 1 60); do "$@" && return 0; sleep 0.5; done; return 1; }
state () { echo "$(regval "$ie" ProxyEnable)|$(regval "$ie" ProxyServer)|$(regval "$ie" ProxyOverride)"; }

wine reg add "$ie" /v ProxyEnable /t REG_DWORD /d 1 /f >/dev/null 2>&1
wine reg add "$ie" /v ProxyServer /d corp-proxy.example:8080 /f >/dev/null 2>&1
wine reg add "$ie" /v ProxyOverride /d '*.corp.example;<local>' /f >/dev/null 2>&1
user_state=$(state)
local_dir=$(find "$WINEPREFIX/drive_c/users" -maxdepth 3 -path '*/AppData/Local' | grep -v /Public/ | head -1)
journal=$local_dir/guardnest/proxy-journal.txt
printf 'ads.example\n' > "$tmp/blocklist.txt"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

echo "1..10"
wine "$exe" --headless --system-proxy --port "$port" \
  --blocklist "$(winepath -w "$tmp/blocklist.txt")" >"$tmp/guardnest.log" 2>&1 &
guardnest_pid=$!

points_at_us () {
  [ "$(regval "$ie" ProxyServer)" = "127.0.0.1:$port" ] && [ "$(regval "$ie" ProxyEnable)" = 0x1 ]
}
is_user_state () { [ "$(state)" = "$user_state" ]; }
on () {
  if wait_for points_at_us && [ -f "$journal" ] && regval "$runonce" GuardNestRepair >/dev/null; then
    return 0
  fi
  state
  tail -n 20 "$tmp/guardnest.log"
  return 1
}
ok "protection on: the proxy points at 127.0.0.1:$port, journal and RunOnce entry in place" on
session () { wine "$helper" --session-message "$1"; }
signing_out () {
  if session query && wait_for is_user_state; then return 0; fi
  state
  return 1
}
ok "WM_QUERYENDSESSION: the user's proxy is back at once" signing_out
cancelled () { session cancel && on; }
ok "WM_ENDSESSION(FALSE), sign-out cancelled: the proxy points at GuardNest again" cancelled
serves () {
  local code
  code=$(curl -s --noproxy '' --max-time 10 -x "http://127.0.0.1:$port" -o /dev/null \
    -w '%{http_code}' http://ads.example/)
  echo "status $code"
  [ "$code" = 403 ]
}
ok "and GuardNest still protects: ads.example through it is 403" serves
said () { grep -q 'points at GuardNest again' "$tmp/guardnest.log" || { tail -n 20 "$tmp/guardnest.log"; return 1; }; }
ok "the log says the proxy was pointed at GuardNest again" said

# A crash, then another program changes one key, then the repair.
kill -9 "$guardnest_pid" 2>/dev/null
wait "$guardnest_pid" 2>/dev/null
guardnest_pid=
ok "after a crash the proxy still points at GuardNest" points_at_us
wine reg add "$ie" /v ProxyOverride /d '*.other.example;<local>' /f >/dev/null 2>&1
wine "$exe" --repair-proxy >"$tmp/repair.log" 2>&1
sed 's/^/# repair: /' "$tmp/repair.log"
per_key () {
  [ "$(state)" = "0x1|corp-proxy.example:8080|*.other.example;<local>" ] || { state; return 1; }
}
ok "--repair-proxy per key: ProxyServer back, the other program's ProxyOverride kept" per_key
ok "the message names the key that was kept" grep -q 'ProxyOverride' "$tmp/repair.log"
ok "the core's journal is gone" test ! -e "$journal"
no_runonce () { ! regval "$runonce" GuardNestRepair >/dev/null; }
ok "the RunOnce repair entry is gone" no_runonce
exit "$failed"
