#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Builds the GuardNest installer on Windows. Run from the source root in an
# MSYS2 UCRT64 shell (Start menu: "MSYS2 UCRT64"):
#
#   bash build-aux/msys2/build-installer.sh            # deps, build, test, installer
#   bash build-aux/msys2/build-installer.sh --no-deps  # skip pacman
#   bash build-aux/msys2/build-installer.sh --no-tests # skip meson test
#
# Steps: install the build dependencies with pacman; meson release build;
# run the tests that can run on Windows; install into a staging folder;
# gather what the app needs at run time (the DLLs found by walking imports
# recursively, GDK-Pixbuf loaders and their cache, compiled GSettings
# schemas, the GIO TLS module from glib-networking, icon theme parts,
# translations); then makensis. The installer lands in _build/msys2/.
#
# The installer's layout is the cross build's (build-aux/windows/
# make-installer.sh) with the same NSIS script (build-aux/msys2/guardnest.nsi):
#   bin/                        guardnest.exe, guardnest-repair.exe, the DLLs
#   lib/gio/modules/            libgioopenssl.dll (no module cache)
#   share/glib-2.0/schemas/     GTK's and GuardNest's schemas, compiled
#   share/icons/hicolor/        the app icon (MSYS2 adds its whole hicolor and
#                               Adwaita's symbolic icons: the cross stack has
#                               no icon theme)
#   share/locale/*/LC_MESSAGES/ guardnest, gtk40, glib20, json-glib-1.0,
#                               libsoup-3.0, glib-networking
#   share/doc/guardnest/COPYING
# Only here: lib/gdk-pixbuf-2.0/ (MSYS2's GDK-Pixbuf loads PNG, JPEG and SVG
# through modules; the cross stack builds PNG and JPEG into the library).
set -euo pipefail

die () { echo "build-installer: $*" >&2; exit 1; }

[ "${MSYSTEM:-}" = UCRT64 ] || die "run this in an MSYS2 UCRT64 shell (MSYSTEM=${MSYSTEM:-unset})"
if [ ! -f meson.build ] || [ ! -d build-aux/msys2 ]; then
  die "run this from the GuardNest source root"
fi

deps=1
tests=1
for arg in "$@"; do
  case $arg in
    --no-deps) deps=0 ;;
    --no-tests) tests=0 ;;
    *) die "unknown option $arg" ;;
  esac
done

prefix=${MINGW_PREFIX:-/ucrt64}
pkg=${MINGW_PACKAGE_PREFIX:-mingw-w64-ucrt-x86_64}
top=$PWD/_build/msys2
build=$top/build
stage=$top/staging

if [ "$deps" = 1 ]; then
  echo "== installing build dependencies"
  pacman -S --needed --noconfirm \
    "$pkg-cc" "$pkg-pkgconf" "$pkg-meson" "$pkg-ninja" \
    "$pkg-gtk4" "$pkg-libsoup3" "$pkg-json-glib" "$pkg-glib-networking" \
    "$pkg-gettext" "$pkg-gdk-pixbuf2" "$pkg-librsvg" \
    "$pkg-adwaita-icon-theme" "$pkg-hicolor-icon-theme" \
    "$pkg-nsis" "$pkg-ntldd" "$pkg-desktop-file-utils" "$pkg-appstream"
fi

echo "== meson release build"
rm -rf "$build" "$stage"
# The staging folder is the prefix (a Windows path: meson on Windows wants a
# drive letter); the app finds its files relative to its .exe at run time.
meson setup "$build" --buildtype=release --prefix="$(cygpath -m "$stage")" --bindir=bin \
  -Db_ndebug=true
meson compile -C "$build"

if [ "$tests" = 1 ]; then
  # Every test meson builds on Windows (the Unix-only ones are skipped by
  # tests/meson.build): the engine, blocklist, registry, settings and
  # app-model programs, and test-winproxy, which changes this user's real
  # proxy settings and puts them back at the end. (test-blocklist skips the
  # full lists of a sibling ../shared folder that a plain clone lacks.)
  echo "== tests that run on Windows"
  meson test -C "$build" --print-errorlogs --no-suite ui
fi

echo "== install into $stage"
meson install -C "$build" --no-rebuild
version=$(meson introspect "$build" --projectinfo |
          python -c 'import json, sys; print(json.load(sys.stdin)["version"])')

echo "== GIO TLS module (glib-networking, OpenSSL): without it HTTPS downloads fail"
# The same module as the cross build (build-aux/windows/make-installer.sh):
# OpenSSL, whose glib-networking backend reads the Windows certificate store.
# No giomodule.cache, as there: GIO then loads every module in the folder.
mkdir -p "$stage/lib/gio/modules"
cp "$prefix"/lib/gio/modules/libgioopenssl.dll "$stage/lib/gio/modules/"

