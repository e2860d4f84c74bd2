/* gn-winproxy.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * WinINet per-connection proxy options: snapshot, apply ours, restore a
 * snapshot exactly, and "do the settings still point at us?". WinINet is the
 * documented way to change the proxy: it updates the registry and tells every
 * WinINet/WinHTTP-IE-config user. After every change we reconcile the
 * registry mirror ("Internet Settings" values and the Connections blob) with
 * what was asked and read it back to verify. On Windows WinINet has already
 * written the same values, so the reconcile writes nothing; under Wine (whose
 * WinINet drops the bypass list, the PAC URL and the DIRECT flag) it is what
 * makes the registry tell the truth, and the tests check it there.
 *
 * Threading: no global state; callable from any thread, but callers must not
 * run two transactions at once (gn-winproxy-protect.c serialises them).
 */
#include "gn-winproxy.h"


#include <ws2tcpip.h>
#include <wininet.h>
#include <ras.h>
#include <raserror.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>

wchar_t *
gn_wp_wcsdup (const wchar_t *s)
{
  size_t n;
  wchar_t *copy;

  if (s == NULL)
    return NULL;
  n = wcslen (s) + 1;
  copy = malloc (n * sizeof (wchar_t));
  if (copy != NULL)
    memcpy (copy, s, n * sizeof (wchar_t));
  return copy;
}

void
gn_wp_set_error (GnWpError *error, DWORD code, const wchar_t *format, ...)
{
  va_list args;

  if (error == NULL)
    return;
  error->code = code;
  va_start (args, format);
  _vsnwprintf (error->message, GN_WP_MESSAGE_MAX - 1, format, args);
  va_end (args);
  error->message[GN_WP_MESSAGE_MAX - 1] = L'\0';
}

/* Formats one line for @log (nothing without one). */
void
gn_wp_log (GnWpLogFunc log, void *log_data, const wchar_t *format, ...)
{
  wchar_t buf[GN_WP_MESSAGE_MAX];
  va_list args;

  if (log == NULL)
    return;
  va_start (args, format);
  _vsnwprintf (buf, GN_WP_MESSAGE_MAX - 1, format, args);
  va_end (args);
  buf[GN_WP_MESSAGE_MAX - 1] = L'\0';
  log (buf, log_data);
}

static BOOL
wcs_equal0 (const wchar_t *a, const wchar_t *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return wcscmp (a, b) == 0;
}

static void
connection_clear (GnWpConnection *conn)
{
  free (conn->name);
  free (conn->server);
  free (conn->bypass);
  free (conn->pac_url);
  free (conn->blob);
  memset (conn, 0, sizeof *conn);
}

void
gn_wp_snapshot_clear (GnWpSnapshot *snap)
{
  for (unsigned i = 0; i < snap->n_connections; i++)
    connection_clear (&snap->connections[i]);
  snap->n_connections = 0;
  gn_wp_registry_values_clear (&snap->values);
}

/* Takes a GlobalAlloc'd string from WinINet, returns a malloc'd copy. */
static wchar_t *
take_wininet_string (wchar_t *s)
{
  wchar_t *copy = gn_wp_wcsdup (s);

  if (s != NULL)
    GlobalFree (s);
  return copy;
}

