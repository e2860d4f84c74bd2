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
 * Without a usable journal (missing or damaged), it still switches off a
 * proxy on this computer that nothing answers on (gn_wp_repair()). Started
 * as another user than the one signed in (installed or uninstalled with
 * another administrator's password), it changes nothing and says why:
 * HKEY_CURRENT_USER would be that administrator's (gn-winproxy-user.c).
 *
 * Built twice from this file: guardnest-repair.exe, a console program for
 * RunOnce, the installer and people at a prompt, and guardnest-repair-gui.exe
 * (GN_REPAIR_GUI, the Windows GUI subsystem: no console window at all) for
 * the Start menu's "Restore proxy settings", which shows the result in a
 * message box (--message-box, the default there).
 *
 * Exit status: 0 restored / nothing to do / left another program's settings
 * alone / switched a dead local proxy off, 1 failed, 2 bad usage, 3 a running
 * GuardNest owns the settings, 4 started as another user (nothing changed).
 *
 * Threading: single-threaded program.
 */
#include "gn-winproxy.h"

#include <stdio.h>
#include <wchar.h>

#define RUN_KEY L"Software\\Microsoft\\Windows\\CurrentVersion\\Run"

#define REPORT_MAX 4096

/* What the run says: printed as it happens and, for the message box,
 * gathered. */
typedef struct {
  BOOL    quiet;
  wchar_t text[REPORT_MAX];
} Report;

static void
say (Report *report, BOOL to_stderr, const wchar_t *line)
{
  size_t used = wcslen (report->text);

  if (!report->quiet || to_stderr)
    {
      fwprintf (to_stderr ? stderr : stdout, L"guardnest-repair: %ls\n", line);
      if (used + wcslen (line) + 3 < REPORT_MAX)
        {
          if (used > 0)
            wcscat (report->text, L"\n\n");
          wcscat (report->text, line);
        }
    }
}

static void
print_log (const wchar_t *message, void *user_data)
{
  say (user_data, FALSE, message);
}

static void
remove_autostart (Report *report)
{
  HKEY key;

  if (RegOpenKeyExW (HKEY_CURRENT_USER, RUN_KEY, 0, KEY_SET_VALUE, &key) == ERROR_SUCCESS)
    {
      if (RegDeleteValueW (key, L"GuardNest") == ERROR_SUCCESS)
        say (report, FALSE, L"Removed the \"start with Windows\" entry.");
      RegCloseKey (key);
    }
}

static int
usage (BOOL message_box)
{
  const wchar_t *text =
    L"Usage: guardnest-repair.exe [--journal PATH] [--uninstall] [--quiet] [--message-box]\n"
    L"Restores your previous proxy settings if GuardNest left them pointing at itself.\n"
    L"--message-box shows the result in a message box.";

  if (message_box)
    MessageBoxW (NULL, text, L"GuardNest", MB_OK | MB_ICONWARNING);
  else
    fwprintf (stderr, L"%ls\n", text);
  return 2;
}

int wmain (int argc, wchar_t **argv);

int
wmain (int argc, wchar_t **argv)
{
  wchar_t journal[MAX_PATH + 64] = L"", me[256], signed_in[256];
#ifdef GN_REPAIR_GUI
  BOOL message_box = TRUE;
#else
  BOOL message_box = FALSE;
#endif
  BOOL uninstall = FALSE;
  static Report report;
  GnWpError error = { 0 };
  GnWpRestoreResult result;
  int status;

  for (int i = 1; i < argc; i++)
    {
      if (wcscmp (argv[i], L"--journal") == 0 && i + 1 < argc)
        {
          if (wcslen (argv[++i]) >= MAX_PATH)
            return usage (message_box);
          wcscpy (journal, argv[i]);
        }
      else if (wcscmp (argv[i], L"--uninstall") == 0)
        uninstall = TRUE;
      else if (wcscmp (argv[i], L"--quiet") == 0)
        report.quiet = TRUE;
      else if (wcscmp (argv[i], L"--message-box") == 0)
        message_box = TRUE;
      else
        return usage (message_box);
    }
  /* A message box is what the user asked to see. */
  if (message_box)
    report.quiet = FALSE;

  if (gn_wp_session_user_check (me, 256, signed_in, 256) == GN_WP_USER_OTHER)
    {
      wchar_t line[1024];

      _snwprintf (line, 1023, L"This was started as %ls, but %ls is signed in.", me, signed_in);
      line[1023] = L'\0';
      say (&report, TRUE, line);
      say (&report, TRUE, gn_wp_restore_result_describe (GN_WP_WRONG_USER));
      say (&report, TRUE, L"Sign in as that user and run \"Restore proxy settings\" from the "
                          L"Start menu, or run the installer or uninstaller from that user's "
                          L"own account.");
      result = GN_WP_WRONG_USER;
      goto done;
    }

  if (journal[0] == L'\0' && !gn_wp_journal_default_path (journal, MAX_PATH + 64))
    {
      say (&report, TRUE, L"LOCALAPPDATA is not set; use --journal PATH.");
      result = GN_WP_FAILED;
      goto done;
    }

  result = gn_wp_repair (journal, print_log, &report, &error);
  say (&report, result == GN_WP_FAILED, gn_wp_restore_result_describe (result));
  if (result == GN_WP_FAILED)
    say (&report, TRUE, error.message);

  if (uninstall && result != GN_WP_OWNER_RUNNING)
    {
      gn_wp_runonce_remove (NULL);
      remove_autostart (&report);
    }

done:
  fflush (stdout);
  fflush (stderr);
  status = result == GN_WP_FAILED ? 1 : result == GN_WP_OWNER_RUNNING ? 3
           : result == GN_WP_WRONG_USER ? 4 : 0;
  if (message_box)
    MessageBoxW (NULL, report.text, L"GuardNest: restore proxy settings",
                 MB_OK | MB_SETFOREGROUND
                 | (status == 0 ? MB_ICONINFORMATION : status == 3 ? MB_ICONWARNING
                                                                   : MB_ICONERROR));
  return status;
}