echo "== GDK-Pixbuf loaders and their cache"
loaders_rel=lib/gdk-pixbuf-2.0/2.10.0
mkdir -p "$stage/$loaders_rel/loaders"
cp "$prefix/$loaders_rel"/loaders/*.dll "$stage/$loaders_rel/loaders/"
# The cache must name the loaders relative to the install, not this machine.
GDK_PIXBUF_MODULEDIR="$stage/$loaders_rel/loaders" gdk-pixbuf-query-loaders |
  sed -e "s|$(cygpath -m "$stage")/||g" -e "s|$stage/||g" \
      -e "s|$(cygpath -w "$stage" | sed 's/\\/\\\\\\\\/g')\\\\\\\\||g" \
  >"$stage/$loaders_rel/loaders.cache"

echo "== GSettings schemas (GTK's and ours), compiled"
mkdir -p "$stage/share/glib-2.0/schemas"
cp "$prefix"/share/glib-2.0/schemas/org.gtk.gtk4.*.gschema.xml "$stage/share/glib-2.0/schemas/"
glib-compile-schemas "$stage/share/glib-2.0/schemas"

echo "== icon theme parts: hicolor and Adwaita's symbolic icons"
mkdir -p "$stage/share/icons"
cp -r "$prefix/share/icons/hicolor" "$stage/share/icons/"
mkdir -p "$stage/share/icons/Adwaita"
cp "$prefix/share/icons/Adwaita/index.theme" "$stage/share/icons/Adwaita/"
for part in symbolic scalable; do
  if [ -d "$prefix/share/icons/Adwaita/$part" ]; then
    cp -r "$prefix/share/icons/Adwaita/$part" "$stage/share/icons/Adwaita/"
  fi
done
for theme in "$stage"/share/icons/*/; do
  gtk4-update-icon-cache -q -t -f "$theme" || gtk-update-icon-cache -q -t -f "$theme"
done

echo "== translations"
while IFS= read -r -d '' mo; do
  rel=${mo#"$prefix"/}
  mkdir -p "$stage/$(dirname "$rel")"
  cp "$mo" "$stage/$rel"
done < <(find "$prefix/share/locale" \( -name 'gtk40.mo' -o -name 'glib20.mo' \
           -o -name 'json-glib-1.0.mo' -o -name 'libsoup-3.0.mo' \
           -o -name 'glib-networking.mo' \) -print0)

echo "== DLLs: walk the imports of every program and module, recursively"
# A DLL is shipped if it is found in $prefix/bin; anything else (kernel32,
# ucrtbase, ...) is part of Windows. objdump -p lists direct imports; the
# queue makes it recursive without a hand-kept list.
declare -A seen=()
queue=()
while IFS= read -r -d '' f; do queue+=("$f"); done < <(
  find "$stage" \( -name '*.exe' -o -name '*.dll' \) -print0)
while [ "${#queue[@]}" -gt 0 ]; do
  f=${queue[0]}
  queue=("${queue[@]:1}")
  while IFS= read -r dll; do
    key=${dll,,}
    [ -n "${seen[$key]:-}" ] && continue
    seen[$key]=1
    src=$(find "$prefix/bin" -maxdepth 1 -iname "$dll" -print -quit)
    [ -n "$src" ] || continue
    cp "$src" "$stage/bin/"
    queue+=("$stage/bin/$(basename "$src")")
  done < <(objdump -p "$f" | sed -n 's/^[[:space:]]*DLL Name: //p' | tr -d '\r')
done
echo "   $(find "$stage/bin" -iname '*.dll' | wc -l) DLLs gathered"
# Cross-check with ntldd: nothing may resolve outside the staging folder or
# Windows itself.
if command -v ntldd >/dev/null; then
  missing=$(ntldd -R "$stage"/bin/*.exe | grep -F -i "$(cygpath -w "$prefix")\\" || true)
  [ -z "$missing" ] || die "still resolved from $prefix: $missing"
fi

echo "== installer"
mkdir -p "$stage/share/doc/guardnest"
cp COPYING "$stage/share/doc/guardnest/COPYING"
out=$top/GuardNest-$version-x86_64-setup.exe   # same name as build-aux/windows/make-installer.sh
makensis -V3 -DVERSION="$version" -DSTAGING="$(cygpath -w "$stage")" \
  -DOUTFILE="$(cygpath -w "$out")" build-aux/msys2/guardnest.nsi
echo "== done: $out"
