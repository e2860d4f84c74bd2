/* gn-winproxy-protect.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The three transactions the rest of GuardNest uses, in the order that keeps
 * the user online whatever happens:
 *
 *  - enable:  repair a journal left by a crash; snapshot; write the journal;
 *             only then apply ours; then add the RunOnce repair entry.
 *  - disable: per-key compare-and-clear (gn-winproxy-restore.c): every key that
 *             still holds our value gets the user's back, keys another program
 *             changed are kept (the dead-loopback rule may restore "no proxy");
 *             then the journal and the RunOnce entry are deleted. When another
 *             program changed the mode, our values are removed, the user's are
 *             not put back, and the journal is kept as "<journal>.previous".
 *  - repair:  what guardnest-repair.exe and --repair-proxy do at logon or
 *             uninstall: like disable, but never while a running GuardNest owns
 *             the settings (it holds the GN_WP_OWNER_MUTEX named mutex, which
 *             Windows releases when that process dies, however it dies).
 *
 * Threading: stateless; callers serialise transactions (the GLib adapter holds
 * a mutex, the repair tool is single-threaded).
 */
#include "gn-winproxy.h"

#include <stdio.h>
#include <stdlib.h>
#include <wininet.h>

#define RUNONCE_KEY L"Software\\Microsoft\\Windows\\CurrentVersion\\RunOnce"

BOOL
gn_wp_runonce_set (const wchar_t *command, GnWpError *error)
{
  HKEY key;
  LONG rc = RegCreateKeyExW (HKEY_CURRENT_USER, RUNONCE_KEY, 0, NULL, 0, KEY_SET_VALUE,
                             NULL, &key, NULL);

  if (rc == ERROR_SUCCESS)
    {
      rc = RegSetValueExW (key, GN_WP_RUNONCE_VALUE, 0, REG_SZ, (const BYTE *) command,
                           (DWORD) ((wcslen (command) + 1) * sizeof (wchar_t)));
      RegCloseKey (key);
    }
  if (rc != ERROR_SUCCESS)
    {
      gn_wp_set_error (error, (DWORD) rc, L"Could not register the repair step that runs at "
                       L"the next logon (error %ld).", rc);
      return FALSE;
    }
  return TRUE;
}

BOOL
gn_wp_runonce_remove (GnWpError *error)
{
  HKEY key;
  LONG rc = RegOpenKeyExW (HKEY_CURRENT_USER, RUNONCE_KEY, 0, KEY_SET_VALUE, &key);

  if (rc == ERROR_FILE_NOT_FOUND)
    return TRUE;
  if (rc == ERROR_SUCCESS)
    {
      rc = RegDeleteValueW (key, GN_WP_RUNONCE_VALUE);
      RegCloseKey (key);
    }
  if (rc != ERROR_SUCCESS && rc != ERROR_FILE_NOT_FOUND)
    {
      gn_wp_set_error (error, (DWORD) rc, L"Could not remove the logon repair step "
                       L"(error %ld).", rc);
      return FALSE;
    }
  return TRUE;
}

BOOL
gn_wp_runonce_get (wchar_t *command, DWORD command_len)
{
  DWORD size = command_len * sizeof (wchar_t), type;
  LONG rc = RegGetValueW (HKEY_CURRENT_USER, RUNONCE_KEY, GN_WP_RUNONCE_VALUE,
                          RRF_RT_REG_SZ, &type, command, &size);
  return rc == ERROR_SUCCESS;
}

HANDLE
gn_wp_owner_claim (void)
{
  return CreateMutexW (NULL, FALSE, GN_WP_OWNER_MUTEX);
}

BOOL
gn_wp_owner_running (void)
{
  HANDLE mutex = OpenMutexW (SYNCHRONIZE, FALSE, GN_WP_OWNER_MUTEX);

  if (mutex == NULL)
    return FALSE;
  CloseHandle (mutex);
  return TRUE;
}

