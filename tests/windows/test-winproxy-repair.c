/* test-winproxy-repair.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The repair paths of the Windows proxy core, part of test-winproxy.exe
 * (see test-winproxy.c): guardnest-repair.exe without a usable journal
 * (missing or damaged) with a dead or a live local proxy, whose settings a
 * process would change (the token's user against the signed-in user), the
 * GUI-subsystem guardnest-repair-gui.exe and its message box, a cancelled
 * sign-out (WM_QUERYENDSESSION then WM_ENDSESSION FALSE) re-applying, and
 * the GLib adapter's per-key turn-off against what it really wrote.
 *
 * Threading: main thread; the session window calls back on its own thread.
 */
#include "test-winproxy.h"

/* ---- a cancelled sign-out: WM_QUERYENDSESSION, then WM_ENDSESSION(FALSE) ---- */

typedef struct {
  GnWpRestoreResult restored;
  BOOL              reapplied;
  LONG              cancels;
} CancelData;

static void
on_end_session_restore (void *user_data)
{
  CancelData *d = user_data;
  GnWpError error;

  d->restored = gn_wp_disable (journal_path, NULL, NULL, &error);
}

/* What the GLib adapter does: point the settings at us again, journal first. */
static void
on_end_session_cancelled (void *user_data)
{
  CancelData *d = user_data;
  GnWpConfig config = { OUR_PORT, NULL, NULL };
  GnWpError error;

  InterlockedIncrement (&d->cancels);
  d->reapplied = gn_wp_enable (&config, journal_path, L"x", NULL, NULL, &error);
}

void
test_session_window_cancelled (void)
{
  GnWpConfig config = { OUR_PORT, NULL, NULL };
  GnWpError error = { 0 };
  CancelData d = { GN_WP_FAILED, FALSE, 0 };
  GnWpSessionWindow *win;
  HWND hwnd;
  BOOL restored_between, ours_after, journal_after;
  State s;

  set_start (START_MANUAL, CORP_SERVER);
  CHECK (gn_wp_enable (&config, journal_path, L"x", NULL, NULL, &error));
  win = gn_wp_session_window_start (on_end_session_restore, on_end_session_cancelled, &d,
                                    &error);
  CHECK (win != NULL);
  hwnd = gn_wp_session_window_hwnd (win);
  /* A WM_ENDSESSION(FALSE) with nothing restored re-applies nothing. */
  SendMessageW (hwnd, WM_ENDSESSION, FALSE, 0);
  CHECK (d.cancels == 0);
  SendMessageW (hwnd, WM_QUERYENDSESSION, 0, ENDSESSION_LOGOFF);
  state_read (&s);
  restored_between = str_eq (s.values.server, CORP_SERVER) && !gn_wp_points_at_us (&config);
  state_clear (&s);
  /* An application refused, or the user chose to stay: cancelled. */
  SendMessageW (hwnd, WM_ENDSESSION, FALSE, ENDSESSION_LOGOFF);
  ours_after = gn_wp_points_at_us (&config);
  journal_after = gn_wp_journal_exists (journal_path);
  /* And the next real sign-out restores again. */
  SendMessageW (hwnd, WM_QUERYENDSESSION, 0, ENDSESSION_LOGOFF);
  SendMessageW (hwnd, WM_ENDSESSION, TRUE, ENDSESSION_LOGOFF);
  gn_wp_session_window_stop (win);
  CHECK (d.restored == GN_WP_RESTORED && restored_between);
  CHECK (d.cancels == 1 && d.reapplied);
  CHECK (ours_after && journal_after);
  CHECK (!gn_wp_points_at_us (&config) && !gn_wp_journal_exists (journal_path));
  state_read (&s);
  CHECK (str_eq (s.values.server, CORP_SERVER) && s.values.enable == 1);
  state_clear (&s);
}

/* ---- the repair tool without a usable journal: dead local proxy ---- */

