/* test-winproxy.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Round trips of the Windows proxy core (src/platform/win32), run natively on
 * Windows and under Wine on Linux CI. A plain Win32 console program printing
 * TAP, because the core it tests is plain Win32 (no mingw GLib on Debian).
 *
 * Every check reads the real registry of the current user: the
 * "Internet Settings" values and the parsed DefaultConnectionSettings blob
 * (Wine's WinINet drops the bypass list, the PAC URL and the DIRECT flag, so
 * the registry is where what was applied can be seen), plus the journal file,
 * the RunOnce value and, for the crash test, a child process killed with
 * TerminateProcess followed by the real guardnest-repair.exe.
 *
 * Usage: test-winproxy.exe [--repair-tool PATH]   (default: next to this exe)
 *        test-winproxy.exe --hold JOURNAL EVENT   (internal: crash-test child)
 *        test-winproxy.exe --session-message query|cancel|end
 *            (for the shell checks: sends WM_QUERYENDSESSION, WM_ENDSESSION
 *            FALSE or TRUE to every GuardNest session window, as Windows
 *            does at a sign-out and at its cancellation)
 *
 * Threading: tests run one after another on the main thread; the watch and
 * session-window tests receive callbacks on the core's worker threads.
 */
#include "test-winproxy.h"

#include <wininet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

wchar_t journal_path[MAX_PATH];
wchar_t repair_tool[MAX_PATH];
BOOL test_failed;

/* ---- the user-visible state: registry values + parsed blob + WinINet ---- */


void
state_read (State *s)
{
  INTERNET_PER_CONN_OPTIONW opts[2];
  INTERNET_PER_CONN_OPTION_LISTW list = { sizeof list, NULL, 2, 0, opts };
  DWORD size = sizeof list;

  memset (s, 0, sizeof *s);
  gn_wp_registry_read (&s->values);
  if (gn_wp_blob_read (NULL, &s->raw, &s->raw_len))
    s->have_blob = gn_wp_blob_parse (s->raw, s->raw_len, &s->blob);
  memset (opts, 0, sizeof opts);
  opts[0].dwOption = INTERNET_PER_CONN_FLAGS;
  opts[1].dwOption = INTERNET_PER_CONN_PROXY_SERVER;
  if (InternetQueryOptionW (NULL, INTERNET_OPTION_PER_CONNECTION_OPTION, &list, &size))
    {
      s->wininet_flags = opts[0].Value.dwValue;
      s->wininet_server = gn_wp_wcsdup (opts[1].Value.pszValue);
      if (opts[1].Value.pszValue)
        GlobalFree (opts[1].Value.pszValue);
    }
}

void
state_clear (State *s)
{
  gn_wp_registry_values_clear (&s->values);
  free (s->raw);
  free (s->wininet_server);
  memset (s, 0, sizeof *s);
}

BOOL
str_eq (const wchar_t *a, const wchar_t *b)
{
  return (a == NULL || b == NULL) ? a == b : wcscmp (a, b) == 0;
}

BOOL
bytes_eq (const char *a, DWORD al, const char *b, DWORD bl)
{
  return al == bl && (al == 0 || memcmp (a, b, al) == 0);
}

BOOL
blob_str_eq (const char *s, DWORD len, const char *expected)
{
  return bytes_eq (s, len, expected, (DWORD) strlen (expected));
}

/* Equal in everything a user or program could see; the blob's change
 * counter is meant to move. */
BOOL
state_equal (const State *a, const State *b)
{
  if (a->values.has_enable != b->values.has_enable
      || (a->values.has_enable && a->values.enable != b->values.enable)
      || !str_eq (a->values.server, b->values.server)
      || !str_eq (a->values.override, b->values.override)
      || !str_eq (a->values.autoconfig, b->values.autoconfig)
      || a->have_blob != b->have_blob
      || (a->wininet_flags & PROXY_TYPE_PROXY) != (b->wininet_flags & PROXY_TYPE_PROXY))
    return FALSE;
  if ((a->wininet_flags & PROXY_TYPE_PROXY) && !str_eq (a->wininet_server, b->wininet_server))
    return FALSE;
  if (!a->have_blob)
    return TRUE;
  return a->blob.version == b->blob.version && a->blob.flags == b->blob.flags
         && bytes_eq (a->blob.server, a->blob.server_len, b->blob.server, b->blob.server_len)
         && bytes_eq (a->blob.bypass, a->blob.bypass_len, b->blob.bypass, b->blob.bypass_len)
         && bytes_eq (a->blob.pac_url, a->blob.pac_url_len, b->blob.pac_url, b->blob.pac_url_len)
         && bytes_eq ((const char *) a->blob.tail, a->blob.tail_len,
                      (const char *) b->blob.tail, b->blob.tail_len);
}

void
state_print (const char *label, const State *s)
{
  printf ("# %s: ProxyEnable=%s%lu ProxyServer=%ls ProxyOverride=%ls AutoConfigURL=%ls "
          "blob=%s flags=%lu wininet=%lu/%ls\n", label, s->values.has_enable ? "" : "(absent)",
          s->values.enable, s->values.server ? s->values.server : L"(absent)",
          s->values.override ? s->values.override : L"(absent)",
          s->values.autoconfig ? s->values.autoconfig : L"(absent)",
          s->have_blob ? "yes" : "no", s->have_blob ? s->blob.flags : 0,
          s->wininet_flags, s->wininet_server ? s->wininet_server : L"(null)");
}

/* ---- starting states, written the way Windows stores them ---- */

void
write_start_blob (DWORD flags, const char *server, const char *bypass, const char *pac)
{
  /* A tail that is not all zeros proves that restore keeps it byte for byte. */
  static const BYTE tail[32] = { 1, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 7, 7, 7, 7 };
  GnWpBlob b = { 0x46, 41, flags, server, (DWORD) strlen (server), bypass,
                 (DWORD) strlen (bypass), pac, (DWORD) strlen (pac), tail, sizeof tail };
  DWORD len;
  BYTE *data = gn_wp_blob_build (&b, &len);
  HKEY key;

  RegCreateKeyExW (HKEY_CURRENT_USER, SETTINGS_KEY L"\\Connections", 0, NULL, 0,
                   KEY_SET_VALUE, NULL, &key, NULL);
  RegSetValueExW (key, L"DefaultConnectionSettings", 0, REG_BINARY, data, len);
  RegCloseKey (key);
  free (data);
}

