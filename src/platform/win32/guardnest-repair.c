/* guardnest-repair.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * guardnest-repair.exe: puts the user's proxy settings back from the journal
 * if they still point at GuardNest and no GuardNest owns them, then exits. It
 * is what the RunOnce entry runs at the next logon after a crash or power
 * loss, and what the uninstaller runs first (with --uninstall it also removes
 * the user's autostart and RunOnce entries). Pure Win32 so it
 * starts even when the GTK runtime next to it is damaged.
 *
 * Exit status: 0 restored / nothing to do / left another program's settings
 * alone, 1 failed, 2 bad usage, 3 a running GuardNest owns the settings.
 *
 * Threading: single-threaded console program.
 */
#include "gn-winproxy.h"

#include <stdio.h>
#include <wchar.h>

#define RUN_KEY L"Software\\Microsoft\\Windows\\CurrentVersion\\Run"

static void
print_log (const wchar_t *message, void *user_data)
{
  BOOL quiet = *(BOOL *) user_data;

  if (!quiet)
    wprintf (L"guardnest-repair: %ls\n", message);
}

static void
remove_autostart (BOOL quiet)
{
  HKEY key;

  if (RegOpenKeyExW (HKEY_CURRENT_USER, RUN_KEY, 0, KEY_SET_VALUE, &key) == ERROR_SUCCESS)
    {
      if (RegDeleteValueW (key, L"GuardNest") == ERROR_SUCCESS && !quiet)
        wprintf (L"guardnest-repair: removed the \"start with Windows\" entry.\n");
      RegCloseKey (key);
    }
}

static int
usage (void)
{
  fwprintf (stderr, L"Usage: guardnest-repair.exe [--journal PATH] [--uninstall] [--quiet]\n"
                    L"Restores your previous proxy settings if GuardNest left them pointing at "
                    L"itself.\n");
  return 2;
}

int wmain (int argc, wchar_t **argv);

int
wmain (int argc, wchar_t **argv)
{
  wchar_t journal[MAX_PATH + 64] = L"";
  BOOL uninstall = FALSE, quiet = FALSE;
  GnWpError error = { 0 };
  GnWpRestoreResult result;

  for (int i = 1; i < argc; i++)
    {
      if (wcscmp (argv[i], L"--journal") == 0 && i + 1 < argc)
        {
          if (wcslen (argv[++i]) >= MAX_PATH)
            return usage ();
          wcscpy (journal, argv[i]);
        }
      else if (wcscmp (argv[i], L"--uninstall") == 0)
        uninstall = TRUE;
      else if (wcscmp (argv[i], L"--quiet") == 0)
        quiet = TRUE;
      else
        return usage ();
    }
  if (journal[0] == L'\0' && !gn_wp_journal_default_path (journal, MAX_PATH + 64))
    {
      fwprintf (stderr, L"guardnest-repair: LOCALAPPDATA is not set; use --journal PATH.\n");
      return 1;
    }

  result = gn_wp_repair (journal, print_log, &quiet, &error);
  if (!quiet || result == GN_WP_FAILED)
    wprintf (L"guardnest-repair: %ls\n", gn_wp_restore_result_describe (result));
  if (result == GN_WP_FAILED)
    fwprintf (stderr, L"guardnest-repair: %ls\n", error.message);

  if (uninstall && result != GN_WP_OWNER_RUNNING)
    {
      gn_wp_runonce_remove (NULL);
      remove_autostart (quiet);
    }
  fflush (stdout);

  switch (result)
    {
    case GN_WP_FAILED:
      return 1;
    case GN_WP_OWNER_RUNNING:
      return 3;
    case GN_WP_RESTORED:
    case GN_WP_RESTORED_NO_PROXY:
    case GN_WP_RESTORED_KEPT_OTHERS:
    case GN_WP_TAKEN_OVER:
    case GN_WP_LEFT_ALONE:
    case GN_WP_NOTHING_TO_DO:
    default:
      return 0;
    }
}
