#!/usr/bin/env bash
# The check helpers below are called through ok(), not unreachable:
# shellcheck disable=SC2317
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The GTK window of guardnest.exe under Wine on Xvfb, as TAP (run under
# xvfb-run; WINEPATH must find the stack's DLLs):
#   window-e2e.sh GUARDNEST_EXE [SCREENSHOT.png]
# The user's own proxy is a company proxy (ProxyEnable=1, ProxyServer,
# ProxyOverride in HKCU's Internet Settings). GuardNest starts with
# protection remembered on (settings.ini, as the window saves it): the
# registry values then point at 127.0.0.1:PORT and the proxy serves; the
# window is photographed; closing it (WM_CLOSE, as the title bar's close
# button or the taskbar does) turns protection off and the user's values
# are back exactly. In between, a second start hands over to the first
# and ends (single instance without D-Bus).
set -uo pipefail

exe=${1:?usage: window-e2e.sh GUARDNEST_EXE [SCREENSHOT.png]}
shot=${2:-}
case "$shot" in ''|/*) ;; *) shot=$PWD/$shot ;; esac   # the script changes folder
here=$(cd "$(dirname "$0")" && pwd)
n=0
failed=0
ok () {
  local desc=$1 output status
  shift
  n=$((n + 1))
  output=$("$@" 2>&1)
  status=$?
  [ -z "$output" ] || printf '%s\n' "$output" | sed 's/^/# /'
  if [ "$status" = 0 ]; then echo "ok $n - $desc"; else echo "not ok $n - $desc"; failed=1; fi
}
for tool in wine wineserver curl python3 xwd; do
  command -v "$tool" >/dev/null || { echo "Bail out! $tool not found"; exit 1; }
done
[ -n "${DISPLAY:-}" ] || { echo "Bail out! no DISPLAY: run under xvfb-run"; exit 1; }

tmp=$(mktemp -d /tmp/gn-window-e2e.XXXXXX)
export WINEPREFIX=$tmp/wine WINEARCH=win64 WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
cleanup () { wineserver -k 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
wine wineboot --init >/dev/null 2>&1
wineserver -w

inet='HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings'
regval () {  # regval VALUE -> data on stdout, status 1 if absent
  wine reg query "$inet" /v "$1" 2>/dev/null | tr -d '\r' |
    awk -v v="$1" '$1 == v { sub(/^[ \t]*[^ \t]+[ \t]+[^ \t]+[ \t]+/, ""); print; found = 1 }
                   END { exit !found }'
}
state () { echo "$(regval ProxyEnable)|$(regval ProxyServer)|$(regval ProxyOverride)"; }

# The user's own settings: a company proxy.
wine reg add "$inet" /v ProxyEnable /t REG_DWORD /d 1 /f >/dev/null 2>&1
wine reg add "$inet" /v ProxyServer /t REG_SZ /d proxy.corp.example:3128 /f >/dev/null 2>&1
wine reg add "$inet" /v ProxyOverride /t REG_SZ /d '<local>;*.corp.example' /f >/dev/null 2>&1
before=$(state)

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
local_dir=$WINEPREFIX/drive_c/users/${USER:-$(id -un)}/AppData/Local
mkdir -p "$local_dir/guardnest" "$local_dir/gtk-4.0"
printf '[engine]\nport=%s\n\n[state]\nprotection=true\n' "$port" > "$local_dir/guardnest/settings.ini"
# Wine's own UI font (its Tahoma) has no DirectWrite description, so pango
# draws boxes: have Wine substitute a host font (fontconfig's DejaVu Sans)
# for the names GTK asks Windows for.
printf '[Settings]\ngtk-font-name=DejaVu Sans 10\n' > "$local_dir/gtk-4.0/settings.ini"
for face in Tahoma 'MS Shell Dlg' 'MS Shell Dlg 2' 'Segoe UI' 'Microsoft Sans Serif'; do
  wine reg add 'HKCU\Software\Wine\Fonts\Replacements' /v "$face" /d 'DejaVu Sans' /f >/dev/null 2>&1
done
wineserver -w

export GSK_RENDERER=cairo GTK_A11Y=none
cd "$tmp" || exit 1
wine "$exe" >"$tmp/guardnest.log" 2>&1 &
pid=$!   # `wine` lives as long as the Windows program

echo "1..7"
wait_for () { for _ in $(seq 1 240); do "$@" && return 0; sleep 0.5; done; return 1; }
points_at_us () { regval ProxyServer | grep -q "127.0.0.1:$port"; [ "$(regval ProxyEnable)" = 0x1 ]; }
on () { wait_for points_at_us || { state; tail -n 20 "$tmp/guardnest.log"; return 1; }; state; }
ok "protection on: the registry's proxy points at 127.0.0.1:$port" on
serves () {
  curl -s -o /dev/null --max-time 5 --noproxy '' -x "http://127.0.0.1:$port" "http://127.0.0.1:$port/"
}
ok "the window's proxy answers on 127.0.0.1:$port" wait_for serves
window_id () { xdotool search --name GuardNest 2>/dev/null | head -n 1; }
has_window () { [ -n "$(window_id)" ]; }
ok "a top-level window named GuardNest is mapped" wait_for has_window
screenshot () {
  [ -n "$shot" ] || return 0
  sleep 3   # let the first frames settle
  local id
  id=$(window_id)
  { xwd -silent -frame -id "$id" > "$tmp/screen.xwd" || xwd -root -silent > "$tmp/screen.xwd"; } &&
    python3 "$here/xwd-to-png.py" "$tmp/screen.xwd" "$shot"
}
ok "screenshot ${shot:-(none asked)}" screenshot
# Single instance without D-Bus: a second start hands over to the first
# (GnSingleInstance: named mutex + message-only window) and ends, whether
# or not GLib finds gdbus.exe (the app is G_APPLICATION_NON_UNIQUE there).
second_start () {
  local second
  wine "$exe" >"$tmp/second.log" 2>&1 &
  second=$!
  for _ in $(seq 1 120); do kill -0 "$second" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$second" 2>/dev/null; then
    kill "$second"
    echo "the second guardnest.exe is still running"
    return 1
  fi
  kill -0 "$pid" || { echo "the first guardnest.exe is gone"; return 1; }
}
ok "a second start hands over to the first one and ends" second_start
close () { wine taskkill /im guardnest.exe >/dev/null 2>&1; wait_for is_before; }
is_before () { [ "$(state)" = "$before" ]; }
ok "closing the window restores the user's proxy values exactly" close
gone () { ! kill -0 "$pid" 2>/dev/null; }
ok "guardnest.exe has exited" wait_for gone
sed 's/^/# guardnest: /' "$tmp/guardnest.log" | grep -v 'Pango-CRITICAL\|^# guardnest: $' | head -n 20
exit "$failed"