static BOOL
query_connection (const wchar_t *name, GnWpConnection *conn, GnWpError *error)
{
  INTERNET_PER_CONN_OPTIONW options[4];
  INTERNET_PER_CONN_OPTION_LISTW list;
  DWORD size = sizeof list;

  memset (options, 0, sizeof options);
  /* FLAGS_UI reports what the user sees (including auto-detect) on Windows 7
   * and later; older systems and Wine only know FLAGS. */
  options[0].dwOption = INTERNET_PER_CONN_FLAGS_UI;
  options[1].dwOption = INTERNET_PER_CONN_PROXY_SERVER;
  options[2].dwOption = INTERNET_PER_CONN_PROXY_BYPASS;
  options[3].dwOption = INTERNET_PER_CONN_AUTOCONFIG_URL;
  list.dwSize = sizeof list;
  list.pszConnection = (wchar_t *) name;
  list.dwOptionCount = 4;
  list.dwOptionError = 0;
  list.pOptions = options;

  if (!InternetQueryOptionW (NULL, INTERNET_OPTION_PER_CONNECTION_OPTION, &list, &size))
    {
      options[0].dwOption = INTERNET_PER_CONN_FLAGS;
      size = sizeof list;
      if (!InternetQueryOptionW (NULL, INTERNET_OPTION_PER_CONNECTION_OPTION, &list, &size))
        {
          DWORD code = GetLastError ();
          gn_wp_set_error (error, code,
                           L"Could not read the proxy settings of connection \"%ls\" (error %lu).",
                           name ? name : L"LAN", code);
          return FALSE;
        }
    }

  conn->name = gn_wp_wcsdup (name);
  conn->flags = options[0].Value.dwValue;
  conn->server = take_wininet_string (options[1].Value.pszValue);
  conn->bypass = take_wininet_string (options[2].Value.pszValue);
  conn->pac_url = take_wininet_string (options[3].Value.pszValue);
  gn_wp_blob_read (name, &conn->blob, &conn->blob_len);
  return TRUE;
}

/* RAS phone-book entries. Zero entries (or no RAS at all) is the usual case. */
static unsigned
enum_ras_entries (RASENTRYNAMEW **out)
{
  DWORD size = sizeof (RASENTRYNAMEW), count = 0, rc;
  RASENTRYNAMEW *entries = calloc (1, size);

  *out = NULL;
  if (entries == NULL)
    return 0;
  entries[0].dwSize = sizeof (RASENTRYNAMEW);
  rc = RasEnumEntriesW (NULL, NULL, entries, &size, &count);
  if (rc == ERROR_BUFFER_TOO_SMALL)
    {
      free (entries);
      entries = calloc (1, size);
      if (entries == NULL)
        return 0;
      entries[0].dwSize = sizeof (RASENTRYNAMEW);
      rc = RasEnumEntriesW (NULL, NULL, entries, &size, &count);
    }
  if (rc != ERROR_SUCCESS)
    count = 0;
  if (count == 0)
    {
      free (entries);
      return 0;
    }
  *out = entries;
  return count;
}

BOOL
gn_wp_snapshot (GnWpSnapshot *snap, GnWpError *error)
{
  RASENTRYNAMEW *entries = NULL;
  unsigned n_entries;

  memset (snap, 0, sizeof *snap);
  if (!query_connection (NULL, &snap->connections[0], error))
    return FALSE;
  snap->n_connections = 1;

  n_entries = enum_ras_entries (&entries);
  for (unsigned i = 0; i < n_entries && snap->n_connections < GN_WP_MAX_CONNECTIONS; i++)
    {
      if (!query_connection (entries[i].szEntryName,
                             &snap->connections[snap->n_connections], error))
        {
          free (entries);
          gn_wp_snapshot_clear (snap);
          return FALSE;
        }
      snap->n_connections++;
    }
  free (entries);

  gn_wp_registry_read (&snap->values);
  return TRUE;
}

static BOOL
set_connection (const wchar_t *name, DWORD flags, const wchar_t *server,
                const wchar_t *bypass, const wchar_t *pac_url, BOOL set_strings,
                BOOL set_pac)
{
  INTERNET_PER_CONN_OPTIONW options[4];
  INTERNET_PER_CONN_OPTION_LISTW list;
  DWORD n = 0;

  memset (options, 0, sizeof options);
  options[n].dwOption = INTERNET_PER_CONN_FLAGS;
  options[n++].Value.dwValue = flags;
  if (set_strings)
    {
      options[n].dwOption = INTERNET_PER_CONN_PROXY_SERVER;
      options[n++].Value.pszValue = (wchar_t *) server;
      options[n].dwOption = INTERNET_PER_CONN_PROXY_BYPASS;
      options[n++].Value.pszValue = (wchar_t *) bypass;
    }
  if (set_pac)
    {
      options[n].dwOption = INTERNET_PER_CONN_AUTOCONFIG_URL;
      options[n++].Value.pszValue = (wchar_t *) pac_url;
    }
  list.dwSize = sizeof list;
  list.pszConnection = (wchar_t *) name;
  list.dwOptionCount = n;
  list.dwOptionError = 0;
  list.pOptions = options;
  return InternetSetOptionW (NULL, INTERNET_OPTION_PER_CONNECTION_OPTION, &list, sizeof list);
}

