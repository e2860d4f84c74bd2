/* gn-winproxy-user.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * "Whose settings would we change?" The proxy settings, the journal
 * (%LOCALAPPDATA%) and the RunOnce entry all belong to the user of the
 * process token (HKEY_CURRENT_USER). A standard user who installs or
 * uninstalls with another administrator's password runs the installer, and
 * the repair tool it starts, as that administrator: repairing then would
 * touch the administrator's settings and leave the signed-in user's
 * pointing at a GuardNest that is gone. So the repair tool compares the
 * token's user with the user signed in to its session, the owner of the
 * shell (explorer.exe, the process behind GetShellWindow()), or, without a
 * shell, the session's user name from WTSQuerySessionInformation, and
 * refuses when they differ.
 *
 * Threading: stateless; callable from any thread.
 */
#include "gn-winproxy.h"

#include <wtsapi32.h>
#include <stdlib.h>
#include <wchar.h>

GnWpUserMatch
gn_wp_user_compare_sids (PSID process_user, PSID session_user)
{
  if (process_user == NULL || session_user == NULL
      || !IsValidSid (process_user) || !IsValidSid (session_user))
    return GN_WP_USER_UNKNOWN;
  return EqualSid (process_user, session_user) ? GN_WP_USER_SAME : GN_WP_USER_OTHER;
}

/* The user SID of a token, malloc'd. */
static PSID
token_user_sid (HANDLE token)
{
  DWORD size = 0;
  TOKEN_USER *tu;
  PSID sid = NULL;

  GetTokenInformation (token, TokenUser, NULL, 0, &size);
  if (size == 0 || (tu = malloc (size)) == NULL)
    return NULL;
  if (GetTokenInformation (token, TokenUser, tu, size, &size))
    {
      DWORD len = GetLengthSid (tu->User.Sid);

      sid = malloc (len);
      if (sid != NULL && !CopySid (len, sid, tu->User.Sid))
        {
          free (sid);
          sid = NULL;
        }
    }
  free (tu);
  return sid;
}

static PSID
process_user_sid (HANDLE process)
{
  HANDLE token;
  PSID sid;

  if (!OpenProcessToken (process, TOKEN_QUERY, &token))
    return NULL;
  sid = token_user_sid (token);
  CloseHandle (token);
  return sid;
}

static PSID
shell_user_sid (void)
{
  HWND shell = GetShellWindow ();
  DWORD pid = 0;
  HANDLE process;
  PSID sid;

  if (shell == NULL || GetWindowThreadProcessId (shell, &pid) == 0 || pid == 0)
    return NULL;
  process = OpenProcess (PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
  if (process == NULL)
    return NULL;
  sid = process_user_sid (process);
  CloseHandle (process);
  return sid;
}

static PSID
wts_user_sid (void)
{
  wchar_t *user = NULL, *domain = NULL, account[512], ref_domain[256];
  DWORD bytes = 0, sid_len = 0, domain_len = 256;
  SID_NAME_USE use;
  PSID sid = NULL;

  if (!WTSQuerySessionInformationW (WTS_CURRENT_SERVER_HANDLE, WTS_CURRENT_SESSION,
                                    WTSUserName, &user, &bytes) || user == NULL || !*user)
    goto out;
  if (WTSQuerySessionInformationW (WTS_CURRENT_SERVER_HANDLE, WTS_CURRENT_SESSION,
                                   WTSDomainName, &domain, &bytes) && domain && *domain)
    _snwprintf (account, 511, L"%ls\\%ls", domain, user);
  else
    _snwprintf (account, 511, L"%ls", user);
  account[511] = L'\0';
  LookupAccountNameW (NULL, account, NULL, &sid_len, ref_domain, &domain_len, &use);
  if (sid_len == 0 || (sid = malloc (sid_len)) == NULL)
    goto out;
  domain_len = 256;
  if (!LookupAccountNameW (NULL, account, sid, &sid_len, ref_domain, &domain_len, &use))
    {
      free (sid);
      sid = NULL;
    }
out:
  if (user != NULL)
    WTSFreeMemory (user);
  if (domain != NULL)
    WTSFreeMemory (domain);
  return sid;
}

void
gn_wp_sid_describe (PSID sid, wchar_t *out, size_t out_len)
{
  wchar_t name[256], domain[256];
  DWORD name_len = 256, domain_len = 256;
  SID_NAME_USE use;

  if (out_len == 0)
    return;
  if (sid != NULL && LookupAccountSidW (NULL, sid, name, &name_len, domain, &domain_len, &use))
    _snwprintf (out, out_len - 1, L"%ls%ls%ls", domain, *domain ? L"\\" : L"", name);
  else
    _snwprintf (out, out_len - 1, L"(unknown user)");
  out[out_len - 1] = L'\0';
}

GnWpUserMatch
gn_wp_session_user_check (wchar_t *process_name, size_t process_len,
                          wchar_t *session_name, size_t session_len)
{
  PSID me = process_user_sid (GetCurrentProcess ());
  PSID session = shell_user_sid ();
  GnWpUserMatch match;

  if (session == NULL)
    session = wts_user_sid ();
  match = gn_wp_user_compare_sids (me, session);
  if (process_name != NULL)
    gn_wp_sid_describe (me, process_name, process_len);
  if (session_name != NULL)
    gn_wp_sid_describe (session, session_name, session_len);
  free (me);
  free (session);
  return match;
}
