#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# End-to-end test of `guardnest --headless --system-proxy` and
# `guardnest --repair-proxy` against a real GSettings backend (keyfile, in a
# temp XDG_CONFIG_HOME, Debian's org.gnome.system.proxy schema). Prints TAP.
#
#   system-proxy-test.sh signals GUARDNEST       SIGTERM, SIGINT restore; SIGHUP reloads
#   system-proxy-test.sh crash   GUARDNEST [N]   N x (kill -9, then --repair-proxy
#                                                or a new start) → exact settings back
#   system-proxy-test.sh pac     GUARDNEST       --pac: the OS gets our PAC script's
#                                                address, the script is served and says
#                                                "PROXY us; DIRECT"; SIGTERM and kill -9 +
#                                                --repair-proxy restore exactly
#
# "Exact" = every key of the five proxy schemas has the same value
# (gsettings list-recursively) and the same keys are user-set (the keyfile's
# key lines, sorted), so even "never set" stays "never set". (An empty group
# header GLib leaves behind after a reset sets nothing and is not compared.)
set -uo pipefail

mode=${1:?mode}
guardnest=${2:?path to guardnest}
runs=${3:-20}

# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
tap_init gn-sysproxy

export XDG_CONFIG_HOME=$tmp/config XDG_STATE_HOME=$tmp/state XDG_DATA_HOME=$tmp/data
export GSETTINGS_BACKEND=keyfile XDG_CURRENT_DESKTOP=GNOME
export GIO_USE_PROXY_RESOLVER=dummy
unset DBUS_SESSION_BUS_ADDRESS GN_OS_PROXY_BACKEND GN_PROXY_JOURNAL
journal=$XDG_STATE_HOME/guardnest/proxy-journal.json
autostart=$XDG_CONFIG_HOME/autostart/io.github.guardnest.GuardNest-repair.desktop
keyfile=$XDG_CONFIG_HOME/glib-2.0/settings/keyfile
# The binary the logon repair entry runs: the process's own, so the GTK
# build's guardnest-headless next to guardnest when `guardnest --headless`
# execs it (src/gn-headless-exec.c).
repairer=$guardnest
if [ -x "$(dirname "$guardnest")/guardnest-headless" ]; then
  repairer=$(readlink -f "$(dirname "$guardnest")/guardnest-headless")
fi


state() {
  for s in org.gnome.system.proxy org.gnome.system.proxy.http org.gnome.system.proxy.https \
           org.gnome.system.proxy.ftp org.gnome.system.proxy.socks; do
    gsettings list-recursively "$s"
  done | sort
  echo "-- user-set:"  # group/key=value for every key written in the keyfile
  [ -f "$keyfile" ] && awk '/^\[/ { g = $0; next } /=/ { print g $0 }' "$keyfile" | sort
}

# The user's settings: a company proxy with everything a restore could lose.
gsettings set org.gnome.system.proxy.http host 'proxy.corp.example'
gsettings set org.gnome.system.proxy.http port 3128
gsettings set org.gnome.system.proxy.http use-authentication true
gsettings set org.gnome.system.proxy.http authentication-user 'alice'
gsettings set org.gnome.system.proxy.https host 'proxy.corp.example'
gsettings set org.gnome.system.proxy.https port 3129
gsettings set org.gnome.system.proxy.socks host 'socks.corp.example'
gsettings set org.gnome.system.proxy.socks port 1080
gsettings set org.gnome.system.proxy ignore-hosts "['localhost', '*.corp.example']"
gsettings set org.gnome.system.proxy mode 'manual'
before=$(state)