void
gn_wp_notify_wininet (GnWpLogFunc log, void *log_data)
{
  if (!InternetSetOptionW (NULL, INTERNET_OPTION_SETTINGS_CHANGED, NULL, 0))
    gn_wp_log (log, log_data, L"Windows was not told about the new proxy settings "
                 L"(INTERNET_OPTION_SETTINGS_CHANGED, error %lu).", GetLastError ());
  /* Some systems (and Wine) refuse REFRESH without a session handle: the
   * settings are stored either way, so this is logged, never fatal. */
  if (!InternetSetOptionW (NULL, INTERNET_OPTION_REFRESH, NULL, 0))
    gn_wp_log (log, log_data, L"Running programs may keep the old proxy until they restart "
                 L"(INTERNET_OPTION_REFRESH, error %lu).", GetLastError ());
}

BOOL
gn_wp_validate_bypass (const wchar_t *bypass, GnWpError *error)
{
  size_t len;

  if (bypass == NULL)
    return TRUE;
  len = wcslen (bypass);
  if (len >= GN_WP_BYPASS_MAX)
    {
      gn_wp_set_error (error, ERROR_INVALID_PARAMETER,
                       L"The list of addresses that skip the proxy is %u characters long; "
                       L"Windows only keeps %u. Shorten it.", (unsigned) len,
                       (unsigned) GN_WP_BYPASS_MAX - 1);
      return FALSE;
    }
  for (size_t i = 0; i < len; i++)
    if (bypass[i] < 0x20 || bypass[i] == 0x7f)
      {
        gn_wp_set_error (error, ERROR_INVALID_PARAMETER,
                         L"The list of addresses that skip the proxy contains a control "
                         L"character at position %u.", (unsigned) i + 1);
        return FALSE;
      }
  return TRUE;
}

static void
format_server (unsigned port, wchar_t *buf, size_t len)
{
  _snwprintf (buf, len - 1, L"127.0.0.1:%u", port);
  buf[len - 1] = L'\0';
}

/* "127.0.0.1:3000" or "http=127.0.0.1:3000;https=127.0.0.1:3000". */
static BOOL
server_is_ours (const wchar_t *server, unsigned port)
{
  wchar_t ours[32];
  const wchar_t *p = server;
  size_t ours_len;
  BOOL any = FALSE;

  if (server == NULL)
    return FALSE;
  format_server (port, ours, 32);
  ours_len = wcslen (ours);
  while (*p != L'\0')
    {
      const wchar_t *end = wcschr (p, L';');
      const wchar_t *eq;
      size_t len = end ? (size_t) (end - p) : wcslen (p);

      eq = wmemchr (p, L'=', len);
      if (eq != NULL)
        {
          len -= (size_t) (eq + 1 - p);
          p = eq + 1;
        }
      if (len != 0)
        {
          if (len != ours_len || _wcsnicmp (p, ours, len) != 0)
            return FALSE;
          any = TRUE;
        }
      if (end == NULL)
        break;
      p = end + 1;
    }
  return any;
}

