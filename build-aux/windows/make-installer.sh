#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The Windows installer from the cross build, with the same NSIS script as
# the MSYS2 recipe (build-aux/msys2/guardnest.nsi) and the same layout:
#
#   bash build-aux/windows/make-installer.sh BUILD_DIR
#
# BUILD_DIR is a meson build configured by check-all.sh (cross files from
# build-aux/windows, --prefix=/ --bindir=bin). Stages BUILD_DIR/staging:
# the meson install, then every DLL the programs and modules import, found
# by walking objdump's import lists recursively in the stack's prefix and
# the toolchain's runtime folders (no hand-kept list); the GIO TLS module
# (glib-networking with OpenSSL: it trusts the Windows certificate stores,
# "Root" and "CA", through CertOpenSystemStore, so no CA file is shipped);
# GSettings schemas (GTK's and ours, compiled); for the GTK build the icons
# as PNG (below); the stack's translations; COPYING. Then makensis writes
# BUILD_DIR/GuardNest-<version>-x86_64-setup.exe.
#
# Icons (GTK build): the stack has no SVG loader for GdkPixbuf (librsvg is
# not cross-built), so GTK could not draw an .svg icon. Shipped instead:
# Adwaita's symbolic icons as the .symbolic.png renderings Debian's
# adwaita-icon-theme package carries (GTK recolours those itself) with its
# index.theme; GuardNest's own icons rendered to PNG here (rsvg-convert for
# the colour icon, gtk4-encode-symbolic-svg for the symbolic one) into
# hicolor with hicolor-icon-theme's index.theme; both themes' caches.
set -euo pipefail
cd "$(dirname "$0")/../.."

build=${1:?usage: make-installer.sh BUILD_DIR}
prefix=$(bash build-aux/windows/build-stack.sh --print-prefix)
[ -d "$prefix/bin" ] || { echo "make-installer.sh: no stack at $prefix: run build-stack.sh" >&2; exit 1; }
build=$(cd "$build" && pwd)   # makensis runs in the script's folder: absolute paths
stage=$build/staging
objdump=x86_64-w64-mingw32-objdump
search=("$prefix/bin" /usr/lib/gcc/x86_64-w64-mingw32/12-win32 /usr/x86_64-w64-mingw32/lib)

rm -rf "$stage"
meson install -C "$build" --no-rebuild --destdir "$stage" >/dev/null
version=$(meson introspect --projectinfo "$build" |
          python3 -c 'import json, sys; print(json.load(sys.stdin)["version"])')

echo "== GIO TLS module (glib-networking, OpenSSL)"
mkdir -p "$stage/lib/gio/modules"
cp "$prefix"/lib/gio/modules/libgioopenssl.dll "$stage/lib/gio/modules/"

echo "== GSettings schemas, compiled"
mkdir -p "$stage/share/glib-2.0/schemas"
for xml in "$prefix"/share/glib-2.0/schemas/org.gtk.gtk4.*.gschema.xml; do
  [ -e "$xml" ] && cp "$xml" "$stage/share/glib-2.0/schemas/"
done
glib-compile-schemas "$stage/share/glib-2.0/schemas"

echo "== translations of the stack"
if [ -d "$prefix/share/locale" ]; then
  while IFS= read -r -d '' mo; do
    rel=${mo#"$prefix"/}
    mkdir -p "$stage/$(dirname "$rel")"
    cp "$mo" "$stage/$rel"
  done < <(find "$prefix/share/locale" \( -name 'gtk40.mo' -o -name 'glib20.mo' \
             -o -name 'json-glib-1.0.mo' -o -name 'libsoup-3.0.mo' \
             -o -name 'glib-networking.mo' \) -print0)
fi

echo "== DLLs: the imports of every program and module, recursively"
declare -A seen=()
queue=()
while IFS= read -r -d '' f; do queue+=("$f"); done < <(
  find "$stage" \( -iname '*.exe' -o -iname '*.dll' \) -print0)
while [ "${#queue[@]}" -gt 0 ]; do
  f=${queue[0]}
  queue=("${queue[@]:1}")
  while IFS= read -r dll; do
    key=${dll,,}
    [ -n "${seen[$key]:-}" ] && continue
    seen[$key]=1
    src=
    for dir in "${search[@]}"; do
      src=$(find "$dir" -maxdepth 1 -iname "$dll" -print -quit)
      [ -z "$src" ] || break
    done
    [ -n "$src" ] || continue   # part of Windows (kernel32, msvcrt, ...)
    cp "$src" "$stage/bin/"
    queue+=("$stage/bin/$(basename "$src")")
  done < <("$objdump" -p "$f" | sed -n 's/^[[:space:]]*DLL Name: //p' | tr -d '\r')
done
echo "   $(find "$stage/bin" -iname '*.dll' | wc -l) DLLs gathered"

if [ -e "$stage/bin/libgtk-4-1.dll" ]; then
  echo "== icons as PNG: Adwaita's symbolic icons, GuardNest's own"
  for tool in rsvg-convert gtk4-encode-symbolic-svg gtk4-update-icon-cache; do
    command -v "$tool" >/dev/null ||
      { echo "make-installer.sh: $tool not found: bash build-aux/install-deps.sh --windows" >&2; exit 1; }
  done
  for theme in Adwaita hicolor; do
    [ -f "/usr/share/icons/$theme/index.theme" ] ||
      { echo "make-installer.sh: no $theme icon theme: bash build-aux/install-deps.sh --windows" >&2; exit 1; }
  done
  icons=$stage/share/icons
  mkdir -p "$icons/Adwaita" "$icons/hicolor"
  cp /usr/share/icons/Adwaita/index.theme "$icons/Adwaita/"
  (cd /usr/share/icons/Adwaita && find . -name '*.symbolic.png' -print0 |
     xargs -0 cp --parents -t "$icons/Adwaita")
  cp /usr/share/icons/hicolor/index.theme "$icons/hicolor/"
  app_svg=$icons/hicolor/scalable/apps/io.github.guardnest.GuardNest.svg
  symbolic_svg=$icons/hicolor/symbolic/apps/io.github.guardnest.GuardNest-symbolic.svg
  for size in 16 24 32 48 64 128 256; do
    mkdir -p "$icons/hicolor/${size}x${size}/apps"
    rsvg-convert -w "$size" -h "$size" -o "$icons/hicolor/${size}x${size}/apps/io.github.guardnest.GuardNest.png" \
      "$app_svg"
    gtk4-encode-symbolic-svg -o "$icons/hicolor/${size}x${size}/apps" "$symbolic_svg" "${size}x${size}"
  done
  # An .svg GTK finds first but cannot load would show as a broken image.
  find "$icons" -name '*.svg' -delete
  find "$icons" -type d -empty -delete
  for theme in Adwaita hicolor; do
    gtk4-update-icon-cache -q -t -f "$icons/$theme"
  done
  echo "   $(find "$icons" -name '*.png' | wc -l) icons"
fi

mkdir -p "$stage/share/doc/guardnest"
cp COPYING "$stage/share/doc/guardnest/COPYING"

echo "== installer"
out=$build/GuardNest-$version-x86_64-setup.exe
makensis -V2 -DVERSION="$version" -DSTAGING="$stage" -DOUTFILE="$out" \
  build-aux/msys2/guardnest.nsi
echo "== done: $out"
