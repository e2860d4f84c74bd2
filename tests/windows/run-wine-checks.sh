#!/usr/bin/env bash
# The check helpers below are called through ok(), not unreachable:
# shellcheck disable=SC2317
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The Windows checks that run on Linux, as TAP for meson (suite 'windows'):
#   winproxy    cross-build the pure Win32 proxy core with mingw-w64
#               (build-aux/mingw64-cross.ini, --werror) and run
#               test-winproxy.exe under Wine in a fresh 64-bit prefix
#   installer   makensis the NSIS script against the cross-built staging
#               folder, install silently under Wine, check files and registry,
#               crash-then-uninstall, check that everything is gone and that
#               the user's proxy is back
#   end-session a process with protection on, then wineboot --end-session
#   adapter-syntax  type-check the GLib-using Windows files (no mingw GLib here)
#   msys2-lint  bash -n and shellcheck on build-aux/msys2/*.sh
# Wine's exit codes are not trusted: every check looks at real effects (TAP
# plan and results, files in the prefix, registry values).
set -uo pipefail

src=${GN_SOURCE_ROOT:?set by meson}
out=${GN_WINDOWS_BUILD:?set by meson}
what=${1:?usage: run-wine-checks.sh winproxy|installer|msys2-lint}
n=0
failed=0

ok () {  # ok DESCRIPTION COMMAND...  (the command's output becomes TAP comments)
  local desc=$1 output status
  shift
  n=$((n + 1))
  output=$("$@" 2>&1)
  status=$?
  [ -z "$output" ] || printf '%s\n' "$output" | sed 's/^/# /'
  if [ "$status" = 0 ]; then echo "ok $n - $desc"; else echo "not ok $n - $desc"; failed=1; fi
}

need () {
  for tool in "$@"; do
    command -v "$tool" >/dev/null ||
      { echo "Bail out! $tool not found: run 'bash build-aux/install-deps.sh --tests'"; exit 1; }
  done
}

cross_build () {
  need x86_64-w64-mingw32-gcc meson ninja
  local build=$out/win32-build
  mkdir -p "$out"
  (
    flock 9
    if [ ! -f "$build/build.ninja" ]; then
      meson setup "$build" "$src" --cross-file "$src/build-aux/mingw64-cross.ini" \
        -Dwin32_core_only=true --werror --buildtype=release --prefix=/ \
        --bindir=bin >"$out/win32-setup.log" 2>&1 ||
        { sed 's/^/# /' "$out/win32-setup.log"; exit 1; }
    fi
    meson compile -C "$build" >"$out/win32-compile.log" 2>&1 ||
      { sed 's/^/# /' "$out/win32-compile.log"; exit 1; }
    rm -rf "$out/staging"
    meson install -C "$build" --no-rebuild --destdir "$out/staging" >/dev/null 2>&1
  ) 9>"$out/win32.lock"
}

new_prefix () {
  need wine wineserver
  WINEPREFIX=$(mktemp -d /tmp/gn-wine.XXXXXX)
  export WINEPREFIX WINEARCH=win64 WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
  wine wineboot --init >/dev/null 2>&1
  # Headless: Wine's null display driver lets top-level windows exist
  # without X; it takes effect once the server restarts.
  wine reg add 'HKCU\Software\Wine\Drivers' /v Graphics /d null /f >/dev/null 2>&1
  wineserver -w
  trap 'wineserver -k 2>/dev/null; rm -rf "$WINEPREFIX"' EXIT
}

regval () {  # regval KEY VALUE -> data on stdout, status 1 if absent
  wine reg query "$1" /v "$2" 2>/dev/null | tr -d '\r' |
    awk -v v="$2" '$1 == v { sub(/^[ \t]*[^ \t]+[ \t]+[^ \t]+[ \t]+/, ""); print; found = 1 }
                   END { exit !found }'
}

case $what in
winproxy)
  cross_build || { echo "Bail out! the mingw-w64 cross build failed"; exit 1; }
  new_prefix
  bin=$out/win32-build
  tap=$out/test-winproxy.tap
  repair=$(winepath -w "$bin/src/platform/win32/guardnest-repair.exe" 2>/dev/null)
  (cd "$bin" && timeout 300 wine tests/windows/test-winproxy.exe --repair-tool "$repair") \
     >"$tap.raw" 2>&1
  status=$?
  # CRLF from the Windows C runtime; the repair tool's own lines become comments.
  tr -d '\r' <"$tap.raw" | sed -e '/^\(ok \|not ok \|1\.\.\|# \|Bail out!\)/!s/^/# /' >"$tap"
  cat "$tap"
  plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$tap")
  passed=$(grep -c '^ok ' "$tap")
  # A program that never started prints no plan; one that died early prints
  # fewer results than planned.
  if [ -z "$plan" ] || [ "$passed" != "$plan" ] || [ "$status" != 0 ]; then
    echo "# wine exit status $status, plan '${plan:-none}', passed $passed" >&2
    exit 1
  fi
  ;;