static BOOL
blob_string_equals (const char *s, DWORD len, const wchar_t *w)
{
  char buf[GN_WP_BYPASS_MAX * 2];
  int n;

  if (w == NULL)
    return len == 0;
  n = WideCharToMultiByte (CP_ACP, 0, w, -1, buf, sizeof buf, NULL, NULL);
  return n > 0 && (DWORD) (n - 1) == len && memcmp (buf, s, len) == 0;
}

BOOL
gn_wp_points_at_us (const GnWpConfig *config)
{
  GnWpConnection lan = { 0 };
  GnWpRegistryValues values = { 0 };
  GnWpBlob blob;
  BOOL have_blob, ours = FALSE;

  if (!query_connection (NULL, &lan, NULL))
    return FALSE;
  gn_wp_registry_read (&values);
  have_blob = lan.blob != NULL && gn_wp_blob_parse (lan.blob, lan.blob_len, &blob);

  /* Every source that says something must agree: another program may have
   * written only the registry, or only gone through WinINet. */
  if (config->pac_url != NULL)
    {
      ours = wcs_equal0 (values.autoconfig, config->pac_url)
             && !(lan.flags & PROXY_TYPE_PROXY)
             && (lan.pac_url == NULL || wcscmp (lan.pac_url, config->pac_url) == 0);
      if (ours && have_blob)
        ours = (blob.flags & PROXY_TYPE_AUTO_PROXY_URL)
               && blob_string_equals (blob.pac_url, blob.pac_url_len, config->pac_url);
    }
  else
    {
      ours = values.has_enable && values.enable != 0
             && server_is_ours (values.server, config->port)
             && (lan.flags & PROXY_TYPE_PROXY)
             && server_is_ours (lan.server, config->port);
      if (ours && have_blob)
        {
          wchar_t wide[64];
          int n = MultiByteToWideChar (CP_ACP, 0, blob.server, (int) blob.server_len, wide, 63);

          wide[n > 0 ? n : 0] = L'\0';
          ours = (blob.flags & PROXY_TYPE_PROXY) && server_is_ours (wide, config->port);
        }
    }
  connection_clear (&lan);
  gn_wp_registry_values_clear (&values);
  return ours;
}

static BOOL
verify_applied (const GnWpConfig *config, const wchar_t *server, const wchar_t *bypass,
                GnWpError *error)
{
  GnWpRegistryValues values = { 0 };
  BYTE *data = NULL;
  DWORD len = 0;
  GnWpBlob blob;
  const wchar_t *what = NULL;

  gn_wp_registry_read (&values);
  if (config->pac_url != NULL)
    {
      if (!wcs_equal0 (values.autoconfig, config->pac_url))
        what = L"AutoConfigURL";
    }
  else if (!values.has_enable || values.enable != 1)
    what = L"ProxyEnable";
  else if (!wcs_equal0 (values.server, server))
    what = L"ProxyServer";
  else if (!wcs_equal0 (values.override, bypass))
    what = L"ProxyOverride";

  if (what == NULL)
    {
      if (!gn_wp_blob_read (NULL, &data, &len) || !gn_wp_blob_parse (data, len, &blob))
        what = L"DefaultConnectionSettings";
      else if (config->pac_url != NULL)
        {
          if (blob.flags != (PROXY_TYPE_DIRECT | PROXY_TYPE_AUTO_PROXY_URL)
              || !blob_string_equals (blob.pac_url, blob.pac_url_len, config->pac_url))
            what = L"DefaultConnectionSettings";
        }
      else if (blob.flags != (PROXY_TYPE_DIRECT | PROXY_TYPE_PROXY)
               || !blob_string_equals (blob.server, blob.server_len, server)
               || !blob_string_equals (blob.bypass, blob.bypass_len, bypass))
        what = L"DefaultConnectionSettings";
    }
  free (data);
  gn_wp_registry_values_clear (&values);
  if (what != NULL)
    {
      gn_wp_set_error (error, ERROR_INVALID_DATA,
                       L"Windows did not keep the proxy settings GuardNest set (%ls differs). "
                       L"A policy set by your administrator may control the proxy.", what);
      return FALSE;
    }
  return TRUE;
}

