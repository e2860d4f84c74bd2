/* gn-autostart-windows.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * "Start at login" on Windows (see gn-autostart.h): the value "GuardNest"
 * under HKCU\Software\Microsoft\Windows\CurrentVersion\Run, the running
 * guardnest.exe with --background. Per user, no elevation.
 *
 * Threading: plain functions, any thread.
 */

#include <windows.h>

#include <glib/gi18n.h>

#include "gn-autostart.h"
#include "gn-error.h"

#define RUN_KEY L"Software\\Microsoft\\Windows\\CurrentVersion\\Run"
#define RUN_VALUE L"GuardNest"

gboolean
gn_autostart_get_enabled (void)
{
  return RegGetValueW (HKEY_CURRENT_USER, RUN_KEY, RUN_VALUE, RRF_RT_REG_SZ,
                       NULL, NULL, NULL) == ERROR_SUCCESS;
}

gboolean
gn_autostart_set_enabled (gboolean   enabled,
                          GError   **error)
{
  wchar_t exe[MAX_PATH];
  g_autofree char *exe_utf8 = NULL;
  g_autofree char *command = NULL;
  g_autofree gunichar2 *wcommand = NULL;
  g_autofree char *message = NULL;
  glong n_units = 0;
  HKEY key;
  LSTATUS status;
  DWORD n;

  status = RegCreateKeyExW (HKEY_CURRENT_USER, RUN_KEY, 0, NULL, 0, KEY_SET_VALUE, NULL, &key, NULL);
  if (status != ERROR_SUCCESS)
    {
      message = g_win32_error_message ((gint) status);
      g_set_error (error, GN_ERROR, GN_ERROR_IO,
                   _("GuardNest cannot change what starts at login: %s"), message);
      return FALSE;
    }

  if (!enabled)
    {
      status = RegDeleteValueW (key, RUN_VALUE);
      RegCloseKey (key);
      if (status != ERROR_SUCCESS && status != ERROR_FILE_NOT_FOUND)
        {
          message = g_win32_error_message ((gint) status);
          g_set_error (error, GN_ERROR, GN_ERROR_IO,
                       _("GuardNest could not stop starting at login: %s"), message);
          return FALSE;
        }
      return TRUE;
    }

  n = GetModuleFileNameW (NULL, exe, G_N_ELEMENTS (exe));
  if (n == 0 || n >= G_N_ELEMENTS (exe))
    {
      RegCloseKey (key);
      g_set_error (error, GN_ERROR, GN_ERROR_IO,
                   _("GuardNest cannot start at login: the path of guardnest.exe is too long"));
      return FALSE;
    }
  exe_utf8 = g_utf16_to_utf8 ((const gunichar2 *) exe, n, NULL, NULL, NULL);
  command = g_strdup_printf ("\"%s\" --background", exe_utf8 ? exe_utf8 : "guardnest.exe");
  wcommand = g_utf8_to_utf16 (command, -1, NULL, &n_units, NULL);
  status = RegSetValueExW (key, RUN_VALUE, 0, REG_SZ, (const BYTE *) wcommand,
                           (DWORD) ((n_units + 1) * sizeof (gunichar2)));
  RegCloseKey (key);
  if (status != ERROR_SUCCESS)
    {
      message = g_win32_error_message ((gint) status);
      g_set_error (error, GN_ERROR, GN_ERROR_IO, _("GuardNest cannot start at login: %s"), message);
      return FALSE;
    }
  return TRUE;
}
