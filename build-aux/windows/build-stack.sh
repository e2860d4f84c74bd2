#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Cross-compiles, on Debian 12 with mingw-w64, the Windows (x86_64) stack
# GuardNest needs, from Debian source packages only, into a prefix cached
# outside the clone:
#
#   bash build-aux/windows/build-stack.sh [--part gtk-free|gtk|all] [--jobs N]
#   bash build-aux/windows/build-stack.sh --print-prefix      # path, no build
#   bash build-aux/windows/build-stack.sh --print-cross-file  # path, no build
#
# Part "gtk-free": libffi, pcre2, libintl, GLib, json-glib, nghttp2, sqlite3,
# libpsl, libsoup 3, OpenSSL, glib-networking (the engine, the headless
# runner, guardnest-repair.exe and the tests need no more).
# Part "gtk" (needs gtk-free): libpng, libjpeg-turbo, libtiff, pixman, freetype,
# fribidi, harfbuzz, cairo, pango, gdk-pixbuf, libepoxy, graphene, GTK 4.
#
# Sources: `apt-get source --download-only PKG=VERSION` from deb-src entries
# this script adds (Debian's registry only). Every file used is checked
# against the SHA-256 listed in the signed Sources index (apt checks them
# too; the check here also covers the packages whose .debian.tar.xz the pool
# lacks, which are built from the verified .orig tarball alone).
#
# Cache: $GN_WINDOWS_CACHE (default /var/cache/guardnest-windows)/<key>/,
# <key> = a hash of this script and the cross file, so a change to the recipe
# builds a new prefix and a second run with the same recipe only checks the
# stamps (seconds). Each package leaves a stamp and a log there; the time of
# each package and part is printed and kept in <key>/times.txt.
# Run as root (apt); run it under `nice -n 19` on a shared machine.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
part=all
jobs=$(nproc)
print=
while [ $# -gt 0 ]; do
  case "$1" in
    --part) part=$2; shift 2 ;;
    --part=*) part=${1#--part=}; shift ;;
    --jobs) jobs=$2; shift 2 ;;
    --print-prefix) print=prefix; shift ;;
    --print-cross-file) print=cross; shift ;;
    -h|--help) sed -n '3,30p' "$0"; exit 0 ;;
    *) echo "build-stack.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
case "$part" in gtk-free|gtk|all) ;; *) echo "build-stack.sh: --part gtk-free|gtk|all" >&2; exit 2 ;; esac

cache=${GN_WINDOWS_CACHE:-/var/cache/guardnest-windows}
key=${GN_WINDOWS_STACK_KEY:-$(cat "$here/build-stack.sh" "$here/cross-x86_64.ini" | sha256sum | cut -c1-16)}
root=$cache/$key
prefix=$root/prefix
srcdir=$cache/sources
work=$root/work
stamps=$root/stamps
logs=$root/logs
crossfile=$root/prefix-cross.ini

case "$print" in
  prefix) echo "$prefix"; exit 0 ;;
  cross) echo "$crossfile"; exit 0 ;;
esac

triplet=x86_64-w64-mingw32
gccdir=/usr/lib/gcc/$triplet/12-win32
mingwlib=/usr/$triplet/lib