void
set_start (Start start, const wchar_t *manual_server)
{
  GnWpRegistryValues v = { 0 };
  INTERNET_PER_CONN_OPTIONW o[4];
  INTERNET_PER_CONN_OPTION_LISTW l = { sizeof l, NULL, 4, 0, o };
  HKEY key;
  char server_a[128];

  memset (o, 0, sizeof o);
  o[0].dwOption = INTERNET_PER_CONN_FLAGS;
  o[1].dwOption = INTERNET_PER_CONN_PROXY_SERVER;
  o[2].dwOption = INTERNET_PER_CONN_PROXY_BYPASS;
  o[3].dwOption = INTERNET_PER_CONN_AUTOCONFIG_URL;
  if (RegOpenKeyExW (HKEY_CURRENT_USER, SETTINGS_KEY L"\\Connections", 0, KEY_SET_VALUE,
                     &key) == ERROR_SUCCESS)
    {
      RegDeleteValueW (key, L"DefaultConnectionSettings");
      RegCloseKey (key);
    }
  switch (start)
    {
    case START_NONE:
      o[0].Value.dwValue = PROXY_TYPE_DIRECT;
      v.has_enable = TRUE;
      v.enable = 0;
      break;
    case START_MANUAL:
      WideCharToMultiByte (CP_ACP, 0, manual_server, -1, server_a, sizeof server_a, NULL, NULL);
      o[0].Value.dwValue = PROXY_TYPE_DIRECT | PROXY_TYPE_PROXY;
      o[1].Value.pszValue = (wchar_t *) manual_server;
      o[2].Value.pszValue = CORP_BYPASS;
      v.has_enable = TRUE;
      v.enable = 1;
      v.server = (wchar_t *) manual_server;
      v.override = CORP_BYPASS;
      write_start_blob (PROXY_TYPE_DIRECT | PROXY_TYPE_PROXY, server_a,
                        "*.corp.example;intranet;<local>", "");
      break;
    case START_PAC:
      o[0].Value.dwValue = PROXY_TYPE_DIRECT | PROXY_TYPE_AUTO_PROXY_URL;
      o[3].Value.pszValue = CORP_PAC;
      v.has_enable = TRUE;
      v.enable = 0;
      v.autoconfig = CORP_PAC;
      write_start_blob (PROXY_TYPE_DIRECT | PROXY_TYPE_AUTO_PROXY_URL, "", "",
                        "http://wpad.corp.example/proxy.pac");
      break;
    }
  InternetSetOptionW (NULL, INTERNET_OPTION_PER_CONNECTION_OPTION, &l, sizeof l);
  gn_wp_registry_write (&v, NULL);
  gn_wp_runonce_remove (NULL);
  DeleteFileW (journal_path);
  {
    wchar_t previous[MAX_PATH + 64];

    if (gn_wp_journal_previous_path (journal_path, previous, MAX_PATH + 64))
      DeleteFileW (previous);
  }
}

static void
repair_command (wchar_t *out, size_t len)
{
  _snwprintf (out, len, L"\"%ls\" --journal \"%ls\"", repair_tool, journal_path);
  out[len - 1] = L'\0';
}

/* ---- tests ---- */

static void
test_blob_parse (void)
{
  GnWpBlob in = { 0x46, 5, 3, "a:1", 3, "b;c", 3, "", 0, (const BYTE *) "\x01\x02", 2 }, out;
  DWORD len;
  BYTE *data = gn_wp_blob_build (&in, &len);

  CHECK (data != NULL && len == 12 + 4 + 3 + 4 + 3 + 4 + 0 + 2);
  CHECK (gn_wp_blob_parse (data, len, &out));
  CHECK (out.version == 0x46 && out.counter == 5 && out.flags == 3);
  CHECK (blob_str_eq (out.server, out.server_len, "a:1"));
  CHECK (blob_str_eq (out.bypass, out.bypass_len, "b;c"));
  CHECK (out.pac_url_len == 0 && out.tail_len == 2 && out.tail[1] == 2);
  /* Every truncation that cuts a length or a string is refused. */
  for (DWORD cut = 0; cut < len - 2; cut++)
    CHECK (!gn_wp_blob_parse (data, cut, &out));
  /* A length field pointing past the end is refused, not read. */
  data[12] = 0xff;
  CHECK (!gn_wp_blob_parse (data, len, &out));
  free (data);
}

