#!/usr/bin/env bash
# The check helpers below are called through ok(), not unreachable:
# shellcheck disable=SC2317
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The installer made by build-aux/windows/make-installer.sh, as a user gets
# it, under Wine (a fresh 64-bit prefix, no WINEPATH: only what the
# installer ships can be found), as TAP:
#   installer-e2e.sh SETUP_EXE
# Silent install; the files a run needs are in place (programs, DLLs, the
# GIO TLS module, compiled schemas, icons, the GTK app's extras when it is
# the GTK build); the installed guardnest.exe --headless serves through
# Linux curl (allowed bytes, 403 for a listed host); silent uninstall
# /PURGE leaves no file, no Uninstall key and no Run/RunOnce entry behind.
set -uo pipefail

setup=${1:?usage: installer-e2e.sh SETUP_EXE}
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
for tool in wine wineserver curl python3 cmp; do
  command -v "$tool" >/dev/null || { echo "Bail out! $tool not found"; exit 1; }
done

tmp=$(mktemp -d /tmp/gn-installer-e2e.XXXXXX)
unset WINEPATH
export WINEPREFIX=$tmp/wine WINEARCH=win64 WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
origin_pid=
cleanup () {
  [ -z "$origin_pid" ] || kill "$origin_pid" 2>/dev/null
  wineserver -k 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
wine wineboot --init >/dev/null 2>&1
wine reg add 'HKCU\Software\Wine\Drivers' /v Graphics /d null /f >/dev/null 2>&1
wineserver -w
app="$WINEPREFIX/drive_c/Program Files/GuardNest"

regkey () { wine reg query "$1" >/dev/null 2>&1; }
regval () { wine reg query "$1" /v "$2" >/dev/null 2>&1; }

echo "1..9"
install () { wine "$setup" /S; wineserver -w; test -f "$app/bin/guardnest.exe"; }
ok "silent install puts guardnest.exe in Program Files" install
files () {
  local f missing=0
  for f in bin/guardnest.exe bin/guardnest-repair.exe bin/libglib-2.0-0.dll bin/libsoup-3.0-0.dll \
           bin/libssl-3-x64.dll lib/gio/modules/libgioopenssl.dll \
           share/glib-2.0/schemas/gschemas.compiled share/doc/guardnest/COPYING uninstall.exe; do
    [ -e "$app/$f" ] || { echo "missing $f"; missing=1; }
  done
  if [ -e "$app/bin/libgtk-4-1.dll" ]; then
    compgen -G "$app/share/glib-2.0/schemas/org.gtk.gtk4.*" >/dev/null ||
      { echo "no GTK schemas"; missing=1; }
  fi
  return "$missing"
}
ok "the runtime is in place (DLLs, GIO TLS module, compiled schemas, license)" files
ok "the Uninstall key is written" regkey 'HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\GuardNest'

free_port () {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
mkdir -p "$tmp/www"
head -c 100000 /dev/urandom > "$tmp/www/origin.bin"
printf 'ads.example\n' > "$tmp/blocklist.txt"
origin_port=$(free_port)
python3 -m http.server --bind 127.0.0.1 --directory "$tmp/www" "$origin_port" >/dev/null 2>&1 &
origin_pid=$!
proxy_port=$(free_port)
wine "$app/bin/guardnest.exe" --headless --port "$proxy_port" \
  --blocklist "$(winepath -w "$tmp/blocklist.txt")" >"$tmp/guardnest.log" 2>&1 &
guardnest_pid=$!
ready () {
  for _ in $(seq 1 120); do
    curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$proxy_port/" && return 0
    kill -0 "$guardnest_pid" 2>/dev/null || { cat "$tmp/guardnest.log"; return 1; }
    sleep 0.5
  done
  cat "$tmp/guardnest.log"; return 1
}
ok "the installed guardnest.exe --headless starts with only the installed files" ready
allowed () {
  local code
  code=$(curl -s --noproxy '' --max-time 30 -x "http://127.0.0.1:$proxy_port" -o "$tmp/got.bin" \
    -w '%{http_code}' "http://127.0.0.1:$origin_port/origin.bin")
  [ "$code" = 200 ] || { echo "status $code"; return 1; }
  cmp "$tmp/www/origin.bin" "$tmp/got.bin"
}
blocked () {
  local code
  code=$(curl -s --noproxy '' --max-time 30 -x "http://127.0.0.1:$proxy_port" -o /dev/null \
    -w '%{http_code}' "http://www.ads.example/")
  echo "status $code"; [ "$code" = 403 ]
}
ok "through the installed proxy: the origin's bytes" allowed
ok "through the installed proxy: 403 for a listed host's subdomain" blocked
kill "$guardnest_pid" 2>/dev/null
wineserver -k 2>/dev/null; wineserver -w 2>/dev/null

uninstall () { wine "$app/uninstall.exe" /S /PURGE _?="$(winepath -w "$app")"; wineserver -w; }
ok "silent uninstall with /PURGE runs" uninstall
gone () {
  local left
  left=$(find "$app" -type f 2>/dev/null)
  [ -z "$left" ] || { echo "left behind: $left"; return 1; }
  ! regkey 'HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\GuardNest'
}
ok "no GuardNest file and no Uninstall key are left" gone
no_run () {
  ! regval 'HKLM\Software\Microsoft\Windows\CurrentVersion\Run' GuardNest &&
  ! regval 'HKCU\Software\Microsoft\Windows\CurrentVersion\Run' GuardNest &&
  ! regval 'HKCU\Software\Microsoft\Windows\CurrentVersion\RunOnce' GuardNestRepair
}
ok "no Run or RunOnce entry is left" no_run
exit "$failed"