# Debian source package, pinned version, and how it is unpacked: "dsc"
# (dpkg-source -x: Debian's patches, security fixes included) or "orig"
# (the pool lacks the .debian.tar.xz of that version: upstream tarball only).
gtk_free_pkgs=(
  "libffi        3.4.4-1                   dsc"
  "pcre2         10.42-1+deb12u2           orig"
  "gettext       0.21-12                   dsc"
  "glib2.0       2.74.6-2+deb12u9          dsc"
  "json-glib     1.10.8+ds-2               orig"
  "nghttp2       1.52.0-1+deb12u3          dsc"
  "sqlite3       3.40.1-2+deb12u2          dsc"
  "libpsl        0.21.2-1                  dsc"
  "libsoup3      3.2.3-0+deb12u2           dsc"
  "openssl       3.0.17-1~deb12u2          dsc"
  "glib-networking 2.80.1-1                orig"
)
gtk_pkgs=(
  "libpng1.6     1.6.39-2+deb12u6          orig"
  "libjpeg-turbo 1:2.1.5-2                 dsc"
  "tiff          4.5.0-6+deb12u4           dsc"
  "pixman        0.42.2-1                  orig"
  "freetype      2.12.1+dfsg-5+deb12u4     dsc"
  "fribidi       1.0.8-2.1                 dsc"
  "harfbuzz      6.0.0+dfsg-3              dsc"
  "cairo         1.16.0-7                  dsc"
  "pango1.0      1.50.12+ds-1              dsc"
  "gdk-pixbuf    2.42.10+dfsg-1+deb12u4    dsc"
  "libepoxy      1.5.10-1                  orig"
  "graphene      1.10.8-1                  orig"
  "gtk4          4.8.3+ds-2+deb12u1        dsc"
)

log() { printf '== %s\n' "$*"; }

# --- apt: deb-src entries and the build tools ---------------------------------
ensure_apt() {
  local list=/etc/apt/sources.list.d/guardnest-windows-src.sources
  if [ ! -e "$list" ]; then
    log "adding deb-src entries ($list)"
    {
      sed -n 's/^Types: deb$/Types: deb-src/; p' /etc/apt/sources.list.d/debian.sources
      # json-glib and glib-networking: only newer suites' tarballs download.
      printf '\nTypes: deb-src\nURIs: http://deb.debian.org/debian\nSuites: trixie sid\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
    } > "$list"
    apt-get update -q
  fi
  local need=(g++-mingw-w64-x86-64-win32 gcc-mingw-w64-x86-64-win32 mingw-w64-tools
    libz-mingw-w64-dev meson ninja-build cmake pkg-config autoconf automake libtool
    gettext tcl wine wine64 sassc publicsuffix dpkg-dev xz-utils python3 perl)
  local missing=()
  local p
  for p in "${need[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

# --- sources ------------------------------------------------------------------
# sha256 lines "HASH SIZE NAME" of PKG=VERSION from the Sources index.
source_sums() {
  apt-cache showsrc "$1" | awk -v ver="$2" '
    /^Package:/ { inpkg = 0 }
    /^Version:/ { inpkg = ($2 == ver) }
    inpkg && /^Checksums-Sha256:/ { insums = 1; next }
    insums && /^ / { if (inpkg) print $1, $2, $3; next }
    { insums = 0 }' | sort -u
}

# fetch PKG VERSION MODE -> unpacked tree in $work/PKG
fetch() {
  local pkg=$1 ver=$2 mode=$3
  local sums
  sums=$(source_sums "$pkg" "$ver")
  [ -n "$sums" ] || { echo "no Sources entry for $pkg=$ver" >&2; return 1; }
  mkdir -p "$srcdir"
  (cd "$srcdir" && apt-get source -q --download-only "$pkg=$ver" >/dev/null 2>&1) || true
  local hash name ok=1
  while read -r hash _ name; do
    case "$mode:$name" in
      orig:*.orig.tar.*|orig:*.orig-*) ;;
      orig:*) continue ;;
    esac
    case "$name" in *.asc|*orig-www*|*orig-unicode-data*|*orig-ft2*) continue ;; esac
    if [ ! -f "$srcdir/$name" ] || ! echo "$hash  $srcdir/$name" | sha256sum -c --quiet - >/dev/null 2>&1; then
      echo "missing or corrupt: $name (sha256 $hash from the Sources index)" >&2; ok=0
    fi
  done <<< "$sums"
  [ $ok = 1 ] || return 1
  rm -rf "${work:?}/${pkg:?}"
  mkdir -p "$work"
  if [ "$mode" = dsc ]; then
    local dsc
    dsc=$(awk '{print $3}' <<< "$sums" | grep '\.dsc$')
    # The .dsc's own hash was just checked against the signed index.
    dpkg-source --no-check --skip-debianization -x "$srcdir/$dsc" "$work/$pkg" >/dev/null 2>&1 ||
      dpkg-source --no-check -x "$srcdir/$dsc" "$work/$pkg" >/dev/null
  else
    local orig
    orig=$(awk '{print $3}' <<< "$sums" | grep '\.orig\.tar\.' | grep -v '\.asc$' | head -n 1)
    mkdir -p "$work/$pkg"
    tar -xf "$srcdir/$orig" -C "$work/$pkg" --strip-components=1
  fi
}