static void
test_journal_roundtrip (void)
{
  GnWpSnapshot snap = { 0 }, back;
  GnWpConfig config = { 4321, L"a;b", L"http://127.0.0.1:4321/proxy.pac" };
  GnWpError error = { 0 };
  unsigned port;
  wchar_t *pac, *bypass;
  BYTE blob[5] = { 0, 1, 0x7f, 0x80, 0xff };
  HANDLE f;
  DWORD size, written;
  char *text;

  snap.n_connections = 2;
  snap.connections[0].flags = 3;
  snap.connections[0].server = L"h\u00e9:1";
  snap.connections[0].bypass = L"x%41\ny;<local>";
  snap.connections[0].blob = blob;
  snap.connections[0].blob_len = 5;
  snap.connections[1].name = L"Office VPN \u65e5\u672c";
  snap.connections[1].flags = 1;
  snap.connections[1].pac_url = L"";
  snap.values.has_enable = TRUE;
  snap.values.enable = 1;
  snap.values.override = L"100% sure";
  CHECK (gn_wp_journal_write (journal_path, &config, &snap, &error));
  CHECK (gn_wp_journal_read (journal_path, &port, &pac, &bypass, &back, &error));
  CHECK (port == 4321 && str_eq (pac, config.pac_url) && str_eq (bypass, L"a;b"));
  CHECK (back.n_connections == 2 && back.connections[0].name == NULL);
  CHECK (str_eq (back.connections[0].server, L"h\u00e9:1"));
  CHECK (str_eq (back.connections[0].bypass, L"x%41\ny;<local>"));
  CHECK (back.connections[0].pac_url == NULL && back.connections[0].flags == 3);
  CHECK (back.connections[0].blob_len == 5 && memcmp (back.connections[0].blob, blob, 5) == 0);
  CHECK (str_eq (back.connections[1].name, L"Office VPN \u65e5\u672c"));
  CHECK (str_eq (back.connections[1].pac_url, L"") && back.connections[1].blob == NULL);
  CHECK (back.values.has_enable && back.values.enable == 1 && back.values.server == NULL);
  CHECK (str_eq (back.values.override, L"100% sure"));
  free (pac);
  free (bypass);
  gn_wp_snapshot_clear (&back);

  /* A journal cut short (power loss mid-copy) is refused and left in place. */
  f = CreateFileW (journal_path, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
  CHECK (f != INVALID_HANDLE_VALUE);
  size = GetFileSize (f, NULL);
  text = malloc (size);
  ReadFile (f, text, size, &written, NULL);
  SetFilePointer (f, (LONG) size - 4, NULL, FILE_BEGIN);   /* drop "end\n" */
  SetEndOfFile (f);
  CloseHandle (f);
  CHECK (!gn_wp_journal_read (journal_path, &port, &pac, &bypass, &back, &error));
  CHECK (wcsstr (error.message, L"damaged") != NULL && gn_wp_journal_exists (journal_path));
  /* A bad escape is refused too. */
  f = CreateFileW (journal_path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
  memcpy (strstr (text, "100%25"), "100%G5", 6);
  WriteFile (f, text, size, &written, NULL);
  CloseHandle (f);
  free (text);
  CHECK (!gn_wp_journal_read (journal_path, &port, &pac, &bypass, &back, &error));
  DeleteFileW (journal_path);
}

static void
check_applied (const GnWpConfig *config, const wchar_t *command)
{
  State s;
  wchar_t runonce[1024];

  state_read (&s);
  if (config->pac_url == NULL)
    {
      CHECK (s.values.has_enable && s.values.enable == 1);
      CHECK (str_eq (s.values.server, L"127.0.0.1:3000"));
      CHECK (str_eq (s.values.override, GN_WP_DEFAULT_BYPASS));
      CHECK (s.values.autoconfig == NULL);
      CHECK (s.have_blob && s.blob.flags == (PROXY_TYPE_DIRECT | PROXY_TYPE_PROXY));
      CHECK (blob_str_eq (s.blob.server, s.blob.server_len, "127.0.0.1:3000"));
      CHECK (blob_str_eq (s.blob.bypass, s.blob.bypass_len,
                          "localhost;127.*;10.*;172.16.*;172.17.*;172.18.*;172.19.*;172.20.*;"
                          "172.21.*;172.22.*;172.23.*;172.24.*;172.25.*;172.26.*;172.27.*;"
                          "172.28.*;172.29.*;172.30.*;172.31.*;192.168.*;<local>"));
      CHECK ((s.wininet_flags & PROXY_TYPE_PROXY) && str_eq (s.wininet_server, L"127.0.0.1:3000"));
    }
  else
    {
      CHECK (str_eq (s.values.autoconfig, OUR_PAC));
      CHECK (s.values.has_enable && s.values.enable == 0);
      CHECK (s.have_blob && s.blob.flags == (PROXY_TYPE_DIRECT | PROXY_TYPE_AUTO_PROXY_URL));
      CHECK (blob_str_eq (s.blob.pac_url, s.blob.pac_url_len, "http://127.0.0.1:3000/proxy.pac"));
    }
  state_clear (&s);
  CHECK (gn_wp_points_at_us (config));
  CHECK (gn_wp_journal_exists (journal_path));
  CHECK (gn_wp_runonce_get (runonce, 1024) && wcscmp (runonce, command) == 0);
}

static void
roundtrip (Start start, const wchar_t *pac)
{
  GnWpConfig config = { OUR_PORT, NULL, pac };
  GnWpError error = { 0 };
  wchar_t command[1024], runonce[1024];
  State before, after;
  BOOL equal;

  set_start (start, CORP_SERVER);
  state_read (&before);
  CHECK (!gn_wp_points_at_us (&config));
  repair_command (command, 1024);
  if (!gn_wp_enable (&config, journal_path, command, NULL, NULL, &error))
    printf ("# enable: %ls\n", error.message);
  CHECK (error.code == 0);
  check_applied (&config, command);
  if (test_failed)
    return;
  CHECK (gn_wp_disable (journal_path, NULL, NULL, &error) == GN_WP_RESTORED);
  state_read (&after);
  equal = state_equal (&before, &after);
  if (!equal)
    {
      state_print ("before", &before);
      state_print ("after", &after);
    }
  state_clear (&before);
  state_clear (&after);
  CHECK (equal);
  CHECK (!gn_wp_points_at_us (&config));
  CHECK (!gn_wp_journal_exists (journal_path));
  CHECK (!gn_wp_runonce_get (runonce, 1024));
}

static void test_roundtrip_none_manual (void) { roundtrip (START_NONE, NULL); }
static void test_roundtrip_manual_manual (void) { roundtrip (START_MANUAL, NULL); }
static void test_roundtrip_pac_manual (void) { roundtrip (START_PAC, NULL); }
static void test_roundtrip_none_pac (void) { roundtrip (START_NONE, OUR_PAC); }
static void test_roundtrip_manual_pac (void) { roundtrip (START_MANUAL, OUR_PAC); }
static void test_roundtrip_pac_pac (void) { roundtrip (START_PAC, OUR_PAC); }

/* ---- per-key compare-and-clear: another program changes some keys ---- */

void
log_to_tap (const wchar_t *message, void *user_data)
{
  wchar_t *last = user_data;

  printf ("# log: %ls\n", message);
  if (last != NULL)
    {
      wcsncpy (last, message, GN_WP_MESSAGE_MAX - 1);
      last[GN_WP_MESSAGE_MAX - 1] = L'\0';
    }
}

void
set_reg_string (const wchar_t *name, const wchar_t *value)
{
  RegSetKeyValueW (HKEY_CURRENT_USER, SETTINGS_KEY, name, REG_SZ, value,
                   (DWORD) ((wcslen (value) + 1) * sizeof (wchar_t)));
}

static DWORD run_repair (const wchar_t *extra);

typedef enum {
  CHANGE_SERVER, CHANGE_SERVER_WININET, CHANGE_OVERRIDE, CHANGE_DIRECT, CHANGE_ALL_REGISTRY,
} Change;

/* Another program's change while we are on (manual mode, the user's
 * corporate proxy before us), then the restore: gn_wp_disable() as at a
 * normal turn-off, or (@via_repair) a crash and the real
 * guardnest-repair.exe reading the journal. */
static void
change_then_restore (Change change, BOOL via_repair)
{
  GnWpConfig config = { OUR_PORT, NULL, NULL };
  GnWpError error = { 0 };
  wchar_t runonce[1024], logged[GN_WP_MESSAGE_MAX] = L"", previous[MAX_PATH + 64];
  GnWpRestoreResult r = GN_WP_FAILED;
  State s;

  set_start (START_MANUAL, CORP_SERVER);
  CHECK (gn_wp_enable (&config, journal_path, L"x", NULL, NULL, &error));
  switch (change)
    {
    case CHANGE_SERVER:
      set_reg_string (L"ProxyServer", L"other-vpn.example:3128");
      break;
    case CHANGE_SERVER_WININET:
    case CHANGE_DIRECT:
      {
        INTERNET_PER_CONN_OPTIONW o[2];
        INTERNET_PER_CONN_OPTION_LISTW l = { sizeof l, NULL, 2, 0, o };

        memset (o, 0, sizeof o);
        o[0].dwOption = INTERNET_PER_CONN_FLAGS;
        o[0].Value.dwValue = change == CHANGE_DIRECT ? PROXY_TYPE_DIRECT
                                                     : PROXY_TYPE_DIRECT | PROXY_TYPE_PROXY;
        o[1].dwOption = INTERNET_PER_CONN_PROXY_SERVER;
        o[1].Value.pszValue = change == CHANGE_DIRECT ? L"127.0.0.1:3000"
                                                      : L"other-vpn.example:3128";
        l.dwOptionCount = change == CHANGE_DIRECT ? 1 : 2;
        CHECK (InternetSetOptionW (NULL, INTERNET_OPTION_PER_CONNECTION_OPTION, &l, sizeof l));
        /* What a program that writes the registry itself does too (Wine's
         * WinINet may keep the flags elsewhere). */
        if (change == CHANGE_DIRECT)
          {
            DWORD zero = 0;

            CHECK (RegSetKeyValueW (HKEY_CURRENT_USER, SETTINGS_KEY, L"ProxyEnable", REG_DWORD,
                                    &zero, sizeof zero) == ERROR_SUCCESS);
          }
      }
      break;
    case CHANGE_OVERRIDE:
      set_reg_string (L"ProxyOverride", L"*.other.example;<local>");
      break;
    case CHANGE_ALL_REGISTRY:
      /* Every value, by a program that writes the registry only: the blob
       * still holds ours. */
      set_reg_string (L"ProxyServer", L"other-vpn.example:3128");
      set_reg_string (L"ProxyOverride", L"*.other.example;<local>");
      set_reg_string (L"AutoConfigURL", L"http://other.example/wpad.dat");
      break;
    }
  state_read (&s);
  state_print ("changed", &s);
  state_clear (&s);
  /* (a changed bypass list still sends everything else to us) */
  CHECK (change == CHANGE_OVERRIDE || !gn_wp_points_at_us (&config));

  if (via_repair)
    CHECK (run_repair (L"") == 0);
  else
    {
      r = gn_wp_disable (journal_path, log_to_tap, logged, &error);
      printf ("# result: %ls\n", gn_wp_restore_result_describe (r));
    }

  state_read (&s);
  state_print ("after", &s);
  switch (change)
    {
    case CHANGE_SERVER:
    case CHANGE_SERVER_WININET:
      /* The server the other program set stays, in every store; the rest
       * is the user's again. */
      CHECK (via_repair || r == GN_WP_RESTORED_KEPT_OTHERS);
      CHECK (via_repair || wcsstr (logged, L"ProxyServer") != NULL);
      CHECK (str_eq (s.values.server, L"other-vpn.example:3128"));
      CHECK (str_eq (s.values.override, CORP_BYPASS));
      CHECK (s.values.has_enable && s.values.enable == 1 && s.values.autoconfig == NULL);
      CHECK (s.have_blob && s.blob.flags == (PROXY_TYPE_DIRECT | PROXY_TYPE_PROXY));
      CHECK (blob_str_eq (s.blob.server, s.blob.server_len, "other-vpn.example:3128"));
      CHECK (blob_str_eq (s.blob.bypass, s.blob.bypass_len, "*.corp.example;intranet;<local>"));
      break;
    case CHANGE_OVERRIDE:
      CHECK (via_repair || r == GN_WP_RESTORED_KEPT_OTHERS);
      CHECK (via_repair || wcsstr (logged, L"ProxyOverride") != NULL);
      CHECK (str_eq (s.values.server, CORP_SERVER));
      CHECK (str_eq (s.values.override, L"*.other.example;<local>"));
      CHECK (s.values.has_enable && s.values.enable == 1);
      CHECK (s.have_blob && s.blob.flags == (PROXY_TYPE_DIRECT | PROXY_TYPE_PROXY));
      CHECK (blob_str_eq (s.blob.server, s.blob.server_len, "corp-proxy.example:8080"));
      CHECK (blob_str_eq (s.blob.bypass, s.blob.bypass_len, "*.other.example;<local>"));
      CHECK ((s.wininet_flags & PROXY_TYPE_PROXY) && str_eq (s.wininet_server, CORP_SERVER));
      break;
    case CHANGE_ALL_REGISTRY:
      /* Nothing of ours is left to restore, but the blob (what WinINet
       * reads on Windows) must not go on sending everything to us. */
      CHECK (via_repair || r == GN_WP_LEFT_ALONE);
      CHECK (via_repair || wcsstr (logged, L"ProxyOverride") != NULL);
      CHECK (str_eq (s.values.server, L"other-vpn.example:3128"));
      CHECK (str_eq (s.values.override, L"*.other.example;<local>"));
      CHECK (s.have_blob && s.blob.flags == (PROXY_TYPE_DIRECT | PROXY_TYPE_PROXY));
      CHECK (blob_str_eq (s.blob.server, s.blob.server_len, "other-vpn.example:3128"));
      CHECK (blob_str_eq (s.blob.bypass, s.blob.bypass_len, "*.other.example;<local>"));
      CHECK (blob_str_eq (s.blob.pac_url, s.blob.pac_url_len, "http://other.example/wpad.dat"));
      break;
    case CHANGE_DIRECT:
      /* The other program turned the proxy off: ours is gone everywhere,
       * and the user's corporate proxy is NOT switched back on. */
      CHECK (via_repair || r == GN_WP_TAKEN_OVER);
      CHECK (s.values.has_enable && s.values.enable == 0);
      CHECK (s.values.server == NULL && s.values.override == NULL && s.values.autoconfig == NULL);
      CHECK (s.have_blob && s.blob.flags == PROXY_TYPE_DIRECT);
      CHECK (s.blob.server_len == 0 && s.blob.bypass_len == 0);
      CHECK (!(s.wininet_flags & PROXY_TYPE_PROXY));
      break;
    }
  state_clear (&s);
  CHECK (!gn_wp_points_at_us (&config));
  CHECK (!gn_wp_journal_exists (journal_path));
  CHECK (via_repair || !gn_wp_runonce_get (runonce, 1024));
  CHECK (gn_wp_journal_previous_path (journal_path, previous, MAX_PATH + 64));
  if (change == CHANGE_DIRECT)
    {
      /* The user's settings wait in the previous journal, whole. */
      GnWpSnapshot saved;
      unsigned port = 0;
      wchar_t *pac = NULL, *bypass = NULL;

      CHECK (gn_wp_journal_read (previous, &port, &pac, &bypass, &saved, &error));
      free (pac);
      free (bypass);
      CHECK (port == OUR_PORT && saved.n_connections >= 1);
      CHECK (str_eq (saved.values.server, CORP_SERVER) && saved.values.enable == 1);
      CHECK (str_eq (saved.values.override, CORP_BYPASS));
      gn_wp_snapshot_clear (&saved);
      DeleteFileW (previous);
    }
  else
    CHECK (GetFileAttributesW (previous) == INVALID_FILE_ATTRIBUTES);
}

static void test_keys_server (void) { change_then_restore (CHANGE_SERVER, FALSE); }
static void test_keys_server_wininet (void) { change_then_restore (CHANGE_SERVER_WININET, FALSE); }
static void test_keys_override (void) { change_then_restore (CHANGE_OVERRIDE, FALSE); }
static void test_keys_direct (void) { change_then_restore (CHANGE_DIRECT, FALSE); }
static void test_keys_all_registry (void) { change_then_restore (CHANGE_ALL_REGISTRY, FALSE); }
static void test_keys_server_repair (void) { change_then_restore (CHANGE_SERVER, TRUE); }
static void test_keys_override_repair (void) { change_then_restore (CHANGE_OVERRIDE, TRUE); }
static void test_keys_direct_repair (void) { change_then_restore (CHANGE_DIRECT, TRUE); }

/* PAC mode, and another program points Windows at its own script (as
 * WinINet on Windows stores it: the URL in the blob and in AutoConfigURL):
 * it took over. Its script stays in use, ours is gone, and the user's
 * manual proxy is not switched back on. */
static void
test_keys_pac_taken_over (void)
{
  GnWpConfig config = { OUR_PORT, NULL, OUR_PAC };
  GnWpError error = { 0 };
  wchar_t previous[MAX_PATH + 64];
  GnWpRestoreResult r;
  State s;

  set_start (START_MANUAL, CORP_SERVER);
  CHECK (gn_wp_enable (&config, journal_path, L"x", NULL, NULL, &error));
  set_reg_string (L"AutoConfigURL", L"http://other.example/wpad.dat");
  CHECK (gn_wp_blob_write_fields (NULL, PROXY_TYPE_DIRECT | PROXY_TYPE_AUTO_PROXY_URL, NULL,
                                  NULL, L"http://other.example/wpad.dat", NULL, 0, &error));
  CHECK (!gn_wp_points_at_us (&config));
  r = gn_wp_disable (journal_path, log_to_tap, NULL, &error);
  state_read (&s);
  state_print ("after", &s);
  CHECK (r == GN_WP_TAKEN_OVER);
  CHECK (str_eq (s.values.autoconfig, L"http://other.example/wpad.dat"));
  CHECK (s.values.has_enable && s.values.enable == 0);
  CHECK (s.have_blob && s.blob.flags == (PROXY_TYPE_DIRECT | PROXY_TYPE_AUTO_PROXY_URL));
  CHECK (blob_str_eq (s.blob.pac_url, s.blob.pac_url_len, "http://other.example/wpad.dat"));
  CHECK (!(s.wininet_flags & PROXY_TYPE_PROXY));
  state_clear (&s);
  CHECK (!gn_wp_journal_exists (journal_path));
  CHECK (gn_wp_journal_previous_path (journal_path, previous, MAX_PATH + 64));
  CHECK (GetFileAttributesW (previous) != INVALID_FILE_ATTRIBUTES);
  DeleteFileW (previous);
}

/* Someone put the user's own settings back by hand: nothing was lost, so
 * nothing is reported, and nothing of ours is left to remove. */
static void
test_keys_user_restored_by_hand (void)
{
  GnWpConfig config = { OUR_PORT, NULL, NULL };
  GnWpError error = { 0 };
  wchar_t logged[GN_WP_MESSAGE_MAX] = L"";
  State before, after;
  BOOL equal;

  set_start (START_MANUAL, CORP_SERVER);
  state_read (&before);
  CHECK (gn_wp_enable (&config, journal_path, L"x", NULL, NULL, &error));
  set_start (START_MANUAL, CORP_SERVER);   /* (deletes the journal: write it again) */
  {
    GnWpSnapshot snap;

    CHECK (gn_wp_snapshot (&snap, &error));
    CHECK (gn_wp_journal_write (journal_path, &config, &snap, &error));
    gn_wp_snapshot_clear (&snap);
  }
  CHECK (gn_wp_disable (journal_path, log_to_tap, logged, &error) == GN_WP_LEFT_ALONE);
  CHECK (logged[0] == L'\0');
  state_read (&after);
  equal = state_equal (&before, &after);
  state_clear (&before);
  state_clear (&after);
  CHECK (equal);
  CHECK (!gn_wp_journal_exists (journal_path));
}

unsigned
loopback_listener (SOCKET *out)
{
  struct sockaddr_in addr = { 0 };
  int len = sizeof addr;
  SOCKET s = socket (AF_INET, SOCK_STREAM, IPPROTO_TCP);

  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (s == INVALID_SOCKET || bind (s, (struct sockaddr *) &addr, sizeof addr) != 0
      || listen (s, 4) != 0 || getsockname (s, (struct sockaddr *) &addr, &len) != 0)
    return 0;
  *out = s;
  return ntohs (addr.sin_port);
}

static void
dead_loopback (BOOL alive)
{
  GnWpConfig config = { OUR_PORT, NULL, NULL };
  GnWpError error = { 0 };
  SOCKET s = INVALID_SOCKET;
  unsigned port = loopback_listener (&s);
  wchar_t server[32];
  State st;
  GnWpRestoreResult r;

  CHECK (port != 0);
  if (!alive)
    closesocket (s);    /* the tool that was listening there is gone */
  _snwprintf (server, 32, L"127.0.0.1:%u", port);
  set_start (START_MANUAL, server);
  CHECK (gn_wp_enable (&config, journal_path, L"x", NULL, NULL, &error));
  r = gn_wp_disable (journal_path, NULL, NULL, &error);
  if (alive)
    closesocket (s);
  CHECK (r == (alive ? GN_WP_RESTORED : GN_WP_RESTORED_NO_PROXY));
  state_read (&st);
  /* Dead: "no proxy", with the old address kept for the user to see. */
  CHECK (st.values.enable == (alive ? 1u : 0u));
  CHECK (str_eq (st.values.server, server));
  CHECK (st.have_blob && st.blob.flags == (alive ? 3u : 1u));
  CHECK (((st.wininet_flags & PROXY_TYPE_PROXY) != 0) == alive);
  state_clear (&st);
}

static void test_dead_loopback (void) { dead_loopback (FALSE); }
static void test_live_loopback (void) { dead_loopback (TRUE); }

static void
test_bad_bypass (void)
{
  GnWpConfig config = { OUR_PORT, NULL, NULL };
  GnWpError error = { 0 };
  wchar_t *longlist = malloc (2100 * sizeof (wchar_t));
  State before, after;
  BOOL equal;

  for (int i = 0; i < 2099; i++)
    longlist[i] = (i % 10 == 9) ? L';' : L'a';
  longlist[2099] = L'\0';
  set_start (START_MANUAL, CORP_SERVER);
  state_read (&before);
  config.bypass = longlist;
  CHECK (!gn_wp_enable (&config, journal_path, L"x", NULL, NULL, &error));
  CHECK (wcsstr (error.message, L"Shorten") != NULL);
  config.bypass = L"ok;bad\x01";
  CHECK (!gn_wp_enable (&config, journal_path, L"x", NULL, NULL, &error));
  free (longlist);
  /* A journal that cannot be written: nothing is changed at all. */
  config.bypass = NULL;
  CHECK (!gn_wp_enable (&config, L"C:\\gn-no-such-dir\\deeper\\journal.txt", L"x", NULL,
                        NULL, &error));
  state_read (&after);
  equal = state_equal (&before, &after);
  state_clear (&before);
  state_clear (&after);
  CHECK (equal);
  CHECK (!gn_wp_journal_exists (journal_path));
}

/* A start after a crash repairs first, so the new snapshot is the user's. */
static void
test_enable_after_crash (void)
{
  GnWpConfig config = { OUR_PORT, NULL, NULL };
  GnWpError error = { 0 };
  State before, after;
  BOOL equal;

  set_start (START_PAC, NULL);
  state_read (&before);
  CHECK (gn_wp_enable (&config, journal_path, L"x", NULL, NULL, &error));
  /* (crash: no disable) */
  CHECK (gn_wp_enable (&config, journal_path, L"x", NULL, NULL, &error));
  CHECK (gn_wp_disable (journal_path, NULL, NULL, &error) == GN_WP_RESTORED);
  state_read (&after);
  equal = state_equal (&before, &after);
  state_clear (&before);
  state_clear (&after);
  CHECK (equal);
}

typedef struct {
  HANDLE event;
  BOOL   journal_was_there;
  LONG   calls;
} WatchData;

static void
on_change (void *user_data)
{
  WatchData *d = user_data;

  if (InterlockedIncrement (&d->calls) == 1)
    {
      d->journal_was_there = gn_wp_journal_exists (journal_path);
      SetEvent (d->event);
    }
}

/* The watch sees changes, and the first change already finds the journal on
 * disk: the journal is written before anything is applied. */
static void
test_watch_and_journal_first (void)
{
  GnWpConfig config = { OUR_PORT, NULL, NULL };
  GnWpError error = { 0 };
  WatchData d = { CreateEventW (NULL, TRUE, FALSE, NULL), FALSE, 0 };
  GnWpWatch *watch;
  DWORD wait;

  set_start (START_NONE, NULL);
  Sleep (200);
  watch = gn_wp_watch_start (on_change, &d, &error);
  CHECK (watch != NULL);
  Sleep (200);
  CHECK (d.calls == 0);
  CHECK (gn_wp_enable (&config, journal_path, L"x", NULL, NULL, &error));
  wait = WaitForSingleObject (d.event, 5000);
  gn_wp_watch_stop (watch);
  CloseHandle (d.event);
  CHECK (wait == WAIT_OBJECT_0);
  CHECK (d.journal_was_there);
  CHECK (gn_wp_disable (journal_path, NULL, NULL, &error) == GN_WP_RESTORED);
}

typedef struct {
  GnWpRestoreResult result;
  DWORD thread;
} EndData;

static void
on_end_session (void *user_data)
{
  EndData *d = user_data;
  GnWpError error;

  d->thread = GetCurrentThreadId ();
  d->result = gn_wp_disable (journal_path, NULL, NULL, &error);
}

static void
test_session_window (void)
{
  GnWpConfig config = { OUR_PORT, NULL, NULL };
  GnWpError error = { 0 };
  EndData d = { GN_WP_FAILED, 0 };
  GnWpSessionWindow *win;
  HWND hwnd;
  LRESULT answer;
  State s;

  set_start (START_MANUAL, CORP_SERVER);
  CHECK (gn_wp_enable (&config, journal_path, L"x", NULL, NULL, &error));
  win = gn_wp_session_window_start (on_end_session, NULL, &d, &error);
  if (win == NULL)
    printf ("# session window: %ls\n", error.message);
  CHECK (win != NULL);
  hwnd = gn_wp_session_window_hwnd (win);
  /* Top-level and hidden: not a message-only window (those get no session
   * messages), not visible. */
  CHECK (GetAncestor (hwnd, GA_PARENT) == GetDesktopWindow ());
  CHECK (GetParent (hwnd) == NULL && !IsWindowVisible (hwnd));
  answer = SendMessageW (hwnd, WM_QUERYENDSESSION, 0, ENDSESSION_LOGOFF);
  SendMessageW (hwnd, WM_ENDSESSION, TRUE, ENDSESSION_LOGOFF);
  gn_wp_session_window_stop (win);
  CHECK (answer == TRUE);
  CHECK (d.result == GN_WP_RESTORED && d.thread != GetCurrentThreadId ());
  state_read (&s);
  CHECK (str_eq (s.values.server, CORP_SERVER) && s.values.enable == 1);
  state_clear (&s);
  CHECK (!gn_wp_points_at_us (&config));
}

static DWORD
run_repair (const wchar_t *extra)
{
  wchar_t cmd[2048];
  STARTUPINFOW si = { sizeof si };
  PROCESS_INFORMATION pi;
  DWORD code = 0xdead;

  _snwprintf (cmd, 2048, L"\"%ls\" --journal \"%ls\" %ls", repair_tool, journal_path, extra);
  cmd[2047] = L'\0';
  if (!CreateProcessW (NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi))
    return 0xdead;
  if (WaitForSingleObject (pi.hProcess, 30000) == WAIT_OBJECT_0)
    GetExitCodeProcess (pi.hProcess, &code);
  CloseHandle (pi.hProcess);
  CloseHandle (pi.hThread);
  return code;
}

/* Crash for real: a child enables, owns the settings, and is killed. While it
 * lives, the repair tool refuses to touch its settings; once it is dead, the
 * repair tool (as RunOnce would run it) puts the user's settings back. */
static void
crash_once (Start start)
{
  GnWpConfig config = { OUR_PORT, NULL, NULL };
  wchar_t self[MAX_PATH], cmd[2048], event_name[64], runonce[1024];
  STARTUPINFOW si = { sizeof si };
  PROCESS_INFORMATION pi;
  HANDLE ready;
  State before, after;
  BOOL equal;
  DWORD code;

  set_start (start, CORP_SERVER);
  state_read (&before);
  _snwprintf (event_name, 64, L"Local\\gn-test-ready-%lu", GetCurrentProcessId ());
  ready = CreateEventW (NULL, TRUE, FALSE, event_name);
  GetModuleFileNameW (NULL, self, MAX_PATH);
  _snwprintf (cmd, 2048, L"\"%ls\" --hold \"%ls\" %ls", self, journal_path, event_name);
  cmd[2047] = L'\0';
  CHECK (CreateProcessW (NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi));
  code = WaitForSingleObject (ready, 20000);
  if (code == WAIT_OBJECT_0)
    {
      /* The owner is alive: repair must not undo its protection. */
      code = run_repair (L"");
      if (code != 3 || !gn_wp_points_at_us (&config))
        code = 0xbad;
      else
        code = WAIT_OBJECT_0;
    }
  TerminateProcess (pi.hProcess, 9);
  WaitForSingleObject (pi.hProcess, 10000);
  CloseHandle (pi.hProcess);
  CloseHandle (pi.hThread);
  CloseHandle (ready);
  CHECK (code == WAIT_OBJECT_0);
  CHECK (gn_wp_points_at_us (&config) && gn_wp_journal_exists (journal_path));
  CHECK (gn_wp_runonce_get (runonce, 1024));

  CHECK (run_repair (L"") == 0);
  state_read (&after);
  equal = state_equal (&before, &after);
  if (!equal)
    {
      state_print ("before", &before);
      state_print ("after", &after);
    }
  state_clear (&before);
  state_clear (&after);
  CHECK (equal);
  CHECK (!gn_wp_journal_exists (journal_path));
  CHECK (!gn_wp_runonce_get (runonce, 1024));
  /* Running it again finds nothing to do and changes nothing. */
  CHECK (run_repair (L"--quiet") == 0);
}

/* 20 out of 20, from each starting state in turn (about 3 s each under Wine). */
static void
test_crash_repair (void)
{
  for (int i = 0; i < 20 && !test_failed; i++)
    crash_once (i % 3 == 0 ? START_MANUAL : i % 3 == 1 ? START_PAC : START_NONE);
}

static void
test_connections_enumerated (void)
{
  GnWpSnapshot snap;
  GnWpError error = { 0 };

  CHECK (gn_wp_snapshot (&snap, &error));
  /* The LAN comes first; RAS entries (zero under Wine) follow, named. */
  CHECK (snap.n_connections >= 1 && snap.connections[0].name == NULL);
  for (unsigned i = 1; i < snap.n_connections; i++)
    CHECK (snap.connections[i].name != NULL);
  printf ("# %u RAS/dial-up entries\n", snap.n_connections - 1);
  gn_wp_snapshot_clear (&snap);
}

static int
hold (const wchar_t *journal, const wchar_t *event_name)
{
  GnWpConfig config = { OUR_PORT, NULL, NULL };
  GnWpError error = { 0 };
  wchar_t command[1024];
  HANDLE owner = gn_wp_owner_claim ();
  HANDLE ready = OpenEventW (EVENT_MODIFY_STATE, FALSE, event_name);

  EndData end = { GN_WP_FAILED, 0 };

  wcscpy (journal_path, journal);
  repair_command (command, 1024);
  if (owner == NULL || !gn_wp_enable (&config, journal_path, command, NULL, NULL, &error))
    return 1;
  /* For the shell check: a real end of session (wineboot --end-session). */
  if (gn_wp_session_window_start (on_end_session, NULL, &end, &error) == NULL)
    return 1;
  if (ready != NULL)    /* NULL when started from the shell */
    SetEvent (ready);
  Sleep (INFINITE);
  return 0;
}

/* For the installer check: leave protection on as a crashed GuardNest would,
 * with the real journal and a RunOnce entry for the repair tool beside us. */
static int
simulate_crash (void)
{
  GnWpConfig config = { OUR_PORT, NULL, NULL };
  GnWpError error = { 0 };
  wchar_t command[1024];

  if (!gn_wp_journal_default_path (journal_path, MAX_PATH))
    return 1;
  _snwprintf (command, 1024, L"\"%ls\"", repair_tool);
  command[1023] = L'\0';
  if (!gn_wp_enable (&config, journal_path, command, NULL, NULL, &error))
    {
      printf ("enable failed: %ls\n", error.message);
      return 1;
    }
  printf ("protection left on, journal %ls\n", journal_path);
  return 0;
}

/* What the GLib adapter uses for settings without a raw snapshot. */
static void
test_set_connection (void)
{
  GnWpError error = { 0 };
  State s;

  set_start (START_PAC, NULL);
  CHECK (gn_wp_set_connection (NULL, PROXY_TYPE_DIRECT | PROXY_TYPE_PROXY,
                               L"http=10.1.1.1:80;https=10.1.1.2:443", L"a;b", NULL,
                               NULL, NULL, &error));
  state_read (&s);
  CHECK (s.values.enable == 1 && str_eq (s.values.server, L"http=10.1.1.1:80;https=10.1.1.2:443"));
  CHECK (str_eq (s.values.override, L"a;b") && s.values.autoconfig == NULL);
  CHECK (s.have_blob && s.blob.flags == 3 && blob_str_eq (s.blob.bypass, s.blob.bypass_len, "a;b"));
  CHECK (blob_str_eq (s.blob.pac_url, s.blob.pac_url_len, ""));
  CHECK (s.blob.version == 0x46 && s.blob.tail_len == 32 && s.blob.tail[4] == 0xde);
  state_clear (&s);
  /* "No proxy": the address stays for the user to see, switched off. */
  CHECK (gn_wp_set_connection (NULL, PROXY_TYPE_DIRECT, L"10.1.1.1:80", NULL, NULL, NULL,
                               NULL, &error));
  state_read (&s);
  CHECK (s.values.enable == 0 && str_eq (s.values.server, L"10.1.1.1:80"));
  CHECK (s.values.override == NULL && s.blob.flags == 1);
  CHECK (!(s.wininet_flags & PROXY_TYPE_PROXY));
  state_clear (&s);
}

static const struct { const char *name; void (*func) (void); } tests[] = {
  { "set-connection", test_set_connection },
  { "blob-parse", test_blob_parse },
  { "journal-roundtrip", test_journal_roundtrip },
  { "connections-enumerated", test_connections_enumerated },
  { "roundtrip/none/manual", test_roundtrip_none_manual },
  { "roundtrip/manual/manual", test_roundtrip_manual_manual },
  { "roundtrip/pac/manual", test_roundtrip_pac_manual },
  { "roundtrip/none/pac", test_roundtrip_none_pac },
  { "roundtrip/manual/pac", test_roundtrip_manual_pac },
  { "roundtrip/pac/pac", test_roundtrip_pac_pac },
  { "per-key/server-changed", test_keys_server },
  { "per-key/server-changed-wininet", test_keys_server_wininet },
  { "per-key/override-changed", test_keys_override },
  { "per-key/direct-taken-over", test_keys_direct },
  { "per-key/pac-taken-over", test_keys_pac_taken_over },
  { "per-key/all-changed-in-registry", test_keys_all_registry },
  { "per-key/user-restored-by-hand", test_keys_user_restored_by_hand },
  { "per-key/repair/server-changed", test_keys_server_repair },
  { "per-key/repair/override-changed", test_keys_override_repair },
  { "per-key/repair/direct-taken-over", test_keys_direct_repair },
  { "dead-loopback", test_dead_loopback },
  { "live-loopback", test_live_loopback },
  { "bad-bypass-changes-nothing", test_bad_bypass },
  { "enable-after-crash", test_enable_after_crash },
  { "watch-and-journal-first", test_watch_and_journal_first },
  { "session-window", test_session_window },
  { "session-window/sign-out-cancelled", test_session_window_cancelled },
  { "repair/no-journal/dead-loopback", test_repair_missing_dead },
  { "repair/no-journal/live-loopback", test_repair_missing_live },
  { "repair/damaged-journal/dead-loopback", test_repair_damaged_dead },
  { "repair/damaged-journal/live-loopback", test_repair_damaged_live },
  { "repair/user-check", test_user_check },
  { "repair/message-box", test_message_box },
  { "adapter-turn-off/per-key", test_adapter_turn_off },
  { "adapter-turn-off/per-key/kept", test_adapter_turn_off_kept },
  { "crash-repair", test_crash_repair },
};

int wmain (int argc, wchar_t **argv);

int
wmain (int argc, wchar_t **argv)
{
  wchar_t dir[MAX_PATH];
  WSADATA wsa;
  GnWpSnapshot original;
  int failures = 0;
  unsigned n = sizeof tests / sizeof tests[0];

  setvbuf (stdout, NULL, _IONBF, 0);
  if (argc == 3 && wcscmp (argv[1], L"--repair-tool") == 0)
    wcsncpy (repair_tool, argv[2], MAX_PATH - 1);
  else
    {
      wchar_t *slash;
      GetModuleFileNameW (NULL, repair_tool, MAX_PATH);
      slash = wcsrchr (repair_tool, L'\\');
      if (slash != NULL)
        wcscpy (slash + 1, L"guardnest-repair.exe");
    }
  if (argc == 2 && wcscmp (argv[1], L"--simulate-crash") == 0)
    return simulate_crash ();
  if (argc == 4 && wcscmp (argv[1], L"--hold") == 0)
    return hold (argv[2], argv[3]);
  if (argc == 3 && wcscmp (argv[1], L"--session-message") == 0)
    return session_message (argv[2]);
  GetTempPathW (MAX_PATH, dir);
  _snwprintf (journal_path, MAX_PATH, L"%lsgn-test-journal-%lu.txt", dir,
              GetCurrentProcessId ());
  WSAStartup (MAKEWORD (2, 2), &wsa);
  /* On a real Windows machine these are the developer's own settings. */
  if (!gn_wp_snapshot (&original, NULL))
    {
      printf ("Bail out! cannot read the current proxy settings\n");
      return 1;
    }

  printf ("1..%u\n", n);
  for (unsigned i = 0; i < n; i++)
    {
      test_failed = FALSE;
      tests[i].func ();
      printf ("%sok %u %s\n", test_failed ? "not " : "", i + 1, tests[i].name);
      failures += test_failed;
    }
  set_start (START_NONE, NULL);
  gn_wp_restore (&original, FALSE, NULL, NULL, NULL);
  gn_wp_snapshot_clear (&original);
  WSACleanup ();
  return failures == 0 ? 0 : 1;
}