const wchar_t *
gn_wp_restore_result_describe (GnWpRestoreResult result)
{
  switch (result)
    {
    case GN_WP_RESTORED:
      return L"Your previous proxy settings were restored.";
    case GN_WP_RESTORED_NO_PROXY:
      return L"Your previous proxy pointed at a program on this computer that no longer "
             L"answers, so \"no proxy\" was restored instead.";
    case GN_WP_RESTORED_KEPT_OTHERS:
      return L"Your previous proxy settings were restored where no other program had "
             L"changed them; what another program set while GuardNest was on was kept.";
    case GN_WP_TAKEN_OVER:
      return L"Another program changed the proxy settings (turned the proxy off, or chose "
             L"another one) while GuardNest was on. GuardNest removed its own settings and "
             L"did not put your previous ones back over that choice; they are saved next "
             L"to GuardNest's journal (proxy-journal.txt.previous).";
    case GN_WP_LEFT_ALONE:
      return L"Another program or you changed the proxy settings while GuardNest was on; "
             L"they were left as they are.";
    case GN_WP_NOTHING_TO_DO:
      return L"There were no saved proxy settings to restore.";
    case GN_WP_OWNER_RUNNING:
      return L"GuardNest is running and protecting this computer; nothing was changed.";
    case GN_WP_CLEARED_DEAD_PROXY:
      return L"GuardNest's saved proxy settings were missing or damaged, and the proxy "
             L"pointed at a program on this computer that does not answer, so \"no proxy\" "
             L"was set instead. Set your proxy again in the Windows settings if you use one.";
    case GN_WP_WRONG_USER:
      return L"Nothing was changed: this was started as another user than the one signed "
             L"in (for example with another administrator's password), and would have "
             L"repaired that user's proxy settings instead of yours.";
    case GN_WP_FAILED:
    default:
      return L"Your previous proxy settings could not be restored.";
    }
}

/* Compare-and-clear from the journal at @journal. */
static GnWpRestoreResult
restore_from_journal (const wchar_t *journal, BOOL *unreadable, GnWpLogFunc log,
                      void *log_data, GnWpError *error)
{
  GnWpSnapshot snap;
  GnWpConfig config = { 0 };
  wchar_t *pac_url = NULL, *bypass = NULL;
  unsigned port = 0;
  GnWpRestoreResult result;

  if (!gn_wp_journal_exists (journal))
    return GN_WP_NOTHING_TO_DO;
  if (!gn_wp_journal_read (journal, &port, &pac_url, &bypass, &snap, error))
    {
      if (unreadable != NULL)
        *unreadable = TRUE;
      return GN_WP_FAILED;
    }
  config.port = port;
  config.pac_url = pac_url;
  config.bypass = bypass;

  result = gn_wp_restore_keys (&config, &snap, log, log_data, error);
  if (result == GN_WP_TAKEN_OVER)
    {
      /* The user's settings stay on disk, but not as a journal: the next
       * start or logon repair must not treat them as a crash to undo. */
      wchar_t previous[MAX_PATH + 64];

      if (!gn_wp_journal_previous_path (journal, previous, MAX_PATH + 64)
          || !MoveFileExW (journal, previous,
                           MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH))
        {
          DWORD code = GetLastError ();

          gn_wp_set_error (error, code, L"Could not keep your previous proxy settings "
                           L"(\"%ls\", error %lu).", journal, code);
          result = GN_WP_FAILED;
        }
      else if (log != NULL)
        {
          wchar_t message[GN_WP_MESSAGE_MAX];

          _snwprintf (message, GN_WP_MESSAGE_MAX - 1, L"Your previous proxy settings are "
                      L"saved in \"%ls\".", previous);
          message[GN_WP_MESSAGE_MAX - 1] = L'\0';
          log (message, log_data);
        }
    }
  /* Failed restores keep the journal so the next attempt can retry. */
  else if (result != GN_WP_FAILED && !gn_wp_journal_remove (journal, error))
    result = GN_WP_FAILED;
  gn_wp_snapshot_clear (&snap);
  free (pac_url);
  free (bypass);
  return result;
}

BOOL
gn_wp_enable (const GnWpConfig *config, const wchar_t *journal,
              const wchar_t *repair_command, GnWpLogFunc log, void *log_data,
              GnWpError *error)
{
  GnWpSnapshot snap;
  GnWpError ignored;

  if (config->port == 0 || config->port > 65535)
    {
      gn_wp_set_error (error, ERROR_INVALID_PARAMETER, L"%u is not a valid port.", config->port);
      return FALSE;
    }
  if (!gn_wp_validate_bypass (config->bypass, error))
    return FALSE;

  /* A journal here means a previous session did not finish: put the user's
   * settings back first so the snapshot below is theirs, not ours. */
  if (gn_wp_journal_exists (journal)
      && restore_from_journal (journal, NULL, log, log_data, error) == GN_WP_FAILED)
    return FALSE;

  if (!gn_wp_snapshot (&snap, error))
    return FALSE;
  if (!gn_wp_journal_write (journal, config, &snap, error))
    {
      gn_wp_snapshot_clear (&snap);
      return FALSE;
    }
  if (!gn_wp_apply (config, &snap, log, log_data, error))
    {
      /* Leave the user exactly as they were; the first error is the one to show. */
      if (gn_wp_restore (&snap, FALSE, log, log_data, NULL))
        gn_wp_journal_remove (journal, &ignored);
      gn_wp_snapshot_clear (&snap);
      return FALSE;
    }
  gn_wp_snapshot_clear (&snap);

  if (repair_command != NULL && !gn_wp_runonce_set (repair_command, &ignored) && log)
    log (ignored.message, log_data);
  return TRUE;
}

