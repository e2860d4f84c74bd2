#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The real guardnest binary in the background with a tray (Xvfb, a private
# D-Bus session with a StatusNotifierWatcher of the test's own, the
# key-file GSettings backend, the real GNOME proxy backend):
# `guardnest --background` starts protecting with no window shown,
# registers its StatusNotifierItem, whose Title and menu read back over
# D-Bus; a second `--background` leaves it alone; the tray menu's Quit
# ends it and puts the user's proxy settings back. Prints TAP.
#
#   tray-background.sh GUARDNEST FAKE_SNI_WATCHER   (under dbus-run-session and xvfb-run)
set -uo pipefail

guardnest=${1:?path to guardnest}
watcher=${2:?path to fake-sni-watcher}
app=io.github.guardnest.GuardNest

# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
tap_init gn-tray

export HOME=$tmp/home XDG_CONFIG_HOME=$tmp/config XDG_STATE_HOME=$tmp/state
export XDG_DATA_HOME=$tmp/data XDG_CACHE_HOME=$tmp/cache
export GSETTINGS_BACKEND=keyfile XDG_CURRENT_DESKTOP=GNOME GN_OS_PROXY_BACKEND=gnome
export GDK_BACKEND=x11 GSK_RENDERER=cairo GDK_DEBUG=gl-disable GTK_A11Y=none
unset GN_PROXY_JOURNAL GIO_USE_PROXY_RESOLVER
mkdir -p "$HOME" "$XDG_CONFIG_HOME/guardnest"
settings=$XDG_CONFIG_HOME/guardnest/settings.ini

check()  { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }
wait_for() {  # command... → 0 once it succeeds, 1 after 20 s
  for _ in $(seq 1 400); do "$@" && return 0; sleep 0.05; done
  return 1
}
proxy_state() {
  echo "$(gsettings get org.gnome.system.proxy mode)" \
       "$(gsettings get org.gnome.system.proxy.http host):$(gsettings get org.gnome.system.proxy.http port)"
}
is_before()   { [ "$(proxy_state)" = "$before" ]; }
answers()     { curl -s -o /dev/null --max-time 5 --noproxy '' -x "http://127.0.0.1:$port" "http://127.0.0.1:$port/"; }
name_owned()  {
  gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
    --method org.freedesktop.DBus.NameHasOwner "$1" 2>/dev/null | grep -q true
}
gone()        { ! kill -0 "$pid" 2>/dev/null && ! name_owned "$app"; }
registered()  { [ -s "$tmp/watcher.out" ]; }
item()        { cut -d' ' -f2 "$tmp/watcher.out" | tail -n1; }
show_log()    { sed 's/^/#   /' "$tmp/guardnest.log"; }

gsettings set org.gnome.system.proxy mode 'none'
before=$(proxy_state)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf '[engine]\nport=%s\n\n[state]\nprotection=true\n' "$port" > "$settings"

echo "1..7"

"$watcher" > "$tmp/watcher.out" 2>&1 &
pids+=("$!")
wait_for name_owned org.kde.StatusNotifierWatcher || { echo "Bail out! no watcher"; exit 1; }

"$guardnest" --background > "$tmp/guardnest.log" 2>&1 &
pid=$!
pids+=("$pid")
if wait_for answers; then
  ok "--background: protecting on 127.0.0.1:$port"
else
  not_ok "--background: not answering"; show_log
fi
check "its StatusNotifierItem registers with the watcher" wait_for registered
title=$(gdbus call --session --dest "$(item)" --object-path /StatusNotifierItem \
          --method org.freedesktop.DBus.Properties.Get org.kde.StatusNotifierItem Title 2>&1)
check "the item's Title is GuardNest ($title)" test "$title" = "(<'GuardNest'>,)"
layout=$(gdbus call --session --dest "$(item)" --object-path /MenuBar \
           --method com.canonical.dbusmenu.GetLayout 0 -- -1 '@as []' 2>&1)
echo "# menu: $layout" | head -c 600; echo
has_menu() { [[ $layout == *"_Pause Protection for 15 Minutes"* && $layout == *"_Open GuardNest"* && $layout == *"_Quit"* ]]; }
check "its menu has Pause, Open and Quit" has_menu

timeout 20 "$guardnest" --background > "$tmp/second.log" 2>&1
still_running() { kill -0 "$pid" && answers; }
check "a second --background exits at once and leaves it running" still_running

gdbus call --session --dest "$(item)" --object-path /MenuBar \
  --method com.canonical.dbusmenu.Event 5 clicked '<0>' 0 > /dev/null
if wait_for gone; then
  ok "the tray's Quit ends it"
else
  not_ok "the tray's Quit: still running"; show_log
fi
check "and the user's proxy settings are back" is_before

[ "$failed" -eq 0 ]
