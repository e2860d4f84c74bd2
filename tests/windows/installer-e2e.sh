#!/usr/bin/env bash
# The check helpers below are called through ok(), not unreachable:
# shellcheck disable=SC2317
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The installer made by build-aux/windows/make-installer.sh, as a user gets
# it, under Wine (a fresh 64-bit prefix, no WINEPATH: only what the
# installer ships can be found), as TAP:
#   installer-e2e.sh SETUP_EXE
# - silent install with /AUTOSTART: the files a run needs (programs, DLLs,
#   the GIO TLS module, compiled schemas, the GTK app's icons when it is the
#   GTK build), the Uninstall key, "start with Windows" for this user only
#   (HKCU Run, the app's own value; nothing under HKLM Run);
# - the installed guardnest.exe --headless serves through Linux curl
#   (allowed bytes, 403 for a listed host), listening on 127.0.0.1 only;
# - an upgrade while it runs: the installer asks it to quit, it quits
#   gracefully (its own log says so), the upgrade succeeds;
# - a blocklist subscription downloaded over HTTPS from a local origin whose
#   certificate comes from a test CA: refused while the CA is unknown, then
#   downloaded and enforced once the CA is in the user's Windows "Root"
#   certificate store (the store glib-networking's OpenSSL backend reads);
# - a hung GuardNest (SIGSTOP): the uninstaller refuses with exit code 3
#   and removes nothing;
# - a running GuardNest with protection on (the user's company proxy in the
#   registry): the silent uninstall /PURGE asks it to quit, it puts the
#   proxy back itself, and afterwards no file, no registry value, no
#   Uninstall key, no Run/RunOnce entry of GuardNest is left.
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
for tool in wine wineserver curl python3 cmp openssl; do
  command -v "$tool" >/dev/null || { echo "Bail out! $tool not found"; exit 1; }
done
here=$(cd "$(dirname "$0")" && pwd)
source_root=$(cd "$here/../.." && pwd)

