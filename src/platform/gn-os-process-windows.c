/* gn-os-process-windows.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * gn-os-process.h on Windows. guardnest.exe is linked for the GUI subsystem
 * (win_subsystem 'windows'), so Windows gives it no console: started from
 * the Start menu there is no black window whose close button would end
 * protection. Started from cmd.exe or PowerShell with --headless, it
 * attaches to that console and reopens stdout/stderr on it, so it can print
 * its status and errors; output redirected to a file or a pipe is left
 * alone. The install is relocatable: the translations are found next to
 * the .exe (<install>\bin\guardnest.exe → <install>\share\locale), never at
 * the build machine's prefix.
 */

#include <stdio.h>
#include <windows.h>

#include "gn-os-process.h"

static gboolean
std_handle_usable (DWORD which)
{
  HANDLE handle = GetStdHandle (which);

  return handle != NULL && handle != INVALID_HANDLE_VALUE &&
         GetFileType (handle) != FILE_TYPE_UNKNOWN;
}

gboolean
gn_os_process_attach_console (void)
{
  gboolean out_ok = std_handle_usable (STD_OUTPUT_HANDLE);
  gboolean err_ok = std_handle_usable (STD_ERROR_HANDLE);

  if (out_ok && err_ok)
    return TRUE;  /* redirected, or already a console */

  if (!AttachConsole (ATTACH_PARENT_PROCESS))
    return FALSE;  /* started from Explorer: nothing to print to */

  if (!out_ok && freopen ("CONOUT$", "w", stdout) != NULL)
    setvbuf (stdout, NULL, _IONBF, 0);
  if (!err_ok && freopen ("CONOUT$", "w", stderr) != NULL)
    setvbuf (stderr, NULL, _IONBF, 0);
  if (!std_handle_usable (STD_INPUT_HANDLE))
    (void) freopen ("CONIN$", "r", stdin);

  return TRUE;
}

char *
gn_os_process_dup_locale_dir (void)
{
  g_autofree char *install = g_win32_get_package_installation_directory_of_module (NULL);

  if (install == NULL)
    return g_strdup (GN_LOCALEDIR);
  return g_build_filename (install, "share", "locale", NULL);
}