# --- build helpers ------------------------------------------------------------
setup_env() {
  mkdir -p "$prefix/lib/pkgconfig" "$prefix/bin" "$stamps" "$logs" "$work"
  export PKG_CONFIG_LIBDIR="$prefix/lib/pkgconfig:$prefix/share/pkgconfig:$mingwlib/pkgconfig"
  export PKG_CONFIG_PATH=
  unset PKG_CONFIG_SYSROOT_DIR CFLAGS CXXFLAGS LDFLAGS CPPFLAGS
  export WINEARCH=win64 WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
  export WINEPREFIX="$root/wine"
  export WINEPATH="$prefix/bin;$gccdir;$mingwlib"
  export DISPLAY=
  cat > "$crossfile" <<EOF
# Written by build-aux/windows/build-stack.sh: use after cross-x86_64.ini.
[properties]
pkg_config_libdir = ['$prefix/lib/pkgconfig', '$prefix/share/pkgconfig', '$mingwlib/pkgconfig']

[built-in options]
c_args = ['-I$prefix/include']
cpp_args = ['-I$prefix/include']
c_link_args = ['-L$prefix/lib']
cpp_link_args = ['-L$prefix/lib']
EOF
  cat > "$root/toolchain.cmake" <<EOF
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER $triplet-gcc-win32)
set(CMAKE_CXX_COMPILER $triplet-g++-win32)
set(CMAKE_RC_COMPILER $triplet-windres)
set(CMAKE_FIND_ROOT_PATH $prefix /usr/$triplet)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_CROSSCOMPILING_EMULATOR wine)
EOF
  if [ ! -d "$WINEPREFIX" ]; then
    wineboot -i >/dev/null 2>&1 || true
  fi
}

meson_build() {  # meson_build [meson options...] (in the source tree)
  rm -rf _gn_build
  meson setup _gn_build --cross-file "$here/cross-x86_64.ini" --cross-file "$crossfile" \
    --prefix "$prefix" --libdir lib --buildtype release -Ddefault_library=shared \
    --wrap-mode nodownload "$@"
  ninja -C _gn_build -j "$jobs"
  ninja -C _gn_build install
}

configure_build() {  # configure_build [configure options...]
  ./configure --host=$triplet --build="$(dpkg-architecture -qDEB_BUILD_GNU_TYPE)" \
    --prefix="$prefix" --enable-shared --disable-static \
    CC=$triplet-gcc-win32 CXX=$triplet-g++-win32 "$@"
  make -j "$jobs"
  make install
}

cmake_build() {
  rm -rf _gn_build
  cmake -S . -B _gn_build -G Ninja -DCMAKE_TOOLCHAIN_FILE="$root/toolchain.cmake" \
    -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib -DCMAKE_BUILD_TYPE=Release "$@"
  ninja -C _gn_build -j "$jobs"
  ninja -C _gn_build install
}

# Patched autotools trees: make the generated files newer than their inputs
# so make does not call automake/autoconf of another version.
touch_autotools() {
  find . -name aclocal.m4 -exec touch {} +
  sleep 1; find . -name configure -exec touch {} +
  sleep 1; find . \( -name config.h.in -o -name Makefile.in \) -exec touch {} +
}

