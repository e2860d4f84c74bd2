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
# (glib-networking with OpenSSL); GSettings schemas (GTK's and ours,
# compiled); the hicolor icons; the stack's translations; COPYING. Then
# makensis writes BUILD_DIR/GuardNest-<version>-x86_64-setup.exe.
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

mkdir -p "$stage/share/doc/guardnest"
cp COPYING "$stage/share/doc/guardnest/COPYING"

echo "== installer"
out=$build/GuardNest-$version-x86_64-setup.exe
makensis -V2 -DVERSION="$version" -DSTAGING="$stage" -DOUTFILE="$out" \
  build-aux/msys2/guardnest.nsi
echo "== done: $out"