BOOL
gn_wp_apply (const GnWpConfig *config, const GnWpSnapshot *before,
             GnWpLogFunc log, void *log_data, GnWpError *error)
{
  const wchar_t *bypass = config->bypass ? config->bypass : GN_WP_DEFAULT_BYPASS;
  GnWpRegistryValues want = { 0 };
  wchar_t server[32];
  BOOL ok;

  if (!gn_wp_validate_bypass (bypass, error))
    return FALSE;
  format_server (config->port, server, 32);

  for (unsigned i = 0; i < before->n_connections; i++)
    {
      const GnWpConnection *conn = &before->connections[i];
      BOOL pac = config->pac_url != NULL;

      ok = pac ? set_connection (conn->name, PROXY_TYPE_DIRECT | PROXY_TYPE_AUTO_PROXY_URL,
                                 NULL, NULL, config->pac_url, FALSE, TRUE)
               : set_connection (conn->name, PROXY_TYPE_DIRECT | PROXY_TYPE_PROXY,
                                 server, bypass, NULL, TRUE, FALSE);
      if (!ok)
        {
          DWORD code = GetLastError ();
          if (conn->name == NULL)
            {
              gn_wp_set_error (error, code, L"Windows refused the new proxy settings "
                               L"(error %lu).", code);
              return FALSE;
            }
          gn_wp_log (log, log_data, L"The dial-up connection \"%ls\" keeps its own proxy "
                       L"settings (error %lu).", conn->name, code);
          continue;
        }
      /* NULL strings keep what the blob had, as WinINet does. */
      if (!gn_wp_blob_write_fields (conn->name,
                                    pac ? PROXY_TYPE_DIRECT | PROXY_TYPE_AUTO_PROXY_URL
                                        : PROXY_TYPE_DIRECT | PROXY_TYPE_PROXY,
                                    pac ? NULL : server, pac ? NULL : bypass,
                                    pac ? config->pac_url : NULL,
                                    conn->blob, conn->blob_len, error))
        return FALSE;
    }

  /* The LAN mirror values, as the Internet Options dialog would leave them. */
  gn_wp_registry_read (&want);
  if (config->pac_url != NULL)
    {
      want.has_enable = TRUE;
      want.enable = 0;
      free (want.autoconfig);
      want.autoconfig = gn_wp_wcsdup (config->pac_url);
    }
  else
    {
      want.has_enable = TRUE;
      want.enable = 1;
      free (want.server);
      want.server = gn_wp_wcsdup (server);
      free (want.override);
      want.override = gn_wp_wcsdup (bypass);
      free (want.autoconfig);
      want.autoconfig = NULL;
    }
  ok = gn_wp_registry_write (&want, error);
  gn_wp_registry_values_clear (&want);
  if (!ok)
    return FALSE;

  gn_wp_notify_wininet (log, log_data);
  return verify_applied (config, server, bypass, error);
}

/* Sets one connection to exactly these values (NULL strings = empty), with
 * its registry mirror, and reads the LAN back to verify. Used by the GLib
 * adapter for settings that carry no raw snapshot (ours, or "no proxy"). */