# --- the recipes (run inside the unpacked tree) --------------------------------
build_libffi() { touch_autotools; configure_build --disable-docs --disable-multi-os-directory; }
build_pcre2() {
  configure_build --enable-pcre2-16 --enable-pcre2-32 --disable-pcre2grep-libz \
    --disable-pcre2grep-libbz2 --disable-pcre2test-libreadline
}
build_gettext() {
  touch_autotools
  cd gettext-runtime
  ./configure --host=$triplet --build="$(dpkg-architecture -qDEB_BUILD_GNU_TYPE)" \
    --prefix="$prefix" --enable-shared --disable-static --disable-java --disable-csharp \
    --disable-libasprintf --disable-openmp --disable-curses --enable-threads=windows \
    CC=$triplet-gcc-win32 CXX=$triplet-g++-win32
  make -C gnulib-lib -j "$jobs" || true
  make -C intl -j "$jobs"
  make -C intl install
}
build_glib2_0() {
  meson_build -Dtests=false -Dinstalled_tests=false -Dman=false -Dgtk_doc=false \
    -Dlibmount=disabled -Dselinux=disabled -Dxattr=false -Dnls=enabled \
    -Dglib_debug=disabled -Dsysprof=disabled -Dlibelf=disabled
}
build_json_glib() {
  # The only json-glib tarball the pool serves asks for meson 1.2; Debian 12
  # has 1.0.1, which configures and builds it (checked) all the same.
  sed -i "s/meson_version: '>= 1.2.0'/meson_version: '>= 1.0.0'/" meson.build
  meson_build -Dintrospection=disabled -Ddocumentation=disabled -Dman=false -Dtests=false \
    -Dconformance=false -Dinstalled_tests=false
}
build_nghttp2() {
  cmake_build -DENABLE_LIB_ONLY=ON -DENABLE_STATIC_LIB=OFF -DENABLE_SHARED_LIB=ON \
    -DENABLE_DOC=OFF -DBUILD_TESTING=OFF
}
build_sqlite3() {
  touch_autotools
  config_TARGET_EXEEXT=.exe ./configure --host=$triplet \
    --build="$(dpkg-architecture -qDEB_BUILD_GNU_TYPE)" --prefix="$prefix" \
    --enable-shared --disable-static --disable-tcl --disable-readline \
    CC=$triplet-gcc-win32 BCC=gcc
  make -j "$jobs" CROSS_BUILDING=yes BEXE= TEXE=.exe BCC=gcc libsqlite3.la
  # libtool makes only the static library here; libsoup links it in.
  make CROSS_BUILDING=yes BEXE= TEXE=.exe BCC=gcc lib_install sqlite3.pc
  install -d "$prefix/include" "$prefix/lib/pkgconfig"
  install -m 0644 sqlite3.h src/sqlite3ext.h "$prefix/include/"
  install -m 0644 sqlite3.pc "$prefix/lib/pkgconfig/"
}
build_libpsl() {
  # Only the library: the psl.exe tool uses localtime_r, which mingw lacks.
  sed -i "/subdir('tools')/d; /subdir('tests')/d; /subdir('fuzz')/d" meson.build
  meson_build -Dpsl_file=/usr/share/publicsuffix/public_suffix_list.dat -Dbuiltin=true \
    -Druntime=no -Ddocs=false
}
build_libsoup3() {
  meson_build -Dtests=false -Dvapi=disabled -Dintrospection=disabled -Dgssapi=disabled \
    -Dntlm=disabled -Dbrotli=disabled -Dtls_check=false -Dsysprof=disabled -Ddocs=disabled \
    -Dautobahn=disabled -Dpkcs11_tests=disabled
}
build_openssl() {
  # CC is prefixed with the cross prefix by OpenSSL's Makefile: gcc-win32 →
  # x86_64-w64-mingw32-gcc-win32 (the win32-threads compiler, like the rest).
  # OpenSSL 3.0 has no no-docs/no-apps: build_libs + install_dev skip both.
  # Off: what glib-networking's TLS (HTTPS blocklist downloads, the CONNECT
  # tunnels need no TLS of their own) never uses -- ~150 of ~900 files.
  # Kept: TLS 1.2/1.3 ciphers, EC/RSA/DH, PKCS#12 (GTlsCertificate), OCSP and
  # DTLS (glib-networking's openssl backend calls them).
  ./Configure mingw64 --cross-compile-prefix=$triplet- --prefix="$prefix" --libdir=lib \
    shared no-tests no-engine no-dso no-module no-legacy \
    no-comp no-srp no-ct no-cms no-ts no-cmp no-camellia no-aria no-seed no-sm2 no-sm3 \
    no-sm4 no-whirlpool no-idea no-ec2m no-siphash no-srtp no-ssl3 no-weak-ssl-ciphers \
    no-mdc2 no-rc2 no-rc4 no-bf no-cast no-md4 no-rmd160 no-dsa no-scrypt no-gost \
    no-padlockeng no-capieng no-afalgeng -D_WIN32_WINNT=0x0601 \
    CC=gcc-win32
  # The libraries only (no openssl.exe): install_dev also installs the DLLs.
  make -j "$jobs" build_libs
  make install_dev
}
build_glib_networking() {
  # Its post-install step runs gio-querymodules, here a Windows program; the
  # module cache is optional (GIO then loads every module in the folder).
  sed -i '/gnome.post_install(gio_querymodules/d' meson.build
  meson_build -Dgnutls=disabled -Dopenssl=enabled -Dlibproxy=disabled -Dgnome_proxy=disabled \
    -Dinstalled_tests=false
}
build_libpng1_6() { configure_build --disable-tests 2>/dev/null || configure_build; }
build_libjpeg_turbo() {
  # Its own GNUInstallDirs takes a relative libdir as relative to the source.
  cmake_build -DENABLE_STATIC=OFF -DWITH_SIMD=OFF -DWITH_TURBOJPEG=OFF \
    -DCMAKE_INSTALL_LIBDIR="$prefix/lib"
}
build_tiff() {  # GTK 4.8 requires libtiff-4 (its image loading)
  cmake_build -DCMAKE_INSTALL_LIBDIR="$prefix/lib" -Dtiff-tools=OFF -Dtiff-tests=OFF \
    -Dtiff-contrib=OFF -Dtiff-docs=OFF -Djpeg=ON -Dzlib=ON -Dwebp=OFF -Dzstd=OFF -Dlzma=OFF \
    -Djbig=OFF -Dlerc=OFF -Dlibdeflate=OFF -Dpixarlog=ON -Dcxx=OFF
}
build_pixman() { meson_build -Dgtk=disabled -Dlibpng=disabled -Dtests=disabled -Dopenmp=disabled; }
build_freetype() {
  meson_build -Dbrotli=disabled -Dbzip2=disabled -Dharfbuzz=disabled -Dpng=enabled -Dzlib=enabled
}
build_fribidi() { meson_build -Ddocs=false; }
build_harfbuzz() {
  meson_build -Dglib=enabled -Dfreetype=enabled -Dgobject=disabled -Dcairo=disabled \
    -Dicu=disabled -Dgraphite2=disabled -Dintrospection=disabled -Ddocs=disabled \
    -Dtests=disabled -Dbenchmark=disabled -Dgdi=enabled
}
build_cairo() {
  touch_autotools
  # cairo's configure adds _FORTIFY_SOURCE, which on mingw pulls libssp and
  # makes libtool build static libraries only.
  sed -i 's/-Wp,-D_FORTIFY_SOURCE=2//g; s/-D_FORTIFY_SOURCE=2//g' configure
  ./configure --host=$triplet --build="$(dpkg-architecture -qDEB_BUILD_GNU_TYPE)" \
    --prefix="$prefix" --enable-shared --disable-static CC=$triplet-gcc-win32 \
    --enable-win32 --enable-win32-font --enable-png --disable-ft --disable-fc \
    --disable-xlib --disable-xcb --disable-quartz --disable-gl --disable-glesv2 \
    --disable-script --disable-interpreter --disable-trace --disable-gtk-doc \
    --disable-full-testing --disable-symbol-lookup --disable-valgrind
  # The libraries only (cairo, cairo-gobject for GTK): the test suite wants
  # freetype headers even without ft.
  make -C src -j "$jobs"
  make -C src install
  make -C util/cairo-gobject -j "$jobs"
  make -C util/cairo-gobject install
}
build_pango1_0() {
  meson_build -Dintrospection=disabled -Dgtk_doc=false -Dinstall-tests=false \
    -Dfontconfig=disabled -Dfreetype=disabled -Dsysprof=disabled -Dlibthai=disabled -Dxft=disabled \
    -Dcairo=enabled
}
build_gdk_pixbuf() {
  meson_build -Dpng=enabled -Djpeg=enabled -Dtiff=disabled -Dgio_sniffing=false \
    -Dintrospection=disabled -Dgtk_doc=false -Dman=false -Dinstalled_tests=false -Dtests=false \
    -Dbuiltin_loaders=png,jpeg
}
build_libepoxy() { meson_build -Dtests=false -Ddocs=false -Dglx=no -Degl=no -Dx11=false; }
build_graphene() {
  meson_build -Dtests=false -Dinstalled_tests=false -Dintrospection=disabled -Dgtk_doc=false \
    -Dgobject_types=true
}
build_gtk4() {
  meson_build -Dwin32-backend=true -Dx11-backend=false -Dwayland-backend=false \
    -Dbroadway-backend=false -Dmacos-backend=false -Dmedia-gstreamer=disabled -Dmedia-ffmpeg=disabled \
    -Dprint-cups=disabled -Dvulkan=disabled -Dcloudproviders=disabled -Dsysprof=disabled \
    -Dtracker=disabled -Dcolord=disabled -Df16c=disabled -Dintrospection=disabled \
    -Dgtk_doc=false -Dman-pages=false -Dbuild-tests=false -Dbuild-examples=false \
    -Ddemos=false -Dinstall-tests=false
}