/* Runs the repair tool with @extra, its output (stdout and stderr) in @out. */
static DWORD
run_repair_output (const wchar_t *extra, char *out, DWORD out_len)
{
  wchar_t cmd[2048];
  STARTUPINFOW si = { sizeof si };
  PROCESS_INFORMATION pi;
  SECURITY_ATTRIBUTES sa = { sizeof sa, NULL, TRUE };
  HANDLE rd, wr;
  DWORD code = 0xdead, got, used = 0;

  out[0] = '\0';
  if (!CreatePipe (&rd, &wr, &sa, 0))
    return 0xdead;
  SetHandleInformation (rd, HANDLE_FLAG_INHERIT, 0);
  si.dwFlags = STARTF_USESTDHANDLES;
  si.hStdOutput = wr;
  si.hStdError = wr;
  si.hStdInput = GetStdHandle (STD_INPUT_HANDLE);
  _snwprintf (cmd, 2048, L"\"%ls\" --journal \"%ls\" %ls", repair_tool, journal_path, extra);
  cmd[2047] = L'\0';
  if (!CreateProcessW (NULL, cmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi))
    {
      CloseHandle (rd);
      CloseHandle (wr);
      return 0xdead;
    }
  CloseHandle (wr);
  while (used + 1 < out_len && ReadFile (rd, out + used, out_len - 1 - used, &got, NULL)
         && got > 0)
    used += got;
  out[used] = '\0';
  CloseHandle (rd);
  if (WaitForSingleObject (pi.hProcess, 30000) == WAIT_OBJECT_0)
    GetExitCodeProcess (pi.hProcess, &code);
  CloseHandle (pi.hProcess);
  CloseHandle (pi.hThread);
  for (char *p = out; *p; p++)
    if (*p == '\r' || *p == '\n')
      *p = ' ';
  printf ("# repair tool (exit %lu): %s\n", code, out);
  return code;
}

typedef enum { JOURNAL_MISSING, JOURNAL_DAMAGED } JournalCase;

/* A crash left the proxy at 127.0.0.1:PORT, and the journal is gone or
 * cut short: with nothing listening there the repair tool sets "no proxy"
 * and says so; with something listening (a GuardNest that runs) it leaves
 * the settings alone. */
