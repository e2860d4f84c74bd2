#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Screenshots of the real "domain blocked" notifications, as the README
# shows them: the real guardnest binary (--background, five domains on the
# user's blocklist) and dunst as the notification server, on Xvfb and a
# private session bus. Needs dunst, xwd, curl. Writes
# OUTDIR/notification-one.png and OUTDIR/notification-group.png.
#
#   dbus-run-session -- xvfb-run -a -s "-screen 0 1024x400x24" \
#     tools/notification-screenshots.sh _build/src/guardnest data/screenshots
set -u
guardnest=$(realpath "${1:?path to guardnest}")
outdir=$(realpath "${2:?output directory}")
here=$(dirname "$(realpath "$0")")
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
export HOME=$t/home XDG_CONFIG_HOME=$t/config XDG_STATE_HOME=$t/state XDG_DATA_HOME=$t/data XDG_CACHE_HOME=$t/cache
export GSETTINGS_BACKEND=keyfile XDG_CURRENT_DESKTOP=GNOME GN_OS_PROXY_BACKEND=gnome GN_BLOCKLIST_DOWNLOAD_MISSING=0
export GDK_BACKEND=x11 GSK_RENDERER=cairo GDK_DEBUG=gl-disable GTK_A11Y=none
mkdir -p "$HOME" "$XDG_CONFIG_HOME/guardnest" "$XDG_CONFIG_HOME/dunst"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf '[engine]\nport=%s\n\n[state]\nprotection=true\n' "$port" > "$XDG_CONFIG_HOME/guardnest/settings.ini"
cat > "$XDG_CONFIG_HOME/guardnest/blocklists.json" <<J
{ "version": 1, "sources": [], "allowlist": [], "blocklist": ["ads.example", "tracker.example", "pixel.example", "metrics.example", "beacon.example"] }
J
cat > "$XDG_CONFIG_HOME/dunst/dunstrc" <<D
[global]
    width = 460
    height = 200
    origin = top-right
    offset = 10x10
    font = DejaVu Sans 11
    frame_width = 1
    frame_color = "#888888"
    format = "<b>%s</b>\n%b"
    show_indicators = yes
    padding = 12
    horizontal_padding = 12
[urgency_low]
    background = "#f6f5f4"
    foreground = "#222222"
    timeout = 0
[urgency_normal]
    background = "#f6f5f4"
    foreground = "#222222"
    timeout = 0
D

dunst -conf "$XDG_CONFIG_HOME/dunst/dunstrc" > "$t/dunst.log" 2>&1 &
dp=$!
sleep 1
"$guardnest" --background > "$t/gn.log" 2>&1 &
gp=$!
for _ in $(seq 1 100); do curl -s -o /dev/null --max-time 2 --noproxy '' -x "http://127.0.0.1:$port" "http://127.0.0.1:$port/" && break; sleep 0.1; done
sleep 2
curl -s -o /dev/null --max-time 3 --noproxy '' -x "http://127.0.0.1:$port" -p https://ads.example/
sleep 2.5
xwd -root -silent | python3 "$here/xwd2png.py" "$outdir/notification-one.png" 392,4,376,96
for d in tracker pixel metrics beacon; do curl -s -o /dev/null --max-time 3 --noproxy '' -x "http://127.0.0.1:$port" -p "https://$d.example/"; done
sleep 11
xwd -root -silent | python3 "$here/xwd2png.py" "$outdir/notification-group.png" 392,4,376,96
kill "$gp"; sleep 1; kill "$dp"