installer)
  need makensis
  cross_build || { echo "Bail out! the mingw-w64 cross build failed"; exit 1; }
  version=$(meson introspect --projectinfo "$out/win32-build" |
            sed -n 's/.*"version": *"\([^"]*\)".*/\1/p')
  setup=$out/guardnest-$version-setup.exe
  rm -f "$setup"
  makensis -V2 -DVERSION="$version" -DSTAGING="$out/staging" -DOUTFILE="$setup" \
    "$src/build-aux/msys2/guardnest.nsi" >"$out/makensis.log" 2>&1
  ok "makensis compiles the installer (version $version)" test -s "$setup"
  [ -s "$setup" ] || { sed 's/^/# /' "$out/makensis.log"; echo "1..$n"; exit 1; }
  # The script's branches for the full GTK app (shortcut, autostart, the
  # app's own --repair-proxy) only compile when bin/guardnest.exe exists.
  # Compile them against a copy of the staging folder with the repair tool
  # standing in for guardnest.exe; that installer is discarded, never run.
  full_app_branch () {
    rm -rf "$out/staging-app" && cp -r "$out/staging" "$out/staging-app" &&
    cp "$out/staging/bin/guardnest-repair.exe" "$out/staging-app/bin/guardnest.exe" &&
    makensis -V2 -DVERSION="$version" -DSTAGING="$out/staging-app" \
      -DOUTFILE="$out/discard-setup.exe" "$src/build-aux/msys2/guardnest.nsi" \
      >"$out/makensis-app.log" 2>&1 &&
    rm -rf "$out/staging-app" "$out/discard-setup.exe"
  }
  ok "makensis also compiles the full-app branches (compile only)" full_app_branch
  new_prefix

  ie='HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings'
  runonce='HKCU\Software\Microsoft\Windows\CurrentVersion\RunOnce'
  run='HKCU\Software\Microsoft\Windows\CurrentVersion\Run'
  hklm_run='HKLM\Software\Microsoft\Windows\CurrentVersion\Run'
  uninst='HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\GuardNest'
  c=$WINEPREFIX/drive_c
  inst="$c/Program Files/GuardNest"
  menu="$c/ProgramData/Microsoft/Windows/Start Menu/Programs/GuardNest"
  userdata=$(find "$c/users" -maxdepth 3 -path '*/AppData/Local' | grep -v /Public/ | head -1)/GuardNest

  corp_proxy () {
    wine reg add "$ie" /v ProxyEnable /t REG_DWORD /d 1 /f >/dev/null 2>&1 &&
    wine reg add "$ie" /v ProxyServer /d corp-proxy.example:8080 /f >/dev/null 2>&1 &&
    wine reg add "$ie" /v ProxyOverride /d '*.corp.example;<local>' /f >/dev/null 2>&1
  }
  proxy_is () { [ "$(regval "$ie" ProxyServer)" = "$1" ] && [ "$(regval "$ie" ProxyEnable)" = "$2" ]; }
  crash () {  # a GuardNest that left protection on and died
    (cd "$1" && wine test-winproxy.exe --simulate-crash >/dev/null 2>&1)
    proxy_is 127.0.0.1:3000 0x1 && [ -f "$userdata/proxy-journal.txt" ]
  }
  installed () {
    [ -f "$inst/bin/guardnest-repair.exe" ] && [ -f "$inst/uninstall.exe" ] &&
    [ -f "$inst/share/doc/guardnest/COPYING" ] &&
    [ -f "$menu/Restore proxy settings.lnk" ] && [ -f "$menu/Uninstall GuardNest.lnk" ] &&
    [ "$(regval "$uninst" DisplayVersion)" = "$version" ]
  }
  removed () {
    [ ! -e "$inst" ] && [ ! -e "$menu" ] && ! regval "$uninst" DisplayVersion >/dev/null &&
    ! regval "$run" GuardNest >/dev/null && ! regval "$runonce" GuardNestRepair >/dev/null
  }
  uninstall () {
    wine "C:\\Program Files\\GuardNest\\uninstall.exe" /S "$@" >/dev/null 2>&1
    wineserver -w   # the uninstaller re-runs itself from %TEMP%
  }

  ok "the user's corporate proxy is set" corp_proxy
  ok "a crashed GuardNest left the proxy pointing at 127.0.0.1:3000" crash "$out/staging/bin"
  mkdir -p "$userdata" && echo keep >"$userdata/settings.ini"
  wine "$setup" /S /AUTOSTART >/dev/null 2>&1
  wineserver -w
  ok "silent install put files, shortcuts and the uninstall entry in place" installed
  gui_shortcut () {  # the .lnk keeps its strings in UTF-16: drop the NULs
    [ -f "$inst/bin/guardnest-repair-gui.exe" ] &&
    tr -d '\0' <"$menu/Restore proxy settings.lnk" | grep -qa 'guardnest-repair-gui\.exe' &&
    tr -d '\0' <"$menu/Restore proxy settings.lnk" | grep -qa -- '--message-box'
  }
  ok "'Restore proxy settings' runs guardnest-repair-gui.exe --message-box" gui_shortcut
  has_value () { regval "$@" >/dev/null; }
  ok "'start with Windows' was registered for this user (/AUTOSTART, HKCU Run)" has_value "$run" GuardNest
  no_machine_run () { ! regval "$hklm_run" GuardNest >/dev/null; }
  ok "and not for every user of the machine (no HKLM Run value)" no_machine_run
  ok "the installer's repair step restored the corporate proxy" proxy_is corp-proxy.example:8080 0x1
  ok "the repair step removed the journal" test ! -e "$userdata/proxy-journal.txt"
  ok "the installed test program leaves protection on (crash)" crash "$inst/bin"
  ok "protection on: RunOnce repair entry exists" has_value "$runonce" GuardNestRepair
  uninstall
  ok "silent uninstall removed program, shortcuts, Run, RunOnce and uninstall entries" removed
  ok "the uninstaller restored the corporate proxy first" proxy_is corp-proxy.example:8080 0x1
  ok "ProxyOverride restored too" test "$(regval "$ie" ProxyOverride)" = '*.corp.example;<local>'
  ok "silent uninstall keeps user data without /PURGE" test -f "$userdata/settings.ini"
  wine "$setup" /S >/dev/null 2>&1
  wineserver -w
  ok "reinstall works" installed
  no_autostart () { ! regval "$run" GuardNest >/dev/null; }
  ok "no autostart without /AUTOSTART" no_autostart
  uninstall /PURGE
  ok "uninstall /PURGE removes the user data too" test ! -e "$userdata"
  ok "and removes everything else" removed
  echo "1..$n"
  exit $failed
  ;;