static void
repair_without_journal (JournalCase journal, BOOL alive)
{
  SOCKET s = INVALID_SOCKET;
  unsigned port = loopback_listener (&s);
  wchar_t server[32], damaged[MAX_PATH + 80];
  char out[8192];
  DWORD code;
  State st;

  CHECK (port != 0);
  if (!alive)
    closesocket (s);
  _snwprintf (server, 32, L"127.0.0.1:%u", port);
  set_start (START_NONE, NULL);
  CHECK (gn_wp_set_connection (NULL, PROXY_TYPE_DIRECT | PROXY_TYPE_PROXY, server,
                               GN_WP_DEFAULT_BYPASS, NULL, NULL, NULL, NULL));
  _snwprintf (damaged, MAX_PATH + 80, L"%ls.damaged", journal_path);
  damaged[MAX_PATH + 79] = L'\0';
  DeleteFileW (damaged);
  if (journal == JOURNAL_DAMAGED)
    {
      HANDLE f = CreateFileW (journal_path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
      DWORD written;

      CHECK (f != INVALID_HANDLE_VALUE);
      WriteFile (f, "GuardNest proxy journal 1\nport 30", 33, &written, NULL);   /* cut short */
      CloseHandle (f);
    }
  code = run_repair_output (L"", out, sizeof out);
  if (alive)
    closesocket (s);
  state_read (&st);
  if (alive)
    {
      /* Untouched: a damaged journal is a failure (kept for the next try). */
      CHECK (code == (journal == JOURNAL_DAMAGED ? 1u : 0u));
      CHECK (st.values.enable == 1 && str_eq (st.values.server, server));
      CHECK ((st.wininet_flags & PROXY_TYPE_PROXY) != 0);
      CHECK (journal == JOURNAL_MISSING || gn_wp_journal_exists (journal_path));
    }
  else
    {
      CHECK (code == 0);
      CHECK (strstr (out, "\"no proxy\" was set instead") != NULL);
      CHECK (strstr (out, "127.0.0.1:") != NULL);
      CHECK (st.values.enable == 0 && str_eq (st.values.server, server));
      CHECK (st.have_blob && !(st.blob.flags & PROXY_TYPE_PROXY));
      CHECK (!(st.wininet_flags & PROXY_TYPE_PROXY));
      /* The damaged journal is out of the way of the next start, kept. */
      CHECK (!gn_wp_journal_exists (journal_path));
      CHECK (journal == JOURNAL_MISSING
             || GetFileAttributesW (damaged) != INVALID_FILE_ATTRIBUTES);
    }
  state_clear (&st);
  DeleteFileW (journal_path);
  DeleteFileW (damaged);
}

void test_repair_missing_dead (void) { repair_without_journal (JOURNAL_MISSING, FALSE); }
void test_repair_missing_live (void) { repair_without_journal (JOURNAL_MISSING, TRUE); }
void test_repair_damaged_dead (void) { repair_without_journal (JOURNAL_DAMAGED, FALSE); }
void test_repair_damaged_live (void) { repair_without_journal (JOURNAL_DAMAGED, TRUE); }

/* ---- whose settings: the token's user against the signed-in user ---- */

void
test_user_check (void)
{
  HANDLE token;
  BYTE buf[256], system_sid[SECURITY_MAX_SID_SIZE];
  DWORD size = sizeof buf, system_len = sizeof system_sid;
  PSID me;
  wchar_t process_name[256], session_name[256];
  GnWpUserMatch match;

  CHECK (OpenProcessToken (GetCurrentProcess (), TOKEN_QUERY, &token));
  CHECK (GetTokenInformation (token, TokenUser, buf, size, &size));
  CloseHandle (token);
  me = ((TOKEN_USER *) buf)->User.Sid;
  CHECK (CreateWellKnownSid (WinLocalSystemSid, NULL, system_sid, &system_len));
  /* The decision: same user goes ahead, another user (an administrator's
   * token, here LocalSystem's SID standing for it) is refused, no one to
   * compare with goes ahead. */
  CHECK (gn_wp_user_compare_sids (me, me) == GN_WP_USER_SAME);
  CHECK (gn_wp_user_compare_sids (me, system_sid) == GN_WP_USER_OTHER);
  CHECK (gn_wp_user_compare_sids (system_sid, me) == GN_WP_USER_OTHER);
  CHECK (gn_wp_user_compare_sids (me, NULL) == GN_WP_USER_UNKNOWN);
  /* Here the test runs as the signed-in user: never refused. */
  match = gn_wp_session_user_check (process_name, 256, session_name, 256);
  printf ("# process user %ls, signed-in user %ls: %s\n", process_name, session_name,
          match == GN_WP_USER_SAME ? "same" : match == GN_WP_USER_OTHER ? "OTHER" : "unknown");
  CHECK (match != GN_WP_USER_OTHER);
}

/* ---- the Start menu's "Restore proxy settings": a message box ---- */

typedef struct {
  DWORD pid;
  HWND  box;
} FindBox;

static BOOL CALLBACK
find_box (HWND hwnd, LPARAM data)
{
  FindBox *f = (FindBox *) data;
  DWORD pid = 0;
  wchar_t cls[64];

  GetWindowThreadProcessId (hwnd, &pid);
  if (pid == f->pid && GetClassNameW (hwnd, cls, 64) && wcscmp (cls, L"#32770") == 0)
    {
      f->box = hwnd;
      return FALSE;
    }
  return TRUE;
}

static BOOL CALLBACK
box_text (HWND child, LPARAM data)
{
  wchar_t *text = (wchar_t *) data, cls[64], part[2048];

  if (GetClassNameW (child, cls, 64) && _wcsicmp (cls, L"Static") == 0
      && GetWindowTextW (child, part, 2048) > 0 && wcslen (text) + wcslen (part) < 4000)
    wcscat (text, part);
  return TRUE;
}

static WORD
pe_subsystem (const wchar_t *path)
{
  HANDLE f = CreateFileW (path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
  BYTE head[1024];
  DWORD got = 0, pe;
  WORD subsystem = 0;

  if (f == INVALID_HANDLE_VALUE)
    return 0;
  if (ReadFile (f, head, sizeof head, &got, NULL) && got == sizeof head)
    {
      memcpy (&pe, head + 0x3c, 4);
      /* PE signature, file header (20 bytes), then the optional header,
       * whose Subsystem field is at offset 68. */
      if (pe + 24 + 70 <= sizeof head && memcmp (head + pe, "PE\0\0", 4) == 0)
        memcpy (&subsystem, head + pe + 24 + 68, 2);
    }
  CloseHandle (f);
  return subsystem;
}

void
test_message_box (void)
{
  GnWpConfig config = { OUR_PORT, NULL, NULL };
  GnWpError error = { 0 };
  wchar_t gui[MAX_PATH], cmd[2048], text[4096] = L"";
  STARTUPINFOW si = { sizeof si };
  PROCESS_INFORMATION pi;
  FindBox f = { 0, NULL };
  DWORD code = 0xdead;
  State s;

  wcscpy (gui, repair_tool);
  {
    wchar_t *dot = wcsrchr (gui, L'.');
    CHECK (dot != NULL && (size_t) (dot - gui) + 16 < MAX_PATH);
    wcscpy (dot, L"-gui.exe");
  }
  /* The Windows GUI subsystem: Windows opens no console window for it. */
  CHECK (pe_subsystem (gui) == IMAGE_SUBSYSTEM_WINDOWS_GUI);
  CHECK (pe_subsystem (repair_tool) == IMAGE_SUBSYSTEM_WINDOWS_CUI);

  set_start (START_MANUAL, CORP_SERVER);
  CHECK (gn_wp_enable (&config, journal_path, L"x", NULL, NULL, &error));   /* then a crash */
  _snwprintf (cmd, 2048, L"\"%ls\" --message-box --journal \"%ls\"", gui, journal_path);
  cmd[2047] = L'\0';
  CHECK (CreateProcessW (NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi));
  f.pid = pi.dwProcessId;
  for (int i = 0; i < 200 && f.box == NULL; i++)
    {
      Sleep (100);
      EnumWindows (find_box, (LPARAM) &f);
    }
  /* The text, once the box has it all (it may still be filling in). */
  for (int i = 0; f.box != NULL && i < 100; i++)
    {
      text[0] = L'\0';
      EnumChildWindows (f.box, box_text, (LPARAM) text);
      if (wcsstr (text, L"restored") != NULL)
        break;
      Sleep (100);
    }
  if (f.box != NULL)
    {
      printf ("# message box: %ls\n", text);
      /* Still waiting for the user: the OK button ends it. */
      if (WaitForSingleObject (pi.hProcess, 0) != WAIT_TIMEOUT)
        f.box = NULL;
      else
        PostMessageW (f.box, WM_COMMAND, IDOK, 0);
    }
  if (WaitForSingleObject (pi.hProcess, 30000) == WAIT_OBJECT_0)
    GetExitCodeProcess (pi.hProcess, &code);
  else
    TerminateProcess (pi.hProcess, 9);
  CloseHandle (pi.hProcess);
  CloseHandle (pi.hThread);
  CHECK (f.box != NULL);
  CHECK (wcsstr (text, L"Your previous proxy settings were restored.") != NULL);
  CHECK (code == 0);
  state_read (&s);
  CHECK (str_eq (s.values.server, CORP_SERVER) && s.values.enable == 1);
  state_clear (&s);
  CHECK (!gn_wp_journal_exists (journal_path));
}

/* ---- the adapter's turn-off: per key, against what it really wrote ---- */

/* The GLib adapter writes ours with gn_wp_set_connection() (every blob
 * string, no PAC URL) and restores with gn_wp_restore_keys_written(). */
static void
adapter_turn_off (BOOL other_changes_override)
{
  GnWpSnapshot user, written = { 0 };
  GnWpConfig config = { OUR_PORT, GN_WP_DEFAULT_BYPASS L";*.corp.example", NULL };
  GnWpError error = { 0 };
  wchar_t kept[256];
  GnWpRestoreResult r;
  State before, after;
  BOOL equal;

  set_start (START_MANUAL, CORP_SERVER);
  /* A PAC URL kept (unused) in the blob: apply keeps it, set_connection
   * clears it; the restore must know which one wrote. */
  write_start_blob (PROXY_TYPE_DIRECT | PROXY_TYPE_PROXY, "corp-proxy.example:8080",
                    "*.corp.example;intranet;<local>", "http://old.example/x.pac");
  state_read (&before);
  CHECK (gn_wp_snapshot (&user, &error));
  CHECK (gn_wp_set_connection (NULL, PROXY_TYPE_DIRECT | PROXY_TYPE_PROXY, L"127.0.0.1:3000",
                               config.bypass, NULL, NULL, NULL, &error));
  written.n_connections = 1;
  written.connections[0].flags = PROXY_TYPE_DIRECT | PROXY_TYPE_PROXY;
  written.connections[0].server = gn_wp_wcsdup (L"127.0.0.1:3000");
  written.connections[0].bypass = gn_wp_wcsdup (config.bypass);
  written.values.has_enable = TRUE;
  written.values.enable = 1;
  written.values.server = gn_wp_wcsdup (L"127.0.0.1:3000");
  written.values.override = gn_wp_wcsdup (config.bypass);
  user.n_connections = 1;   /* the LAN; RAS entries (none under Wine) alike */
  if (other_changes_override)
    set_reg_string (L"ProxyOverride", L"*.other.example");
  r = gn_wp_restore_keys_written (&config, &user, &written, kept, 256, log_to_tap, NULL,
                                  &error);
  gn_wp_snapshot_clear (&user);
  gn_wp_snapshot_clear (&written);
  state_read (&after);
  if (other_changes_override)
    {
      CHECK (r == GN_WP_RESTORED_KEPT_OTHERS);
      CHECK (wcsstr (kept, L"ProxyOverride") != NULL && wcsstr (kept, L"ProxyServer") == NULL);
      /* Still ours: back to the user's. Changed by the other program: kept. */
      CHECK (str_eq (after.values.server, CORP_SERVER) && after.values.enable == 1);
      CHECK (str_eq (after.values.override, L"*.other.example"));
      CHECK (after.have_blob && blob_str_eq (after.blob.bypass, after.blob.bypass_len,
                                             "*.other.example"));
      CHECK (blob_str_eq (after.blob.server, after.blob.server_len, "corp-proxy.example:8080"));
      CHECK (blob_str_eq (after.blob.pac_url, after.blob.pac_url_len,
                          "http://old.example/x.pac"));
    }
  else
    {
      equal = state_equal (&before, &after);
      if (!equal)
        {
          state_print ("before", &before);
          state_print ("after", &after);
        }
      CHECK (r == GN_WP_RESTORED && kept[0] == L'\0');
      CHECK (equal);
    }
  state_clear (&before);
  state_clear (&after);
}

void test_adapter_turn_off (void) { adapter_turn_off (FALSE); }
void test_adapter_turn_off_kept (void) { adapter_turn_off (TRUE); }

/* For the shell checks: the session messages Windows sends at a sign-out. */
int
session_message (const wchar_t *what)
{
  HWND hwnd = NULL;
  int sent = 0;

  while ((hwnd = FindWindowExW (NULL, hwnd, L"GuardNestSessionWindow", NULL)) != NULL)
    {
      DWORD_PTR answer = 0;

      if (wcscmp (what, L"query") == 0)
        SendMessageTimeoutW (hwnd, WM_QUERYENDSESSION, 0, ENDSESSION_LOGOFF, SMTO_NORMAL,
                             10000, &answer);
      else
        SendMessageTimeoutW (hwnd, WM_ENDSESSION, wcscmp (what, L"end") == 0,
                             ENDSESSION_LOGOFF, SMTO_NORMAL, 10000, &answer);
      sent++;
    }
  printf ("sent %ls to %d session window(s)\n", what, sent);
  return sent > 0 ? 0 : 1;
}
