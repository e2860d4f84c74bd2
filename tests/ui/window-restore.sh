#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The real guardnest binary with its window (Xvfb, a private D-Bus session,
# the key-file GSettings backend in a temporary XDG_CONFIG_HOME, the real
# GNOME proxy backend): protection turned on through the app.enable action
# is remembered, quitting restores the user's proxy settings, a new start
# comes back protected by itself, and SIGTERM restores too; with "use-pac"
# the system gets the app's PAC script, switching it off while running
# re-points the system at once, and quit restores. Prints TAP.
#
#   window-restore.sh GUARDNEST        (run under dbus-run-session and xvfb-run)
set -uo pipefail

guardnest=${1:?path to guardnest}
app=io.github.guardnest.GuardNest

# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
tap_init gn-window

export HOME=$tmp/home XDG_CONFIG_HOME=$tmp/config XDG_STATE_HOME=$tmp/state
export XDG_DATA_HOME=$tmp/data XDG_CACHE_HOME=$tmp/cache
export GSETTINGS_BACKEND=keyfile XDG_CURRENT_DESKTOP=GNOME GN_OS_PROXY_BACKEND=gnome
export GDK_BACKEND=x11 GSK_RENDERER=cairo GDK_DEBUG=gl-disable GTK_A11Y=none
# The real proxy resolver: once the system proxy points at us, the app's
# own connections must still not go through it.
unset GN_PROXY_JOURNAL GIO_USE_PROXY_RESOLVER
mkdir -p "$HOME" "$XDG_CONFIG_HOME/guardnest"
settings=$XDG_CONFIG_HOME/guardnest/settings.ini

# The app's own settings, with the schema compiled in the build directory.
app_set() { GSETTINGS_SCHEMA_DIR=$(dirname "$guardnest")/../data gsettings set "$app" "$@"; }

check()  { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }

proxy_state() {
  echo "$(gsettings get org.gnome.system.proxy mode)" \
       "$(gsettings get org.gnome.system.proxy.http host):$(gsettings get org.gnome.system.proxy.http port)" \
       "$(gsettings get org.gnome.system.proxy.https host):$(gsettings get org.gnome.system.proxy.https port)"
}

wait_for() {  # command... → 0 once it succeeds, 1 after 20 s
  for _ in $(seq 1 400); do "$@" && return 0; sleep 0.05; done
  return 1
}

points_at_us() { [ "$(proxy_state)" = "'manual' '127.0.0.1':$port '127.0.0.1':$port" ]; }
uses_our_pac() {
  [ "$(gsettings get org.gnome.system.proxy mode)" = "'auto'" ] &&
  [ "$(gsettings get org.gnome.system.proxy autoconfig-url)" = "'http://127.0.0.1:$port/proxy.pac'" ]
}
serves_pac()   { curl -s --max-time 5 --noproxy '*' "http://127.0.0.1:$port/proxy.pac" | grep -qF "\"PROXY 127.0.0.1:$port; DIRECT\""; }
is_before()    { [ "$(proxy_state)" = "$before" ]; }
answers()      { curl -s -o /dev/null --max-time 5 --noproxy '' -x "http://127.0.0.1:$port" "http://127.0.0.1:$port/"; }
registered()   { gdbus introspect --session --dest "$app" --object-path "/${app//.//}" 2>/dev/null | grep -q org.gtk.Actions; }
saved_on()     { grep -qx 'protection=true' "$settings"; }
# Gone: the process, and its name on the session bus (the bus releases it a
# moment later; a new start that sees it still owned would only activate
# the dying instance and exit).
gone()         { ! kill -0 "$pid" 2>/dev/null && ! name_owned; }
name_owned()   {
  gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
    --method org.freedesktop.DBus.NameHasOwner "$app" 2>/dev/null | grep -q true
}

start() {
  "$guardnest" > "$tmp/guardnest.log" 2>&1 &
  pid=$!
  pids+=("$pid")
}

show_log() { sed 's/^/#   /' "$tmp/guardnest.log"; }

# The user's own settings: a company proxy.
gsettings set org.gnome.system.proxy mode 'manual'
gsettings set org.gnome.system.proxy.http host 'proxy.corp.example'
gsettings set org.gnome.system.proxy.http port 3128
gsettings set org.gnome.system.proxy.https host 'proxy.corp.example'
gsettings set org.gnome.system.proxy.https port 3128
before=$(proxy_state)

# A free port, saved as the app's port; protection off.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf '[engine]\nport=%s\n\n[state]\nprotection=false\n' "$port" > "$settings"

echo "1..13"

# First run: off until the user turns protection on.
start
check "the window starts and exports its actions on the session bus" wait_for registered
check "protection starts off: the user's settings are untouched" is_before
gapplication action "$app" enable
check "app.enable points the system proxy at 127.0.0.1:$port" wait_for points_at_us
check "the proxy answers on 127.0.0.1:$port" answers
check "protection on is saved" saved_on
gapplication action "$app" quit
if wait_for gone && is_before && saved_on; then
  ok "quit: the user's settings are back, protection stays saved as on"
else
  not_ok "quit: $(proxy_state)"; show_log
fi

# Second run: comes back protected without being asked.
start
if wait_for points_at_us && wait_for answers; then
  ok "a new start comes back protected"
else
  not_ok "a new start: $(proxy_state)"; show_log
fi
kill -TERM "$pid"
if wait_for gone && is_before; then
  ok "SIGTERM: the user's settings are back"
else
  not_ok "SIGTERM: $(proxy_state)"; show_log
fi
check "SIGTERM leaves protection saved as on for the next start" saved_on

# Third run, PAC mode: the system gets the script's address.
app_set use-pac true
start
if wait_for uses_our_pac && wait_for serves_pac; then
  ok "use-pac: the system proxy is our script http://127.0.0.1:$port/proxy.pac, served"
else
  not_ok "use-pac: $(gsettings get org.gnome.system.proxy mode) $(gsettings get org.gnome.system.proxy autoconfig-url)"; show_log
fi
app_set use-pac false
check "use-pac off while protecting: the system points at 127.0.0.1:$port at once" wait_for points_at_us
app_set use-pac true
check "and back on: the script again" wait_for uses_our_pac
gapplication action "$app" quit
if wait_for gone && is_before; then
  ok "quit in PAC mode: the user's settings are back"
else
  not_ok "quit in PAC mode: $(proxy_state)"; show_log
fi

[ "$failed" -eq 0 ]
