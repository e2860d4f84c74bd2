#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Installs what GuardNest needs on Debian 12 (run as root). With --tests it
# also installs what the whole test suite uses (origin servers, clients,
# Xvfb, Wine and mingw-w64 for the Windows code, clang for the fuzzers).
# With --windows (may be combined with --tests) it installs what
# build-aux/windows/ needs to cross-build the Windows stack from Debian
# source packages and check GuardNest for Windows under Wine.
# build-aux/test-all.sh (CI) passes both: it runs the GTK-free Windows check.
set -euo pipefail

build=(
  build-essential pkg-config meson ninja-build gettext
  libglib2.0-dev libgtk-4-dev libsoup-3.0-dev libjson-glib-dev
  glib-networking gsettings-desktop-schemas
  desktop-file-utils appstream
)
tests=(
  curl nginx-light xvfb xauth dbus dbus-x11 valgrind python3-pacparser tinyproxy
  clang libclang-rt-14-dev
  gcc-mingw-w64-x86-64 wine wine64 nsis shellcheck python3-yaml
)

windows=(
  gcc-mingw-w64-x86-64-win32 g++-mingw-w64-x86-64-win32 mingw-w64-tools libz-mingw-w64-dev
  wine wine64 fonts-wine nsis cmake autoconf automake libtool tcl dpkg-dev xz-utils
  sassc publicsuffix librsvg2-bin python3 curl xvfb xauth x11-apps xdotool
  libgtk-4-bin adwaita-icon-theme hicolor-icon-theme openssl
)

pkgs=("${build[@]}")
for arg in "$@"; do
  case "$arg" in
    --tests) pkgs+=("${tests[@]}") ;;
    --windows) pkgs+=("${windows[@]}") ;;
    *) echo "install-deps.sh: unknown option $arg (--tests, --windows)" >&2; exit 2 ;;
  esac
done

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${pkgs[@]}"