end-session)
  # A real end of session: wineboot --end-session sends WM_QUERYENDSESSION /
  # WM_ENDSESSION to every top-level window, as Windows does at log-off.
  cross_build || { echo "Bail out! the mingw-w64 cross build failed"; exit 1; }
  new_prefix
  ie='HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings'
  journal=$WINEPREFIX/drive_c/gn-journal.txt
  wine reg add "$ie" /v ProxyEnable /t REG_DWORD /d 1 /f >/dev/null 2>&1
  wine reg add "$ie" /v ProxyServer /d corp-proxy.example:8080 /f >/dev/null 2>&1
  (cd "$out/win32-build" &&
   exec wine tests/windows/test-winproxy.exe --hold 'C:\gn-journal.txt' none >/dev/null 2>&1) &
  holder=$!
  protected () {  # a loaded machine can take long to start a Wine process
    for _ in $(seq 180); do
      [ "$(regval "$ie" ProxyServer)" = 127.0.0.1:3000 ] && [ -f "$journal" ] && return 0
      sleep 0.5
    done
    return 1
  }
  ok "protection on: proxy points at 127.0.0.1:3000, journal written" protected
  ok "protection on: RunOnce repair entry exists" \
    regval 'HKCU\Software\Microsoft\Windows\CurrentVersion\RunOnce' GuardNestRepair
  wine wineboot --end-session >/dev/null 2>&1
  ended () { for _ in $(seq 20); do kill -0 "$holder" 2>/dev/null || return 0; sleep 0.5; done; return 1; }
  ok "the session ended and took the process with it" ended
  ok "the hidden top-level window restored the user's proxy" \
    test "$(regval "$ie" ProxyServer)" = corp-proxy.example:8080
  no_runonce () { ! regval 'HKCU\Software\Microsoft\Windows\CurrentVersion\RunOnce' GuardNestRepair >/dev/null; }
  ok "the RunOnce repair entry is gone" no_runonce
  ok "the journal is gone" test ! -e "$journal"
  kill "$holder" 2>/dev/null
  echo "1..$n"
  exit $failed
  ;;