static GnWpRestoreResult
disable (const wchar_t *journal, BOOL *unreadable, GnWpLogFunc log, void *log_data,
         GnWpError *error)
{
  GnWpRestoreResult result = restore_from_journal (journal, unreadable, log, log_data, error);
  GnWpError ignored;

  if (result != GN_WP_FAILED && !gn_wp_runonce_remove (&ignored) && log)
    log (ignored.message, log_data);
  return result;
}

GnWpRestoreResult
gn_wp_disable (const wchar_t *journal, GnWpLogFunc log, void *log_data, GnWpError *error)
{
  return disable (journal, NULL, log, log_data, error);
}

BOOL
gn_wp_clear_dead_loopback (wchar_t *what, size_t what_len, GnWpLogFunc log, void *log_data,
                           GnWpError *error)
{
  GnWpSnapshot snap;
  const GnWpConnection *lan;
  BOOL cleared = FALSE;

  if (what != NULL && what_len > 0)
    what[0] = L'\0';
  if (!gn_wp_snapshot (&snap, error))
    return FALSE;
  lan = &snap.connections[0];
  /* Port 0 is nobody's: only "does anything answer there" decides. */
  if (gn_wp_snapshot_loopback_dead (&snap, 0))
    {
      if (what != NULL && what_len > 0)
        {
          _snwprintf (what, what_len - 1, L"%ls", lan->server);
          what[what_len - 1] = L'\0';
        }
      cleared = gn_wp_set_connection (NULL, lan->flags & ~(DWORD) PROXY_TYPE_PROXY,
                                      lan->server, lan->bypass, lan->pac_url, log, log_data,
                                      error);
    }
  gn_wp_snapshot_clear (&snap);
  return cleared;
}

/* No usable journal: only the dead-loopback safety net may act. */
static GnWpRestoreResult
repair_without_journal (GnWpRestoreResult otherwise, GnWpLogFunc log, void *log_data,
                        GnWpError *error)
{
  wchar_t what[256];
  GnWpError local = { 0 };

  if (gn_wp_clear_dead_loopback (what, 256, log, log_data, &local))
    {
      gn_wp_log (log, log_data, L"The proxy pointed at %ls, where nothing answers: "
                 L"\"no proxy\" was set instead.", what);
      return GN_WP_CLEARED_DEAD_PROXY;
    }
  if (local.code != 0 && otherwise != GN_WP_FAILED)
    {
      if (error != NULL)
        *error = local;
      return GN_WP_FAILED;
    }
  return otherwise;
}

GnWpRestoreResult
gn_wp_repair (const wchar_t *journal, GnWpLogFunc log, void *log_data, GnWpError *error)
{
  GnWpRestoreResult result;
  BOOL unreadable = FALSE;

  if (gn_wp_owner_running ())
    return GN_WP_OWNER_RUNNING;
  if (!gn_wp_journal_exists (journal))
    return repair_without_journal (GN_WP_NOTHING_TO_DO, log, log_data, error);

  result = disable (journal, &unreadable, log, log_data, error);
  if (result == GN_WP_FAILED && unreadable)
    {
      result = repair_without_journal (GN_WP_FAILED, log, log_data, NULL);
      if (result == GN_WP_CLEARED_DEAD_PROXY)
        {
          /* Otherwise the caller shows this error itself. */
          gn_wp_log (log, log_data, L"%ls", error != NULL ? error->message : L"");
          /* Kept for whoever wants to look, out of the way of the next start. */
          wchar_t damaged[MAX_PATH + 80];

          _snwprintf (damaged, MAX_PATH + 79, L"%ls.damaged", journal);
          damaged[MAX_PATH + 79] = L'\0';
          if (!MoveFileExW (journal, damaged, MOVEFILE_REPLACE_EXISTING))
            DeleteFileW (journal);
          gn_wp_runonce_remove (NULL);
        }
    }
  return result;
}
