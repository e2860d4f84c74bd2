; guardnest.nsi
;
; SPDX-License-Identifier: GPL-3.0-or-later
;
; The GuardNest installer for 64-bit Windows. Installs a staging folder (the
; meson install plus the GTK runtime gathered by build-installer.sh) into
; Program Files.
;
; A running GuardNest (the window or --headless, protection on or off) keeps
; its program files open, so before it copies or removes anything the
; installer, and the uninstaller, asks every running GuardNest of this
; session to quit: WM_CLOSE to its hidden "GuardNest.Instance" window, which
; GuardNest answers like its own Quit (proxy settings put back, connections
; drained; src/platform/gn-quit-window-windows.c), then waits up to
; QUIT_TIMEOUT_MS for each process to end. It then checks that no program
; file is still in use (another user's GuardNest, a hung one). If one is,
; it stops with a message naming the file, exit code 3, and changes nothing:
; never a half-replaced or half-removed installation with locked files.
;
; The uninstaller then runs guardnest.exe --repair-proxy (when the app is
; in the package) and guardnest-repair.exe --uninstall, which put the user's
; proxy settings back if GuardNest still owns them and remove the user's
; autostart and RunOnce entries, so removing the app can never leave Windows
; pointing at a proxy that is gone.
;
; Defines (makensis /D...):
;   VERSION   version from meson (required)
;   STAGING   folder to install (required), laid out as bin\, lib\, share\
;   OUTFILE   installer path (default guardnest-VERSION-setup.exe)
;   LICENSE   license text shown by the installer (default STAGING\share\doc\guardnest\COPYING)
;
; Command line: /S silent; /AUTOSTART selects "Start with Windows" for the
; user who runs the installer (HKCU Run, the same value the app's own
; "Start at login" writes); the uninstaller's /PURGE also removes every file
; and registry value GuardNest wrote for the user: settings, blocklist
; settings, timed rules, journals (%LOCALAPPDATA%\GuardNest), the downloaded
; and compiled blocklists (GLib's user cache folder on Windows, the Internet
; cache: %LOCALAPPDATA%\Microsoft\Windows\INetCache\guardnest) and the
; GSettings keys (HKCU\Software\GSettings\io\github\guardnest). Without
; /PURGE a silent uninstall keeps them; an interactive one asks.
;
; Exit codes: 0 done, 1 cancelled, 2 aborted, 3 a running GuardNest could
; not be made to quit (nothing was changed).

Unicode true
Target amd64-unicode
ManifestDPIAware true
RequestExecutionLevel admin
SetCompressor /SOLID lzma

!ifndef VERSION
  !error "Pass the version from meson: makensis /DVERSION=x.y.z"
!endif
!ifndef STAGING
  !error "Pass the staging folder: makensis /DSTAGING=path"
!endif
!ifndef OUTFILE
  !define OUTFILE "guardnest-${VERSION}-setup.exe"
!endif
!ifndef LICENSE
  !define LICENSE "${STAGING}\share\doc\guardnest\COPYING"
!endif

!define APP_NAME "GuardNest"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\GuardNest"
!define RUN_KEY "Software\Microsoft\Windows\CurrentVersion\Run"
!define RUNONCE_KEY "Software\Microsoft\Windows\CurrentVersion\RunOnce"
; GN_QUIT_WINDOW_CLASS in src/platform/gn-quit-window-windows.h
!define INSTANCE_CLASS "GuardNest.Instance"
; GuardNest's own quit drains connections for at most 5 s; a loaded machine
; gets the rest.
!define QUIT_TIMEOUT_MS 30000
!define SYNCHRONIZE 0x00100000
!define EXIT_STILL_RUNNING 3
!define EXIT_OTHER_USER 4     ; guardnest-repair.exe: started as another user

!include "MUI2.nsh"
!include "FileFunc.nsh"
!include "LogicLib.nsh"
!include "x64.nsh"
!include "WinMessages.nsh"

Name "${APP_NAME} ${VERSION}"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\${APP_NAME}"
InstallDirRegKey HKLM "${UNINST_KEY}" "InstallLocation"
BrandingText "${APP_NAME} ${VERSION}"
VIProductVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "${APP_NAME}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "FileDescription" "${APP_NAME} installer"
VIAddVersionKey "LegalCopyright" "GPL-3.0-or-later"

!define MUI_ABORTWARNING
!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_LICENSE "${LICENSE}"
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

;; Running GuardNest ---------------------------------------------------------
;
; Defined twice, for the installer and (un.) the uninstaller.
!macro GN_RUNNING_FUNCTIONS un
; Puts on the stack the first program file under $INSTDIR that another
; process keeps open (a running .exe or a DLL or module it loaded), or "".
; FileOpen asks for write access: Windows refuses it while a file is mapped
; as a program image (ERROR_SHARING_VIOLATION).
; Uses $0-$3, $R0, $R1.
Function ${un}FindFileInUse
  StrCpy $3 ""
  ${ForEach} $2 0 2 + 1
    ${If} $2 == 0
      FindFirst $0 $1 "$INSTDIR\bin\*.exe"
      StrCpy $R0 "$INSTDIR\bin"
    ${ElseIf} $2 == 1
      FindFirst $0 $1 "$INSTDIR\bin\*.dll"
      StrCpy $R0 "$INSTDIR\bin"
    ${Else}
      FindFirst $0 $1 "$INSTDIR\lib\gio\modules\*.dll"
      StrCpy $R0 "$INSTDIR\lib\gio\modules"
    ${EndIf}
    ${DoWhile} $1 != ""
      ClearErrors
      FileOpen $R1 "$R0\$1" a
      ${If} ${Errors}
        StrCpy $3 "$R0\$1"
        ${Break}
      ${EndIf}
      FileClose $R1
      FindNext $0 $1
    ${Loop}
    FindClose $0
    ${If} $3 != ""
      ${Break}
    ${EndIf}
  ${Next}
  Push $3
FunctionEnd

; Asks every GuardNest running in this session to quit and waits for each;
; then makes sure no program file is in use. Stops the (un)installer with a
; message and exit code EXIT_STILL_RUNNING when one could not be made to
; quit: then nothing has been changed.
Function ${un}QuitRunningGuardNest
  StrCpy $R5 0
  ${Do}
    FindWindow $R0 "${INSTANCE_CLASS}"
    ${If} $R0 == 0
      ${Break}
    ${EndIf}
    IntOp $R5 $R5 + 1
    ${If} $R5 > 32
      StrCpy $R6 "GuardNest keeps starting again while Setup asks it to quit."
      Goto refuse
    ${EndIf}
    StrCpy $R1 0
    System::Call "user32::GetWindowThreadProcessId(p $R0, *i .R1) i"
    System::Call "kernel32::OpenProcess(i ${SYNCHRONIZE}, i 0, i $R1) p .R2"
    DetailPrint "Asking GuardNest (process $R1) to quit..."
    SendMessage $R0 ${WM_CLOSE} 0 0 /TIMEOUT=5000
    ${If} $R2 == 0
      ; Cannot wait on it (another user's process?): look again shortly.
      Sleep 1000
      ${Continue}
    ${EndIf}
    System::Call "kernel32::WaitForSingleObject(p $R2, i ${QUIT_TIMEOUT_MS}) i .R3"
    System::Call "kernel32::CloseHandle(p $R2)"
    ${If} $R3 != 0
      StrCpy $R6 "GuardNest (process $R1) did not quit within 30 seconds."
      Goto refuse
    ${EndIf}
    DetailPrint "GuardNest (process $R1) has quit."
  ${Loop}

  ; The files themselves: a GuardNest of another user, or one without the
  ; quit window, still holds them. A process that just quit may take a
  ; moment to let go.
  ${ForEach} $R5 1 10 + 1
    Call ${un}FindFileInUse
    Pop $R4
    ${If} $R4 == ""
      Return
    ${EndIf}
    Sleep 1000
  ${Next}
  StrCpy $R6 "$R4 is in use by a program that is still running (GuardNest of another user?)."

  refuse:
!if "${un}" == "un."
  StrCpy $R7 "uninstall GuardNest again"
!else
  StrCpy $R7 "run Setup again"
!endif
  DetailPrint "$R6"
  MessageBox MB_ICONSTOP "$R6$\r$\n$\r$\nQuit GuardNest first (its window or tray icon: Quit; for \
    another Windows user, in that user's session), then $R7.$\r$\n$\r$\nNothing was changed." /SD IDOK
  SetErrorLevel ${EXIT_STILL_RUNNING}
  Quit
FunctionEnd
!macroend
!insertmacro GN_RUNNING_FUNCTIONS ""
!insertmacro GN_RUNNING_FUNCTIONS "un."

Section "${APP_NAME}" SecMain
  SectionIn RO
  ; An upgrade: the running GuardNest quits first, or nothing is replaced.
  Call QuitRunningGuardNest
  SetShellVarContext all
  SetOutPath "$INSTDIR"
  File /r "${STAGING}\*.*"

  WriteUninstaller "$INSTDIR\uninstall.exe"
  WriteRegStr HKLM "${UNINST_KEY}" "DisplayName" "${APP_NAME}"
  WriteRegStr HKLM "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINST_KEY}" "Publisher" "The GuardNest developers"
  WriteRegStr HKLM "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINST_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKLM "${UNINST_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINST_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD HKLM "${UNINST_KEY}" "EstimatedSize" $0

  CreateDirectory "$SMPROGRAMS\${APP_NAME}"
!if /FileExists "${STAGING}\bin\guardnest.exe"
  WriteRegStr HKLM "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\bin\guardnest.exe"
  CreateShortcut "$SMPROGRAMS\${APP_NAME}\${APP_NAME}.lnk" "$INSTDIR\bin\guardnest.exe"
!endif
  CreateShortcut "$SMPROGRAMS\${APP_NAME}\Restore proxy settings.lnk" \
    "$INSTDIR\bin\guardnest-repair-gui.exe" "--message-box"
  CreateShortcut "$SMPROGRAMS\${APP_NAME}\Uninstall ${APP_NAME}.lnk" "$INSTDIR\uninstall.exe"

  ; An earlier version that crashed may have left the proxy pointing at
  ; itself: repair now, as the next logon would.
  ExecWait '"$INSTDIR\bin\guardnest-repair.exe" --quiet' $0
  DetailPrint "Proxy repair step finished (exit code $0)."
SectionEnd

; Per user: HKCU, the same value the app's own "Start at login" writes
; (src/platform/gn-autostart-windows.c), so the app shows it and can turn it
; off. Every other user of the machine chooses for themselves in the app.
Section /o "Start with Windows" SecAutostart
!if /FileExists "${STAGING}\bin\guardnest.exe"
  WriteRegStr HKCU "${RUN_KEY}" "${APP_NAME}" '"$INSTDIR\bin\guardnest.exe" --background'
!else
  ; The pure Win32 core's staging, without guardnest.exe (the CI's check of
  ; this script): register the repair step, what a logon start does first.
  WriteRegStr HKCU "${RUN_KEY}" "${APP_NAME}" '"$INSTDIR\bin\guardnest-repair.exe" --quiet'
!endif
SectionEnd

Function .onInit
  ${IfNot} ${RunningX64}
    MessageBox MB_ICONSTOP "${APP_NAME} needs 64-bit Windows." /SD IDOK
    Abort
  ${EndIf}
  SetRegView 64
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/AUTOSTART" $R1
  ${IfNot} ${Errors}
    SectionGetFlags ${SecAutostart} $R2
    IntOp $R2 $R2 | ${SF_SELECTED}
    SectionSetFlags ${SecAutostart} $R2
  ${EndIf}
FunctionEnd

!insertmacro MUI_FUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${SecMain} "The GuardNest app and the proxy repair tool."
  !insertmacro MUI_DESCRIPTION_TEXT ${SecAutostart} "Start GuardNest when you sign in to Windows."
!insertmacro MUI_FUNCTION_DESCRIPTION_END

Function un.onInit
  SetRegView 64
FunctionEnd

Section "Uninstall"
  ; 0. A running GuardNest quits first (restoring the proxy settings
  ;    itself), or nothing is removed.
  Call un.QuitRunningGuardNest

  ; 1. Put the proxy back before anything is removed: the app's own
  ;    --repair-proxy (its JSON journal), then the GTK-free repair tool (its
  ;    journal; also removes the user's autostart and RunOnce entries).
  ;    Whichever finds GuardNest's settings restores them; the other then
  ;    finds nothing to do.
!if /FileExists "${STAGING}\bin\guardnest.exe"
  ExecWait '"$INSTDIR\bin\guardnest.exe" --repair-proxy' $0
  DetailPrint "guardnest --repair-proxy finished (exit code $0)."
!endif
  ${If} ${FileExists} "$INSTDIR\bin\guardnest-repair.exe"
    ExecWait '"$INSTDIR\bin\guardnest-repair.exe" --uninstall' $0
    DetailPrint "Proxy repair step finished (exit code $0)."
    ${If} $0 == 3
      MessageBox MB_ICONSTOP "GuardNest is still running and owns your proxy settings. Quit it, \
        then uninstall GuardNest again.$\r$\n$\r$\nNothing was removed." /SD IDOK
      SetErrorLevel ${EXIT_STILL_RUNNING}
      Quit
    ${ElseIf} $0 == ${EXIT_OTHER_USER}
      ; Elevated with another administrator's password: HKEY_CURRENT_USER is
      ; that administrator's, so the signed-in user's proxy settings could
      ; not be checked (guardnest-repair.exe changed nothing). Removing the
      ; program now could leave that user on a dead 127.0.0.1 proxy with no
      ; repair tool left: stop unless they say they restored it themselves.
      MessageBox MB_YESNO|MB_ICONEXCLAMATION "The uninstaller runs as another Windows user than \
        the one signed in, so it cannot put back the signed-in user's proxy settings.$\r$\n$\r$\n\
        First run $\"Restore proxy settings$\" (Start menu, GuardNest) as the signed-in user, \
        then uninstall again.$\r$\n$\r$\nUninstall anyway?" /SD IDNO IDYES other_user_ok
      SetErrorLevel ${EXIT_OTHER_USER}
      Quit
      other_user_ok:
    ${EndIf}
  ${EndIf}

  ; 2. The program; the user's autostart and repair entries (also when the
  ;    repair tool is gone); the machine-wide Run value that development
  ;    builds of this installer wrote.
  SetShellVarContext all
  DeleteRegValue HKCU "${RUN_KEY}" "${APP_NAME}"
  DeleteRegValue HKCU "${RUNONCE_KEY}" "GuardNestRepair"
  DeleteRegValue HKLM "${RUN_KEY}" "${APP_NAME}"
  Delete "$SMPROGRAMS\${APP_NAME}\*.lnk"
  RMDir "$SMPROGRAMS\${APP_NAME}"
  RMDir /r "$INSTDIR\bin"
  RMDir /r "$INSTDIR\lib"
  RMDir /r "$INSTDIR\share"
  RMDir /r "$INSTDIR\etc"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  DeleteRegKey HKLM "${UNINST_KEY}"

  ; 3. The user's data, only on request: everything GuardNest wrote. GLib
  ;    on Windows: g_get_user_config_dir() and g_get_user_state_dir() are
  ;    %LOCALAPPDATA% (settings.ini, blocklists.json, timed rules, the
  ;    journals; the pure Win32 journal is %LOCALAPPDATA%\GuardNest too,
  ;    the same folder: Windows names are case-insensitive);
  ;    g_get_user_cache_dir() is the Internet cache folder (the downloaded
  ;    lists and the compiled blocklist); GSettings is the registry.
  SetShellVarContext current
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/PURGE" $R1
  ${If} ${Errors}
    MessageBox MB_YESNO|MB_ICONQUESTION \
      "Also remove your GuardNest settings, blocklists and statistics?" \
      /SD IDNO IDNO keep_data
  ${EndIf}
  RMDir /r "$LOCALAPPDATA\GuardNest"
  RMDir /r "$INTERNET_CACHE\guardnest"
  DeleteRegKey HKCU "Software\GSettings\io\github\guardnest"
  keep_data:
SectionEnd
