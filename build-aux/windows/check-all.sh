#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The Windows build of GuardNest, from a fresh clone on Debian 12, checked
# under Wine. Run from the source root as root (apt), on a shared machine
# under `nice -n 19`:
#
#   bash build-aux/windows/check-all.sh [--part gtk-free|all]
#
#   1. build-aux/windows/build-stack.sh: the cross-built stack (cached in
#      /var/cache/guardnest-windows/<hash of the recipe>; seconds when warm)
#   2. meson setup + compile of every GuardNest target for x86_64 Windows
#      (--werror) in _build/windows: guardnest.exe (with the GTK window when
#      the gtk part is built, else -Dgui=false), guardnest-repair.exe, the
#      tests that make sense on Windows
#   3. meson test under Wine (exe_wrapper): the engine, blocklist, registry,
#      settings and app-model test programs, test-winproxy, and
#      windows-headless-e2e (guardnest.exe --headless with Linux curl)
#   4. (all) tests/windows/window-e2e.sh under xvfb-run: the GTK window with
#      protection on points the registry's proxy values at it, closing it
#      puts the user's values back exactly; screenshot in the build dir
#   5. build-aux/windows/make-installer.sh: the NSIS installer from these
#      files (build-aux/msys2/guardnest.nsi), then tests/windows/installer-e2e.sh:
#      silent install under Wine, the installed headless proxy with curl,
#      silent uninstall leaving nothing behind
#
# --part gtk-free skips GTK (the stack's gtk part and the window): what CI
# can afford on every run. Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/../.."

part=all
while [ $# -gt 0 ]; do
  case "$1" in
    --part) part=$2; shift 2 ;;
    --part=*) part=${1#--part=}; shift ;;
    *) echo "check-all.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
case "$part" in gtk-free|all) ;; *) echo "check-all.sh: --part gtk-free|all" >&2; exit 2 ;; esac

echo "== stack ($part)"
prefix=$(bash build-aux/windows/build-stack.sh --print-prefix)
crossfile=$(bash build-aux/windows/build-stack.sh --print-cross-file)
# One stack build per cache key at a time: a second check (another clone,
# CI next to a developer) waits here for the first instead of building
# into the same folders.
mkdir -p "$(dirname "$(dirname "$prefix")")"
(
  flock 9
  bash build-aux/windows/build-stack.sh --part "$part"
) 9>"$(dirname "$prefix").lock"

gui=true
[ "$part" = all ] || gui=false
build=_build/windows
[ "$gui" = true ] || build=_build/windows-gtk-free

export PKG_CONFIG_LIBDIR="$prefix/lib/pkgconfig:$prefix/share/pkgconfig:/usr/x86_64-w64-mingw32/lib/pkgconfig"
export WINEARCH=win64 WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
export WINEPATH="$prefix/bin;/usr/lib/gcc/x86_64-w64-mingw32/12-win32;/usr/x86_64-w64-mingw32/lib"
WINEPREFIX=$(mktemp -d /tmp/gn-check-all-wine.XXXXXX)
export WINEPREFIX
trap 'wineserver -k 2>/dev/null || true; rm -rf "$WINEPREFIX"' EXIT
wine wineboot --init >/dev/null 2>&1
# Wine's null display driver: test-winproxy's hidden top-level window exists
# without X (takes effect once the server restarts).
wine reg add 'HKCU\Software\Wine\Drivers' /v Graphics /d null /f >/dev/null 2>&1
wineserver -w

echo "== GuardNest for Windows in $build (gui=$gui)"
rm -rf "$build"
meson setup "$build" --cross-file build-aux/windows/cross-x86_64.ini --cross-file "$crossfile" \
  --werror --buildtype=release -Dgui="$gui" --prefix=/ --bindir=bin
meson compile -C "$build"

echo "== tests under Wine"
# One at a time and with longer timeouts: every test starts a Wine process.
meson test -C "$build" --print-errorlogs --num-processes 1 --timeout-multiplier 3 --no-suite ui

if [ "$gui" = true ]; then
  echo "== the window under Wine on Xvfb: registry proxy values set and restored exactly"
  xvfb-run -a -s '-screen 0 1280x900x24' \
    bash tests/windows/window-e2e.sh "$PWD/$build/src/guardnest.exe" "$build/window-wine.png"
fi

echo "== installer"
bash build-aux/windows/make-installer.sh "$build"

echo "== installer under Wine: install, run the installed headless proxy, uninstall"
version=$(meson introspect --projectinfo "$build" |
          python3 -c 'import json, sys; print(json.load(sys.stdin)["version"])')
bash tests/windows/installer-e2e.sh "$build/GuardNest-$version-x86_64-setup.exe"
echo "== all Windows checks passed: $build/GuardNest-$version-x86_64-setup.exe"