build_one() {
  local pkg=$1 ver=$2 mode=$3
  local stamp="$stamps/$pkg"
  [ -e "$stamp" ] && return 0
  local fn="build_${pkg//[.-]/_}" t0 t1
  t0=$(date +%s)
  log "$pkg $ver ($mode)"
  fetch "$pkg" "$ver" "$mode"
  # In the background and then waited for: inside `if` or `||` bash would
  # ignore set -e in the recipe and carry on after a failed step.
  (set -e; cd "$work/$pkg"; "$fn") > "$logs/$pkg.log" 2>&1 &
  if ! wait $!; then
    tail -n 40 "$logs/$pkg.log" >&2
    echo "build-stack.sh: $pkg failed, full log: $logs/$pkg.log" >&2
    return 1
  fi
  t1=$(date +%s)
  echo "$pkg $ver $((t1 - t0)) s" | tee -a "$root/times.txt"
  rm -rf "${work:?}/${pkg:?}"
  touch "$stamp"
}

build_part() {
  local name=$1; shift
  local stamp="$stamps/part-$name" t0 line
  if [ -e "$stamp" ]; then
    log "part $name: cached in $prefix"
    return 0
  fi
  t0=$(date +%s)
  for line in "$@"; do
    # shellcheck disable=SC2086
    build_one $line
  done
  echo "part $name $(( $(date +%s) - t0 )) s" | tee -a "$root/times.txt"
  touch "$stamp"
}

finish_prefix() {
  # Runtime DLLs that come from the toolchain, not from a package built here.
  cp -u "$gccdir/libgcc_s_seh-1.dll" "$gccdir/libstdc++-6.dll" \
    "$mingwlib/libwinpthread-1.dll" "$mingwlib/zlib1.dll" "$prefix/bin/"
  if [ -d "$prefix/share/glib-2.0/schemas" ]; then
    glib-compile-schemas "$prefix/share/glib-2.0/schemas"
  fi
}

ensure_apt
setup_env
case "$part" in
  gtk-free) build_part gtk-free "${gtk_free_pkgs[@]}" ;;
  gtk) build_part gtk-free "${gtk_free_pkgs[@]}"; build_part gtk "${gtk_pkgs[@]}" ;;
  all) build_part gtk-free "${gtk_free_pkgs[@]}"; build_part gtk "${gtk_pkgs[@]}" ;;
esac
finish_prefix
log "prefix: $prefix"
log "cross file: $crossfile"