# Starts guardnest --headless --system-proxy --port 0 in the background
# (with --pac when $pac is 1), waits until the OS settings point at it (at
# a port other than $1, the one a killed instance left behind); sets $pid
# and $port.
pac=0
start() {
  local log=$tmp/guardnest.log old=${1:-none} url
  if [ "$pac" = 1 ]; then
    "$guardnest" --headless --system-proxy --pac --port 0 >"$log" 2>&1 &
  else
    "$guardnest" --headless --system-proxy --port 0 >"$log" 2>&1 &
  fi
  pid=$!
  pids+=("$pid")
  for _ in $(seq 1 200); do
    if [ "$pac" = 1 ]; then
      url=$(gsettings get org.gnome.system.proxy autoconfig-url)
      if [ "$(gsettings get org.gnome.system.proxy mode)" = "'auto'" ] &&
         [[ $url =~ ^\'http://127\.0\.0\.1:([0-9]+)/proxy\.pac\'$ ]] &&
         [ "${BASH_REMATCH[1]}" != "$old" ]; then
        port=${BASH_REMATCH[1]}
        return 0
      fi
    elif [ "$(gsettings get org.gnome.system.proxy.http host)" = "'127.0.0.1'" ] &&
       [ "$(gsettings get org.gnome.system.proxy mode)" = "'manual'" ] &&
       [ "$(gsettings get org.gnome.system.proxy.http port)" != "$old" ]; then
      port=$(gsettings get org.gnome.system.proxy.http port)
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "# guardnest did not point the system proxy at itself:"; sed 's/^/#   /' "$log"
  return 1
}

wait_exit() {  # pid → its exit status, or 124 after 15 s
  for _ in $(seq 1 300); do
    kill -0 "$1" 2>/dev/null || { wait "$1"; return $?; }
    sleep 0.05
  done
  return 124
}

# Exit status $1 was 0, the settings are exactly back, and the journal and
# the logon repair entry are gone.
restored_cleanly() {
  [ "$1" -eq 0 ] && same_as_before && [ ! -e "$journal" ] && [ ! -e "$autostart" ]
}

same_as_before() {
  local now
  now=$(state)
  if [ "$now" = "$before" ]; then return 0; fi
  echo "# settings differ from before:"
  diff <(echo "$before") <(echo "$now") | sed 's/^/#   /'
  return 1
}

case $mode in
signals)
  echo "1..6"
  for sig in TERM INT; do
    if start; then
      kill -s "$sig" "$pid"
      wait_exit "$pid"; status=$?
      if restored_cleanly "$status"; then
        ok "SIG$sig: clean exit, settings restored, journal and autostart entry removed"
      else
        not_ok "SIG$sig: exit $status"; sed 's/^/#   /' "$tmp/guardnest.log"
      fi
    else
      not_ok "SIG$sig: start"
    fi
  done
  # SIGHUP reloads (the daemon convention): still running, still pointed
  # here on the same port and serving, then SIGTERM restores as usual.
  if start; then
    kill -s HUP "$pid"
    for _ in $(seq 1 100); do
      grep -q 'Restarted in' "$tmp/guardnest.log" && break
      sleep 0.05
    done
    # The proxy's own status page: it answers on the same port.
    served=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 --noproxy '*' \
             "http://127.0.0.1:$port/")
    if kill -0 "$pid" 2>/dev/null && grep -q 'SIGHUP: reloading' "$tmp/guardnest.log" &&
       grep -q 'Restarted in' "$tmp/guardnest.log" && [ "$served" = 200 ] &&
       [ "$(gsettings get org.gnome.system.proxy.http port)" = "$port" ]; then
      kill -TERM "$pid"; wait_exit "$pid"; status=$?
      if restored_cleanly "$status"; then
        ok "SIGHUP reloads and keeps protecting; SIGTERM then restores"
      else
        not_ok "SIGHUP, then SIGTERM: exit $status"; sed 's/^/#   /' "$tmp/guardnest.log"
      fi
    else
      not_ok "SIGHUP: not reloaded (answer $served)"; sed 's/^/#   /' "$tmp/guardnest.log"
      kill -TERM "$pid"; wait_exit "$pid" >/dev/null
    fi
  else
    not_ok "SIGHUP: start"
  fi
  # While on: journal and autostart entry exist and hold the user's settings.
  if start && [ -e "$journal" ] && grep -q 'proxy.corp.example' "$journal" &&
     grep -q -- '--repair-proxy' "$autostart" && desktop-file-validate "$autostart" &&
     grep -qF "Exec=\"$repairer\" --repair-proxy" "$autostart"; then
    ok "while on: journal with the user's settings and logon repair entry exist"
  else
    not_ok "while on: journal / autostart entry"
  fi
  # The company proxy becomes the engine's upstream.
  if grep -q 'Using your proxy proxy.corp.example:3128 as the way out' "$tmp/guardnest.log"; then
    ok "the user's company proxy is used as upstream"
  else
    not_ok "upstream not detected"; sed 's/^/#   /' "$tmp/guardnest.log"
  fi
  kill -TERM "$pid"; wait_exit "$pid" >/dev/null
  out=$("$guardnest" --repair-proxy 2>&1); status=$?
  if [ "$status" -eq 0 ] && echo "$out" | grep -q 'Nothing to repair' && same_as_before; then
    ok "--repair-proxy with nothing to do: exit 0, says so"
  else
    not_ok "--repair-proxy nothing to do: exit $status: $out"
  fi
  ;;
