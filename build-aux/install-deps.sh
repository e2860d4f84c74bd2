#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Installs what GuardNest needs on Debian 12 (run as root). With --tests it
# also installs what the whole test suite uses (origin servers, clients,
# Xvfb, Wine and mingw-w64 for the Windows code, clang for the fuzzers).
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
  gcc-mingw-w64-x86-64 wine wine64 nsis shellcheck
)

pkgs=("${build[@]}")
if [ "${1:-}" = "--tests" ]; then
  pkgs+=("${tests[@]}")
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${pkgs[@]}"
