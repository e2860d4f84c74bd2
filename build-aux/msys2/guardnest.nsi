; guardnest.nsi
;
; SPDX-License-Identifier: GPL-3.0-or-later
;
; The GuardNest installer for 64-bit Windows. Installs a staging folder (the
; meson install plus the GTK runtime gathered by build-installer.sh) into
; Program Files. The uninstaller FIRST runs guardnest.exe --repair-proxy (when
; the app is in the package) and guardnest-repair.exe --uninstall, which put
; the user's proxy settings back if GuardNest still owns them and
; removes the firewall rule and the autostart / RunOnce entries, so removing
; the app can never leave Windows pointing at a proxy that is gone.
;
; Defines (makensis /D...):
;   VERSION   version from meson (required)
;   STAGING   folder to install (required), laid out as bin\, lib\, share\
;   OUTFILE   installer path (default guardnest-VERSION-setup.exe)
;   LICENSE   license text shown by the installer (default STAGING\share\doc\guardnest\COPYING)
;
; Command line: /S silent; /AUTOSTART selects "Start with Windows"; the
; uninstaller's /PURGE also removes the user's settings and blocklists
; (without it a silent uninstall keeps them).

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

!include "MUI2.nsh"
!include "FileFunc.nsh"
!include "LogicLib.nsh"
!include "x64.nsh"

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

Section "${APP_NAME}" SecMain
  SectionIn RO
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

Section /o "Start with Windows" SecAutostart
!if /FileExists "${STAGING}\bin\guardnest.exe"
  WriteRegStr HKLM "${RUN_KEY}" "${APP_NAME}" '"$INSTDIR\bin\guardnest.exe"'
!else
  ; Cross-built staging without the GTK app: register the repair step, which
  ; is what a logon start must do first anyway.
  WriteRegStr HKLM "${RUN_KEY}" "${APP_NAME}" '"$INSTDIR\bin\guardnest-repair.exe" --quiet'
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
  ; 1. Put the proxy back before anything is removed: the app's own
  ;    --repair-proxy (its JSON journal), then the GTK-free repair tool (its
  ;    journal; also removes the firewall rule and the per-user autostart
  ;    and RunOnce entries). Whichever finds GuardNest's settings restores
  ;    them; the other then finds nothing to do.
!if /FileExists "${STAGING}\bin\guardnest.exe"
  ExecWait '"$INSTDIR\bin\guardnest.exe" --repair-proxy' $0
  DetailPrint "guardnest --repair-proxy finished (exit code $0)."
!endif
  ${If} ${FileExists} "$INSTDIR\bin\guardnest-repair.exe"
    ExecWait '"$INSTDIR\bin\guardnest-repair.exe" --uninstall' $0
    DetailPrint "Proxy repair step finished (exit code $0)."
    ${If} $0 == 3
      MessageBox MB_ICONEXCLAMATION "GuardNest is still running. Quit it, then uninstall again." /SD IDOK
      Abort
    ${EndIf}
  ${EndIf}

  ; 2. The program.
  SetShellVarContext all
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

  ; 3. The user's data, only on request.
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
  DeleteRegKey HKCU "Software\GSettings\io\github\guardnest"
  keep_data:
SectionEnd