BOOL
gn_wp_set_connection (const wchar_t *name, DWORD flags, const wchar_t *server,
                      const wchar_t *bypass, const wchar_t *pac_url,
                      GnWpLogFunc log, void *log_data, GnWpError *error)
{
  GnWpRegistryValues want = { 0 }, got = { 0 };
  BOOL ok;

  if (!gn_wp_validate_bypass (bypass, error))
    return FALSE;
  if (!set_connection (name, flags, server, bypass, pac_url, TRUE, TRUE))
    {
      DWORD code = GetLastError ();
      gn_wp_set_error (error, code, L"Windows refused the new proxy settings for \"%ls\" "
                       L"(error %lu).", name ? name : L"LAN", code);
      return FALSE;
    }
  if (!gn_wp_blob_write_fields (name, flags, server ? server : L"", bypass ? bypass : L"",
                                pac_url ? pac_url : L"", NULL, 0, error))
    return FALSE;
  if (name == NULL)
    {
      gn_wp_registry_read (&want);
      want.has_enable = TRUE;
      want.enable = (flags & PROXY_TYPE_PROXY) ? 1 : 0;
      if (server != NULL)
        {
          free (want.server);
          want.server = gn_wp_wcsdup (server);
        }
      free (want.override);
      want.override = bypass && *bypass ? gn_wp_wcsdup (bypass) : NULL;
      free (want.autoconfig);
      want.autoconfig = (flags & PROXY_TYPE_AUTO_PROXY_URL) && pac_url
                        ? gn_wp_wcsdup (pac_url) : NULL;
      ok = gn_wp_registry_write (&want, error);
      if (ok)
        {
          gn_wp_registry_read (&got);
          ok = got.has_enable && got.enable == want.enable
               && wcs_equal0 (got.server, want.server)
               && wcs_equal0 (got.override, want.override)
               && wcs_equal0 (got.autoconfig, want.autoconfig);
          if (!ok)
            gn_wp_set_error (error, ERROR_INVALID_DATA, L"Windows did not keep the proxy "
                             L"settings GuardNest set. A policy set by your administrator "
                             L"may control the proxy.");
        }
      gn_wp_registry_values_clear (&want);
      gn_wp_registry_values_clear (&got);
      if (!ok)
        return FALSE;
    }
  gn_wp_notify_wininet (log, log_data);
  return TRUE;
}

BOOL
gn_wp_restore (const GnWpSnapshot *snap, BOOL no_proxy_instead,
               GnWpLogFunc log, void *log_data, GnWpError *error)
{
  GnWpRegistryValues values = snap->values;
  BOOL ok = TRUE;

  for (unsigned i = 0; i < snap->n_connections; i++)
    {
      const GnWpConnection *conn = &snap->connections[i];
      DWORD flags = conn->flags;
      GnWpBlob blob;

      if (no_proxy_instead)
        flags &= ~(DWORD) PROXY_TYPE_PROXY;
      if (!set_connection (conn->name, flags, conn->server, conn->bypass, conn->pac_url,
                           TRUE, TRUE))
        {
          DWORD code = GetLastError ();
          gn_wp_set_error (error, code, L"Windows refused to put back your proxy settings "
                           L"for \"%ls\" (error %lu).", conn->name ? conn->name : L"LAN", code);
          ok = FALSE;
          continue;
        }
      /* Put the blob back as it was (counter bumped so readers notice). */
      if (conn->blob != NULL && gn_wp_blob_parse (conn->blob, conn->blob_len, &blob))
        {
          GnWpBlob fields = blob;
          BYTE *current = NULL;
          DWORD current_len = 0;
          GnWpBlob now;

          if (no_proxy_instead)
            fields.flags &= ~(DWORD) PROXY_TYPE_PROXY;
          if (gn_wp_blob_read (conn->name, &current, &current_len)
              && gn_wp_blob_parse (current, current_len, &now))
            fields.counter = now.counter + 1;
          free (current);
          {
            DWORD len = 0;
            BYTE *data = gn_wp_blob_build (&fields, &len);
            HKEY key;
            LONG rc = RegCreateKeyExW (HKEY_CURRENT_USER,
                                       L"Software\\Microsoft\\Windows\\CurrentVersion\\"
                                       L"Internet Settings\\Connections", 0, NULL, 0,
                                       KEY_SET_VALUE, NULL, &key, NULL);
            if (rc == ERROR_SUCCESS && data != NULL)
              {
                rc = RegSetValueExW (key, conn->name ? conn->name : L"DefaultConnectionSettings",
                                     0, REG_BINARY, data, len);
                RegCloseKey (key);
              }
            free (data);
            if (rc != ERROR_SUCCESS)
              {
                gn_wp_set_error (error, (DWORD) rc, L"Could not write your proxy settings "
                                 L"back to the registry (error %ld).", rc);
                ok = FALSE;
              }
          }
        }
      else if (conn->blob == NULL)
        {
          /* There was none before: remove the one apply created. */
          HKEY key;
          if (RegOpenKeyExW (HKEY_CURRENT_USER,
                             L"Software\\Microsoft\\Windows\\CurrentVersion\\"
                             L"Internet Settings\\Connections", 0, KEY_SET_VALUE,
                             &key) == ERROR_SUCCESS)
            {
              RegDeleteValueW (key, conn->name ? conn->name : L"DefaultConnectionSettings");
              RegCloseKey (key);
            }
        }
    }

  if (no_proxy_instead)
    {
      values.has_enable = TRUE;
      values.enable = 0;
    }
  if (!gn_wp_registry_write (&values, ok ? error : NULL))
    ok = FALSE;
  gn_wp_notify_wininet (log, log_data);
  return ok;
}