adapter-syntax)
  # Debian has no mingw GLib, so gn-os-proxy-windows.c cannot be built here.
  # This type-checks it with mingw-w64 against Debian's GLib headers and a
  # glibconfig.h adjusted to Win64 (LLP64 sizes, G_OS_WIN32): it catches
  # drift from gn-os-proxy.h and wrong core calls; it is not a build.
  need x86_64-w64-mingw32-gcc pkg-config
  cfg=$out/win64-glibconfig
  mkdir -p "$cfg"
  sed -e 's/typedef signed long \(gint64\|gssize\|gintptr\);/typedef signed long long \1;/' \
      -e 's/typedef unsigned long \(guint64\|gsize\|guintptr\);/typedef unsigned long long \1;/' \
      -e 's/GLIB_SIZEOF_LONG   8/GLIB_SIZEOF_LONG   4/' \
      -e 's/(glong) (\([pi]\))/(gintptr) (\1)/; s/(gulong) (\([pu]\))/(guintptr) (\1)/' \
      -e 's/(val##L)/(val##LL)/; s/(val##UL)/(val##ULL)/' \
      -e 's/\(G_GINT64_MODIFIER\|G_GSIZE_MODIFIER\|G_GINTPTR_MODIFIER\) *"l"/\1 "ll"/' \
      -e 's/G_GSIZE_FORMAT "lu"/G_GSIZE_FORMAT "llu"/; s/G_GSSIZE_FORMAT "li"/G_GSSIZE_FORMAT "lli"/' \
      -e 's/^#define G_OS_UNIX$/#define G_OS_WIN32\n#define G_PLATFORM_WIN32/' \
      "$(pkg-config --variable=libdir glib-2.0)/glib-2.0/include/glibconfig.h" >"$cfg/glibconfig.h"
  # mingw-w64 has no libintl.h (the real build links MSYS2's libintl):
  # declarations are enough for a syntax check of gi18n.h users.
  cat >"$cfg/libintl.h" <<'INTL'
char *gettext (const char *msgid);
char *dgettext (const char *domain, const char *msgid);
char *dcgettext (const char *domain, const char *msgid, int category);
char *ngettext (const char *msgid, const char *plural, unsigned long n);
char *dngettext (const char *domain, const char *msgid, const char *plural, unsigned long n);
char *dcngettext (const char *domain, const char *msgid, const char *plural, unsigned long n, int category);
char *textdomain (const char *domain);
char *bindtextdomain (const char *domain, const char *dir);
char *bind_textdomain_codeset (const char *domain, const char *codeset);
INTL
  glib_inc=$(pkg-config --variable=includedir glib-2.0)
  check_glib_file () {
    x86_64-w64-mingw32-gcc -fsyntax-only -std=gnu17 -Werror -Wall -Wextra \
      -Wno-unused-parameter -Wno-missing-field-initializers -Wmissing-prototypes \
      -Wstrict-prototypes -Wshadow=local -Wformat=2 \
      -DUNICODE -D_UNICODE -D_WIN32_WINNT=0x0601 -DG_LOG_USE_STRUCTURED=1 \
      -DGETTEXT_PACKAGE='"guardnest"' \
      -DGLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_74 -DGLIB_VERSION_MAX_ALLOWED=GLIB_VERSION_2_74 \
      -I"$src/src/platform" -I"$src/src/platform/win32" -I"$src/src/common" -I"$cfg" \
      -idirafter "$glib_inc/glib-2.0" -idirafter "$glib_inc/json-glib-1.0" \
      "$src/src/platform/$1" 2>&1 | sed 's/^/# /'
    return "${PIPESTATUS[0]}"
  }
  for f in gn-os-proxy-windows.c gn-os-proxy-windows-restore.c gn-process-table-windows.c \
           gn-shutdown-watch-windows.c gn-quit-window-windows.c gn-single-instance-windows.c \
           gn-tray-windows.c gn-autostart-windows.c; do
    ok "$f type-checks against its header (mingw-w64, -Werror)" check_glib_file "$f"
  done
  echo "1..$n"
  exit $failed
  ;;

msys2-lint)
  need shellcheck
  for script in "$src"/build-aux/msys2/*.sh; do
    ok "bash -n ${script#"$src"/}" bash -n "$script"
    ok "shellcheck ${script#"$src"/}" shellcheck -s bash "$script"
  done
  echo "1..$n"
  [ "$n" -gt 0 ] || exit 1
  exit $failed
  ;;
*)
  echo "Bail out! unknown check $what"; exit 1 ;;
esac