crash)
  echo "1..$runs"
  for i in $(seq 1 "$runs"); do
    if ! start; then not_ok "run $i: start"; continue; fi
    kill -9 "$pid"; wait "$pid" 2>/dev/null
    if [ "$(gsettings get org.gnome.system.proxy.http port)" != "$port" ] || [ ! -e "$journal" ]; then
      not_ok "run $i: the crash did not leave our settings and the journal behind"; continue
    fi
    if [ $((i % 2)) -eq 1 ]; then
      how="--repair-proxy"
      out=$("$guardnest" --repair-proxy 2>&1); status=$?
      echo "$out" | grep -q '^guardnest: Repaired' || status=99
    else
      how="start again, then SIGTERM"
      if start "$port"; then kill -TERM "$pid"; wait_exit "$pid"; status=$?; else status=98; fi
      out=$(cat "$tmp/guardnest.log")
    fi
    if restored_cleanly "$status"; then
      ok "run $i: kill -9, $how: exact settings back"
    else
      not_ok "run $i: kill -9, $how: status $status"; echo "$out" | sed 's/^/#   /'
    fi
  done
  echo "# crash runs passed: $((runs - failed))/$runs"
  ;;
pac)
  echo "1..4"
  pac=1
  if start; then
    ok "--pac: the system proxy is 'automatic' from http://127.0.0.1:$port/proxy.pac"
    script=$(curl -sS --noproxy '*' --max-time 10 "http://127.0.0.1:$port/proxy.pac")
    answer=$(printf '%s\n' "$script" > "$tmp/proxy.pac" &&
             /usr/bin/python3 "$(dirname "$0")/../pac-eval.py" "$tmp/proxy.pac" \
               http://example.com/ example.com http://192.168.1.1/ 192.168.1.1 | tr '\n' '|')
    if [ "$answer" = "PROXY 127.0.0.1:$port; DIRECT|DIRECT|" ]; then
      ok "the script is served and sends the web to us, private networks direct"
    else
      not_ok "the served script answered: $answer"; echo "$script" | sed 's/^/#   /'
    fi
    kill -TERM "$pid"; wait_exit "$pid"; status=$?
    if restored_cleanly "$status"; then
      ok "SIGTERM in PAC mode: the user's settings exactly back"
    else
      not_ok "SIGTERM in PAC mode: exit $status"; sed 's/^/#   /' "$tmp/guardnest.log"
    fi
  else
    not_ok "--pac: start"; not_ok "script"; not_ok "SIGTERM"
  fi
  if start; then
    kill -9 "$pid"; wait "$pid" 2>/dev/null
    out=$("$guardnest" --repair-proxy 2>&1); status=$?
    if restored_cleanly "$status"; then
      ok "kill -9 in PAC mode, --repair-proxy: exact settings back"
    else
      not_ok "kill -9 in PAC mode, --repair-proxy: status $status"; echo "$out" | sed 's/^/#   /'
    fi
  else
    not_ok "--pac: second start"
  fi
  ;;
*)
  echo "unknown mode $mode" >&2; exit 2 ;;
esac

[ "$failed" -eq 0 ]