/* The dead-loopback rule: the snapshot's manual proxy is on this machine and
 * nothing answers there (a tool that crashed or was removed left it behind). */
BOOL
gn_wp_snapshot_loopback_dead (const GnWpSnapshot *snap, unsigned our_port)
{
  const GnWpConnection *lan = &snap->connections[0];
  wchar_t host[256];
  const wchar_t *p, *colon, *end;
  unsigned long port;
  size_t len;
  WSADATA wsa;
  SOCKET s;
  struct sockaddr_in addr;
  BOOL dead = FALSE;

  if (snap->n_connections == 0 || !(lan->flags & PROXY_TYPE_PROXY) || lan->server == NULL)
    return FALSE;
  /* A snapshot that is ourselves (its journal was lost) dies with us. */
  if (server_is_ours (lan->server, our_port))
    return TRUE;
  p = lan->server;
  end = wcschr (p, L';');
  len = end ? (size_t) (end - p) : wcslen (p);
  if (wmemchr (p, L'=', len) != NULL)
    {
      const wchar_t *eq = wmemchr (p, L'=', len);
      len -= (size_t) (eq + 1 - p);
      p = eq + 1;
    }
  if (len == 0 || len >= 256)
    return FALSE;
  wmemcpy (host, p, len);
  host[len] = L'\0';
  colon = wcsrchr (host, L':');
  if (colon == NULL)
    return FALSE;
  port = wcstoul (colon + 1, NULL, 10);
  host[colon - host] = L'\0';
  if (port == 0 || port > 65535)
    return FALSE;
  if (wcscmp (host, L"localhost") != 0 && wcsncmp (host, L"127.", 4) != 0
      && wcscmp (host, L"[::1]") != 0)
    return FALSE;

  if (WSAStartup (MAKEWORD (2, 2), &wsa) != 0)
    return FALSE;
  s = socket (AF_INET, SOCK_STREAM, IPPROTO_TCP);
  if (s != INVALID_SOCKET)
    {
      u_long nonblocking = 1;
      fd_set wfds, efds;
      struct timeval tv = { 0, 500 * 1000 };

      memset (&addr, 0, sizeof addr);
      addr.sin_family = AF_INET;
      addr.sin_port = htons ((u_short) port);
      addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
      ioctlsocket (s, FIONBIO, &nonblocking);
      if (connect (s, (struct sockaddr *) &addr, sizeof addr) == 0)
        dead = FALSE;
      else if (WSAGetLastError () != WSAEWOULDBLOCK)
        dead = TRUE;
      else
        {
          FD_ZERO (&wfds);
          FD_ZERO (&efds);
          FD_SET (s, &wfds);
          FD_SET (s, &efds);
          if (select (0, NULL, &wfds, &efds, &tv) <= 0 || FD_ISSET (s, &efds))
            dead = TRUE;
        }
      closesocket (s);
    }
  WSACleanup ();
  return dead;
}