tmp=$(mktemp -d /tmp/gn-installer-e2e.XXXXXX)
unset WINEPATH
export WINEPREFIX=$tmp/wine WINEARCH=win64 WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
pids=()
cleanup () {
  local pid
  for pid in "${pids[@]}"; do kill -CONT "$pid" 2>/dev/null; kill "$pid" 2>/dev/null; done
  wineserver -k 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
wine wineboot --init >/dev/null 2>&1
wine reg add 'HKCU\Software\Wine\Drivers' /v Graphics /d null /f >/dev/null 2>&1
wineserver -w
drive=$WINEPREFIX/drive_c
app="$drive/Program Files/GuardNest"
profile=$(find "$drive/users" -mindepth 1 -maxdepth 1 -type d ! -name Public | head -1)
localappdata=$profile/AppData/Local
ie='HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings'
hkcu_run='HKCU\Software\Microsoft\Windows\CurrentVersion\Run'
hklm_run='HKLM\Software\Microsoft\Windows\CurrentVersion\Run'
runonce='HKCU\Software\Microsoft\Windows\CurrentVersion\RunOnce'
uninst='HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\GuardNest'

regkey () { wine reg query "$1" >/dev/null 2>&1; }
regval () {  # regval KEY VALUE -> data on stdout, status 1 if absent
  wine reg query "$1" /v "$2" 2>/dev/null | tr -d '\r' |
    awk -v v="$2" '$1 == v { sub(/^[ \t]*[^ \t]+[ \t]+[^ \t]+[ \t]+/, ""); print; found = 1 }
                   END { exit !found }'
}
# Every file of the user profile and ProgramData, to compare after /PURGE.
user_files () { (cd "$drive" && find users ProgramData -type f 2>/dev/null | sort); }
free_port () {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_guardnest LOG PORT ARGS...: the installed guardnest.exe --headless;
# its Linux pid (Wine runs the Windows process in it) in $gn_pid.
start_guardnest () {
  local log=$1 port=$2
  shift 2
  wine "$app/bin/guardnest.exe" --headless --port "$port" "$@" >"$log" 2>&1 &
  gn_pid=$!
  pids+=("$gn_pid")
}
ready () {  # ready PID PORT LOG
  for _ in $(seq 1 120); do
    curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$2/" && return 0
    kill -0 "$1" 2>/dev/null || { cat "$3"; return 1; }
    sleep 0.5
  done
  cat "$3"; return 1
}
gone () {  # gone PID: the process ended within 40 s
  for _ in $(seq 1 80); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.5; done
  echo "process $1 still runs"; return 1
}
# The quit GuardNest reports when asked through its quit window.
quit_gracefully () {  # quit_gracefully PID LOG
  gone "$1" || return 1
  if ! grep -q 'asked to quit: stopping' "$2" || ! grep -q 'GuardNest proxy stopped' "$2"; then
    echo "no graceful quit in its log:"; cat "$2"; return 1
  fi
}
# uninstall_in_place ARGS...: uninstall.exe /S ARGS _?=C:\Program Files\GuardNest,
# which runs the uninstaller in place (not from a copy in %TEMP%), so its
# exit status is the one seen here. "_?=" must reach NSIS unquoted although
# the path has a space, and wine quotes such arguments: a batch file says it.
# (No wineserver -w after it: that would also wait for a stopped process.)
# The batch file also writes the uninstaller's exit code to
# C:\gn-uninstall.status, so a failure can tell the uninstaller's answer from
# one of cmd or wine; what wine printed is kept in $tmp/uninstall.out.
uninstall_in_place () {
  rm -f "$drive/gn-uninstall.status"
  printf '"C:\\Program Files\\GuardNest\\uninstall.exe" /S %s _?=C:\\Program Files\\GuardNest\r\nset GN_STATUS=%%ERRORLEVEL%%\r\n(echo %%GN_STATUS%%)>C:\\gn-uninstall.status\r\nexit /b %%GN_STATUS%%\r\n' \
    "$*" >"$drive/gn-uninstall.bat"
  WINEDEBUG=err+all wine cmd /c 'C:\gn-uninstall.bat' >"$tmp/uninstall.out" 2>&1
}
# What the last uninstall_in_place left to look at, for a failure.
uninstall_report () {
  local f=$drive/gn-uninstall.status
  if [ -s "$f" ]; then echo "the uninstaller's own exit code: $(tr -d '\r ' <"$f")"
  else echo "no exit code from the uninstaller: it did not finish, or cmd never started it"; fi
  [ -s "$tmp/uninstall.out" ] && { echo "wine printed:"; cat "$tmp/uninstall.out"; }
}
proxied () {  # proxied PORT URL -> HTTP status through GuardNest
  curl -s --noproxy '' --max-time 30 -x "http://127.0.0.1:$1" -o "$tmp/got.bin" \
    -w '%{http_code}' "$2"
}

echo "1..26"
user_files >"$tmp/files-before"

install () { wine "$setup" /S /AUTOSTART; wineserver -w; test -f "$app/bin/guardnest.exe"; }
ok "silent install with /AUTOSTART puts guardnest.exe in Program Files" install
files () {
  local f missing=0 name found
  for f in bin/guardnest.exe bin/guardnest-repair.exe bin/libglib-2.0-0.dll bin/libsoup-3.0-0.dll \
           bin/libssl-3-x64.dll lib/gio/modules/libgioopenssl.dll \
           share/glib-2.0/schemas/gschemas.compiled share/doc/guardnest/COPYING uninstall.exe; do
    [ -e "$app/$f" ] || { echo "missing $f"; missing=1; }
  done
  [ -e "$app/bin/libgtk-4-1.dll" ] || return "$missing"
  compgen -G "$app/share/glib-2.0/schemas/org.gtk.gtk4.*" >/dev/null ||
    { echo "no GTK schemas"; missing=1; }
  for f in share/icons/Adwaita/index.theme share/icons/Adwaita/icon-theme.cache \
           share/icons/hicolor/index.theme share/icons/hicolor/icon-theme.cache \
           share/icons/hicolor/48x48/apps/io.github.guardnest.GuardNest.png \
           share/icons/hicolor/16x16/apps/io.github.guardnest.GuardNest-symbolic.symbolic.png; do
    [ -e "$app/$f" ] || { echo "missing $f"; missing=1; }
  done
  # Every symbolic icon the window names, as a PNG GTK can draw without an
  # SVG loader (the stack has none).
  for name in $(grep -rhoE '[">][a-z][a-z-]*-symbolic["<]' "$source_root"/data/ui \
                  "$source_root"/src/ui | tr -d '"<>' | sort -u); do
    found=$(find "$app/share/icons" -name "$name.symbolic.png" -print -quit)
    [ -n "$found" ] || { echo "no icon $name"; missing=1; }
  done
  return "$missing"
}
ok "the runtime is in place (DLLs, GIO TLS module, schemas, license, the GTK build's icons)" files
ok "the Uninstall key is written" regkey "$uninst"
autostart () {
  local value
  value=$(regval "$hkcu_run" GuardNest) || { echo "no HKCU Run value"; return 1; }
  echo "HKCU Run: $value"
  [ "$value" = '"C:\Program Files\GuardNest\bin\guardnest.exe" --background' ] &&
    ! regval "$hklm_run" GuardNest
}
ok "start with Windows: this user's HKCU Run (the app's own value), nothing under HKLM" autostart

# --- the installed headless proxy ------------------------------------------
mkdir -p "$tmp/www"
head -c 100000 /dev/urandom >"$tmp/www/origin.bin"
printf 'ads.example\n' >"$tmp/blocklist.txt"
blocklist_w=$(winepath -w "$tmp/blocklist.txt")
origin_port=$(free_port)
python3 -m http.server --bind 127.0.0.1 --directory "$tmp/www" "$origin_port" >/dev/null 2>&1 &
pids+=("$!")
port=$(free_port)
start_guardnest "$tmp/run1.log" "$port" --blocklist "$blocklist_w"
run1=$gn_pid
ok "the installed guardnest.exe --headless starts with only the installed files" \
  ready "$run1" "$port" "$tmp/run1.log"
allowed () {
  local code
  code=$(proxied "$port" "http://127.0.0.1:$origin_port/origin.bin")
  [ "$code" = 200 ] || { echo "status $code"; return 1; }
  cmp "$tmp/www/origin.bin" "$tmp/got.bin"
}
ok "through the installed proxy: the origin's bytes" allowed
blocked () { local code; code=$(proxied "$1" "$2"); echo "status $code"; [ "$code" = 403 ]; }
ok "through the installed proxy: 403 for a listed host's subdomain" \
  blocked "$port" "http://www.ads.example/"
# Loopback only: other hosts cannot reach it, so no firewall rule is needed
# (the kernel's own table of listening sockets, as Wine made them).
loopback_only () {
  local hex listeners
  hex=$(printf '%04X' "$port")
  listeners=$(grep -hE "^ *[0-9]+: [0-9A-F]+:$hex [0-9A-F]+:0000 0A " /proc/net/tcp /proc/net/tcp6 \
              2>/dev/null | awk '{ print $2 }')
  echo "listening sockets on port $port: $listeners"
  [ "$listeners" = "0100007F:$hex" ]
}
ok "it listens on 127.0.0.1 only" loopback_only

# --- upgrade while it runs ---------------------------------------------------
upgrade () {
  local status
  wine "$setup" /S; status=$?; wineserver -w
  echo "setup exit status $status"
  [ "$status" = 0 ] && test -f "$app/bin/guardnest.exe"
}
ok "an upgrade while GuardNest runs succeeds" upgrade
ok "the upgrade asked the running GuardNest to quit, and it quit gracefully" \
  quit_gracefully "$run1" "$tmp/run1.log"

# --- a blocklist downloaded over HTTPS, trusted through the Windows store -----
# A test CA and a certificate for 127.0.0.1 signed by it.
(
  cd "$tmp" &&
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
    -subj "/CN=GuardNest test CA" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" &&
  openssl req -newkey rsa:2048 -nodes -keyout origin.key -out origin.csr -subj "/CN=127.0.0.1" &&
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >ext.cnf &&
  openssl x509 -req -in origin.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out origin.pem \
    -days 2 -extfile ext.cnf
) >"$tmp/openssl.log" 2>&1 || { cat "$tmp/openssl.log"; echo "Bail out! openssl"; exit 1; }
mkdir -p "$tmp/tls-www"
printf '# served over HTTPS\ntls-listed.example\n' >"$tmp/tls-www/list.txt"
tls_port=$(free_port)
python3 - "$tls_port" "$tmp/tls-www" "$tmp/origin.pem" "$tmp/origin.key" >"$tmp/https.log" 2>&1 <<'PY' &
import functools, http.server, ssl, sys
port, root, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
PY
pids+=("$!")
# The user's subscription, as the window's Blocklists page saves it.
mkdir -p "$localappdata/guardnest"
cat >"$localappdata/guardnest/blocklists.json" <<EOF
{ "version": 1, "allowlist": [], "blocklist": [],
  "sources": [ { "id": "tls-test", "name": "TLS test", "enabled": true, "format": "domains",
                 "url": "https://127.0.0.1:$tls_port/list.txt" } ] }
EOF
origin_up () {
  for _ in $(seq 1 40); do
    curl -s --cacert "$tmp/ca.pem" -o /dev/null "https://127.0.0.1:$tls_port/list.txt" && return 0
    sleep 0.25
  done
  cat "$tmp/https.log"; return 1
}
ok "the local HTTPS origin serves the list (curl with the test CA)" origin_up
wait_log () {  # wait_log LOG PATTERN: up to 60 s
  for _ in $(seq 1 120); do grep -q "$2" "$1" && return 0; sleep 0.5; done
  echo "no '$2' in:"; cat "$1"; return 1
}
# wine taskkill without /F: WM_CLOSE to the process's windows, the quit window too.
taskkill_quit () { wine taskkill /IM guardnest.exe >/dev/null 2>&1; quit_gracefully "$1" "$2"; }

port=$(free_port)
start_guardnest "$tmp/tls1.log" "$port"
untrusted () {
  ready "$gn_pid" "$port" "$tmp/tls1.log" &&
    wait_log "$tmp/tls1.log" 'TLS test: .*certificate' || return 1
  local code; code=$(proxied "$port" "http://tls-listed.example/")
  echo "status $code"; [ "$code" != 403 ]
}
ok "before the CA is trusted: the download is refused for its certificate" untrusted
ok "taskkill (without /F) quits it gracefully" taskkill_quit "$gn_pid" "$tmp/tls1.log"

# "certutil -user -addstore Root ca.pem" (Wine's certutil is a stub): the
# certificate as Windows keeps it in the user's Root store, a registry value
# HKCU\Software\Microsoft\SystemCertificates\Root\Certificates\<SHA-1>\Blob
# holding the serialized certificate (property 32, the DER bytes).
add_root () {
  local thumb hex
  openssl x509 -in "$tmp/ca.pem" -outform DER -out "$tmp/ca.der" || return 1
  thumb=$(openssl x509 -in "$tmp/ca.pem" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g')
  hex=$(python3 -c 'import struct, sys; d = open(sys.argv[1], "rb").read()
sys.stdout.write((struct.pack("<III", 32, 1, len(d)) + d).hex())' "$tmp/ca.der")
  wine reg add "HKCU\\Software\\Microsoft\\SystemCertificates\\Root\\Certificates\\$thumb" \
    /v Blob /t REG_BINARY /d "$hex" /f >/dev/null 2>&1 && wineserver -w || return 1
  # With no Wine process left the registry is on disk: the next start reads it.
  grep -qiF "SystemCertificates\\\\Root\\\\Certificates\\\\$thumb]" "$WINEPREFIX/user.reg" ||
    { echo "the certificate $thumb is not in user.reg"; return 1; }
}
ok "the test CA is added to the user's Windows Root certificate store" add_root
port=$(free_port)
start_guardnest "$tmp/tls2.log" "$port"
tls_download () {
  local code
  ready "$gn_pid" "$port" "$tmp/tls2.log" || return 1
  for _ in $(seq 1 120); do
    code=$(proxied "$port" "http://www.tls-listed.example/")
    [ "$code" = 403 ] && { echo "status 403"; return 0; }
    sleep 0.5
  done
  echo "status $code"; cat "$tmp/tls2.log"
  echo "the test CA in the user's Root store:"
  wine reg query 'HKCU\Software\Microsoft\SystemCertificates\Root\Certificates' 2>&1 | tr -d '\r'
  echo "the origin's certificate against the test CA (openssl verify):"
  openssl verify -CAfile "$tmp/ca.pem" "$tmp/origin.pem" 2>&1
  return 1
}
ok "with the CA trusted: the HTTPS list is downloaded and its domain blocked (403)" tls_download
cached () {
  local f
  f=$(find "$localappdata/Microsoft/Windows/INetCache/guardnest/lists" -name 'tls-test*' -print -quit 2>/dev/null)
  [ -n "$f" ] && echo "cached: ${f#"$drive/"}" && grep -q tls-listed.example "$f"
}
ok "the downloaded list is cached in GLib's user cache folder (the Internet cache)" cached
ok "taskkill quits that one gracefully too" taskkill_quit "$gn_pid" "$tmp/tls2.log"

# --- a GuardNest that cannot quit ------------------------------------------------
nothing_removed () {
  test -f "$app/bin/guardnest.exe" && test -f "$app/uninstall.exe" &&
    regkey "$uninst" && regval "$hkcu_run" GuardNest >/dev/null
}
# A GuardNest that serves, then is stopped (SIGSTOP: it answers nothing),
# and the uninstaller run in place; its Linux pid in $tmp/hung.pid (the
# check runs in a subshell).
hung_uninstall () {
  local port
  port=$(free_port)
  start_guardnest "$tmp/hung.log" "$port" --blocklist "$blocklist_w"
  echo "$gn_pid" >"$tmp/hung.pid"
  ready "$gn_pid" "$port" "$tmp/hung.log" >/dev/null || return 1
  kill -STOP "$gn_pid"
  uninstall_in_place /PURGE
}
refused () {
  local status hung
  hung_uninstall; status=$?
  # Only when the uninstaller itself never answered (cmd or wine failed to
  # run it, so nothing was tested): the whole case once more, with a new
  # GuardNest, and the output says so.
  if [ "$status" != 3 ] && [ ! -s "$drive/gn-uninstall.status" ] && nothing_removed; then
    echo "uninstall exit status $status without an answer from the uninstaller:"
    uninstall_report
    hung=$(cat "$tmp/hung.pid")
    kill -CONT "$hung"; kill -KILL "$hung"; gone "$hung" >/dev/null
    echo "once more, with a new GuardNest"
    hung_uninstall; status=$?
  fi
  echo "uninstall exit status $status"
  [ "$status" = 3 ] && nothing_removed && return 0
  hung=$(cat "$tmp/hung.pid")
  uninstall_report
  echo "the stopped GuardNest: $(ps -o pid=,stat=,etime=,args= -p "$hung" || echo gone)"
  echo "Wine processes:"; ps -o pid=,ppid=,stat=,etime=,args= -p "$(pgrep -d, -i -f 'wine|[.]exe')"
  echo "its log:"; cat "$tmp/hung.log"
  nothing_removed && echo "(nothing was removed)"
  return 1
}
ok "a hung GuardNest: the uninstaller refuses (exit 3) and removes nothing" refused
hung=$(cat "$tmp/hung.pid")
pids+=("$hung")
kill -CONT "$hung"
# It may still find the request it was sent; if not, it is stopped the hard way.
gone "$hung" >/dev/null || { kill "$hung"; gone "$hung" >/dev/null; }

# --- uninstall /PURGE while GuardNest protects -------------------------------------
wine reg add "$ie" /v ProxyEnable /t REG_DWORD /d 1 /f >/dev/null 2>&1
wine reg add "$ie" /v ProxyServer /d corp-proxy.example:8080 /f >/dev/null 2>&1
port=$(free_port)
start_guardnest "$tmp/protect.log" "$port" --blocklist "$blocklist_w" --system-proxy
protecting () {
  ready "$gn_pid" "$port" "$tmp/protect.log" || return 1
  for _ in $(seq 1 60); do
    [ "$(regval "$ie" ProxyServer)" = "127.0.0.1:$port" ] && return 0
    sleep 0.5
  done
  echo "ProxyServer $(regval "$ie" ProxyServer)"; cat "$tmp/protect.log"; return 1
}
ok "a GuardNest with protection on points the user's proxy at itself" protecting
# As users run it: it copies itself to %TEMP% (so it can delete itself) and
# that copy does the work; wineserver -w waits for it.
uninstall () { wine "$app/uninstall.exe" /S /PURGE; wineserver -w; }
ok "silent uninstall /PURGE while it runs" uninstall
ok "the uninstaller asked it to quit, and it quit gracefully" \
  quit_gracefully "$gn_pid" "$tmp/protect.log"
proxy_back () {
  [ "$(regval "$ie" ProxyServer)" = corp-proxy.example:8080 ] && [ "$(regval "$ie" ProxyEnable)" = 0x1 ]
}
ok "the user's company proxy is back" proxy_back
no_program () {
  local left
  left=$(find "$app" 2>/dev/null)
  [ -z "$left" ] || { echo "left behind: $left"; return 1; }
  ! regkey "$uninst"
}
ok "no program file and no Uninstall key are left" no_program
no_run () {
  ! regval "$hklm_run" GuardNest && ! regval "$hkcu_run" GuardNest &&
  ! regval "$runonce" GuardNestRepair
}
ok "no Run or RunOnce entry is left" no_run
purged () {
  local new
  user_files >"$tmp/files-after"
  new=$(comm -13 "$tmp/files-before" "$tmp/files-after")
  # Wine's own files (its registry hives, caches) are not GuardNest's.
  [ -z "$new" ] || printf 'new since the install (not GuardNest'"'"'s):\n%s\n' "$new"
  ! printf '%s\n' "$new" | grep -i guardnest
}
ok "/PURGE: no file GuardNest wrote is left in the profile (settings, lists, cache, journals)" purged
no_registry () {
  local hive
  for hive in HKCU 'HKLM\Software'; do
    wine reg query "$hive" /s 2>/dev/null | tr -d '\r' | grep -i guardnest && return 1
  done
  return 0
}
ok "/PURGE: no registry key or value of GuardNest is left (HKCU, HKLM\\Software)" no_registry
exit "$failed"
