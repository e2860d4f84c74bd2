/* gn-winproxy-registry.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The registry mirror of the proxy settings: the LAN values under
 * HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings
 * (ProxyEnable, ProxyServer, ProxyOverride, AutoConfigURL) and the binary
 * per-connection blobs under its Connections subkey
 * (DefaultConnectionSettings for the LAN, one value per RAS entry name).
 *
 * Blob layout (little-endian, as written by WinINet since IE 5):
 *   DWORD version      (0x46 on current Windows, 0x3C on old ones)
 *   DWORD counter      (bumped on every change so readers notice)
 *   DWORD flags        (PROXY_TYPE_DIRECT 1, _PROXY 2, _AUTO_PROXY_URL 4,
 *                       _AUTO_DETECT 8)
 *   DWORD n, n bytes   proxy server (ANSI, no terminator)
 *   DWORD n, n bytes   bypass list
 *   DWORD n, n bytes   auto-config (PAC) URL
 *   ...                auto-detect state; we keep these bytes untouched
 *
 * Threading: stateless; callable from any thread.
 */
#include "gn-winproxy.h"

#include <stdlib.h>
#include <string.h>

#define SETTINGS_KEY L"Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings"
#define CONNECTIONS_KEY SETTINGS_KEY L"\\Connections"
#define MAX_VALUE_BYTES (64 * 1024)
#define BLOB_VERSION 0x46
#define BLOB_DEFAULT_TAIL 32

static DWORD
read_le32 (const BYTE *p)
{
  return (DWORD) p[0] | (DWORD) p[1] << 8 | (DWORD) p[2] << 16 | (DWORD) p[3] << 24;
}

static void
write_le32 (BYTE *p, DWORD v)
{
  p[0] = (BYTE) v;
  p[1] = (BYTE) (v >> 8);
  p[2] = (BYTE) (v >> 16);
  p[3] = (BYTE) (v >> 24);
}

BOOL
gn_wp_blob_parse (const BYTE *data, DWORD len, GnWpBlob *out)
{
  DWORD pos = 12;
  const char **strings[3] = { &out->server, &out->bypass, &out->pac_url };
  DWORD *lengths[3] = { &out->server_len, &out->bypass_len, &out->pac_url_len };

  memset (out, 0, sizeof *out);
  if (data == NULL || len < 12 + 3 * 4)
    return FALSE;
  out->version = read_le32 (data);
  out->counter = read_le32 (data + 4);
  out->flags = read_le32 (data + 8);
  for (int i = 0; i < 3; i++)
    {
      DWORD n;

      if (len - pos < 4)
        return FALSE;
      n = read_le32 (data + pos);
      pos += 4;
      if (n > len - pos)
        return FALSE;
      *strings[i] = (const char *) data + pos;
      *lengths[i] = n;
      pos += n;
    }
  out->tail = data + pos;
  out->tail_len = len - pos;
  return TRUE;
}

BYTE *
gn_wp_blob_build (const GnWpBlob *fields, DWORD *out_len)
{
  DWORD len = 12 + 4 + fields->server_len + 4 + fields->bypass_len + 4 + fields->pac_url_len
              + fields->tail_len;
  BYTE *data = calloc (1, len), *p;

  if (data == NULL)
    return NULL;
  write_le32 (data, fields->version);
  write_le32 (data + 4, fields->counter);
  write_le32 (data + 8, fields->flags);
  p = data + 12;
  write_le32 (p, fields->server_len);
  memcpy (p + 4, fields->server, fields->server_len);
  p += 4 + fields->server_len;
  write_le32 (p, fields->bypass_len);
  memcpy (p + 4, fields->bypass, fields->bypass_len);
  p += 4 + fields->bypass_len;
  write_le32 (p, fields->pac_url_len);
  memcpy (p + 4, fields->pac_url, fields->pac_url_len);
  p += 4 + fields->pac_url_len;
  if (fields->tail_len > 0)
    memcpy (p, fields->tail, fields->tail_len);
  *out_len = len;
  return data;
}

static wchar_t *
read_string (HKEY key, const wchar_t *name)
{
  DWORD type, size = 0;
  wchar_t *value;

  if (RegQueryValueExW (key, name, NULL, &type, NULL, &size) != ERROR_SUCCESS
      || (type != REG_SZ && type != REG_EXPAND_SZ) || size > MAX_VALUE_BYTES)
    return NULL;
  value = calloc (1, size + 2 * sizeof (wchar_t));
  if (value == NULL)
    return NULL;
  if (RegQueryValueExW (key, name, NULL, &type, (BYTE *) value, &size) != ERROR_SUCCESS)
    {
      free (value);
      return NULL;
    }
  value[size / sizeof (wchar_t)] = L'\0';
  return value;
}

void
gn_wp_registry_values_clear (GnWpRegistryValues *values)
{
  free (values->server);
  free (values->override);
  free (values->autoconfig);
  memset (values, 0, sizeof *values);
}

BOOL
gn_wp_registry_read (GnWpRegistryValues *values)
{
  HKEY key;
  DWORD type, size = sizeof (DWORD);

  memset (values, 0, sizeof *values);
  if (RegOpenKeyExW (HKEY_CURRENT_USER, SETTINGS_KEY, 0, KEY_READ, &key) != ERROR_SUCCESS)
    return FALSE;
  /* ProxyEnable is a DWORD; a few old tools wrote it as 4 bytes of binary. */
  if (RegQueryValueExW (key, L"ProxyEnable", NULL, &type, (BYTE *) &values->enable,
                        &size) == ERROR_SUCCESS
      && (type == REG_DWORD || type == REG_BINARY) && size == sizeof (DWORD))
    values->has_enable = TRUE;
  else
    values->enable = 0;
  values->server = read_string (key, L"ProxyServer");
  values->override = read_string (key, L"ProxyOverride");
  values->autoconfig = read_string (key, L"AutoConfigURL");
  RegCloseKey (key);
  return TRUE;
}

static LONG
write_string (HKEY key, const wchar_t *name, const wchar_t *old, const wchar_t *value)
{
  if (value == NULL)
    {
      LONG rc;
      if (old == NULL)
        return ERROR_SUCCESS;
      rc = RegDeleteValueW (key, name);
      return rc == ERROR_FILE_NOT_FOUND ? ERROR_SUCCESS : rc;
    }
  if (old != NULL && wcscmp (old, value) == 0)
    return ERROR_SUCCESS;
  return RegSetValueExW (key, name, 0, REG_SZ, (const BYTE *) value,
                         (DWORD) ((wcslen (value) + 1) * sizeof (wchar_t)));
}

/* Writes only what differs, so a no-op reconcile does not wake watchers. */
BOOL
gn_wp_registry_write (const GnWpRegistryValues *values, GnWpError *error)
{
  GnWpRegistryValues now;
  HKEY key;
  LONG rc;

  gn_wp_registry_read (&now);
  rc = RegCreateKeyExW (HKEY_CURRENT_USER, SETTINGS_KEY, 0, NULL, 0,
                        KEY_READ | KEY_SET_VALUE, NULL, &key, NULL);
  if (rc == ERROR_SUCCESS)
    {
      if (!values->has_enable && now.has_enable)
        {
          rc = RegDeleteValueW (key, L"ProxyEnable");
          if (rc == ERROR_FILE_NOT_FOUND)
            rc = ERROR_SUCCESS;
        }
      else if (values->has_enable && (!now.has_enable || now.enable != values->enable))
        rc = RegSetValueExW (key, L"ProxyEnable", 0, REG_DWORD,
                             (const BYTE *) &values->enable, sizeof (DWORD));
      if (rc == ERROR_SUCCESS)
        rc = write_string (key, L"ProxyServer", now.server, values->server);
      if (rc == ERROR_SUCCESS)
        rc = write_string (key, L"ProxyOverride", now.override, values->override);
      if (rc == ERROR_SUCCESS)
        rc = write_string (key, L"AutoConfigURL", now.autoconfig, values->autoconfig);
      RegCloseKey (key);
    }
  gn_wp_registry_values_clear (&now);
  if (rc != ERROR_SUCCESS)
    {
      gn_wp_set_error (error, (DWORD) rc, L"Could not write the proxy settings to the "
                       L"registry (error %ld).", rc);
      return FALSE;
    }
  return TRUE;
}

BOOL
gn_wp_blob_read (const wchar_t *connection, BYTE **data, DWORD *len)
{
  HKEY key;
  DWORD type, size = 0;
  const wchar_t *name = connection ? connection : L"DefaultConnectionSettings";
  BOOL ok = FALSE;

  *data = NULL;
  *len = 0;
  if (RegOpenKeyExW (HKEY_CURRENT_USER, CONNECTIONS_KEY, 0, KEY_READ, &key) != ERROR_SUCCESS)
    return FALSE;
  if (RegQueryValueExW (key, name, NULL, &type, NULL, &size) == ERROR_SUCCESS
      && type == REG_BINARY && size > 0 && size <= MAX_VALUE_BYTES)
    {
      *data = malloc (size);
      if (*data != NULL
          && RegQueryValueExW (key, name, NULL, &type, *data, &size) == ERROR_SUCCESS)
        {
          *len = size;
          ok = TRUE;
        }
      else
        {
          free (*data);
          *data = NULL;
        }
    }
  RegCloseKey (key);
  return ok;
}

static char *
to_ansi (const wchar_t *s, DWORD *len)
{
  int n = WideCharToMultiByte (CP_ACP, 0, s, -1, NULL, 0, NULL, NULL);
  char *out;

  if (n <= 0 || n > MAX_VALUE_BYTES)
    return NULL;
  out = malloc ((size_t) n);
  if (out == NULL)
    return NULL;
  WideCharToMultiByte (CP_ACP, 0, s, -1, out, n, NULL, NULL);
  *len = (DWORD) n - 1;
  return out;
}

static BOOL
same_bytes (const char *a, DWORD a_len, const char *b, DWORD b_len)
{
  return a_len == b_len && (a_len == 0 || memcmp (a, b, a_len) == 0);
}

/* Sets the blob's flags and strings (NULL = keep the current one), keeping
 * version and the auto-detect tail; writes only if something changed. */
BOOL
gn_wp_blob_write_fields (const wchar_t *connection, DWORD flags, const wchar_t *server,
                         const wchar_t *bypass, const wchar_t *pac_url,
                         const BYTE *template_blob, DWORD template_len, GnWpError *error)
{
  static const BYTE zero_tail[BLOB_DEFAULT_TAIL] = { 0 };
  BYTE *current = NULL, *data = NULL;
  DWORD current_len = 0, len = 0;
  GnWpBlob base, fields;
  char *s = NULL, *b = NULL, *p = NULL;
  BOOL ok = FALSE;
  LONG rc = ERROR_OUTOFMEMORY;
  HKEY key;

  if (!(gn_wp_blob_read (connection, &current, &current_len)
        && gn_wp_blob_parse (current, current_len, &base))
      && !gn_wp_blob_parse (template_blob, template_len, &base))
    {
      memset (&base, 0, sizeof base);
      base.version = BLOB_VERSION;
      base.tail = zero_tail;
      base.tail_len = BLOB_DEFAULT_TAIL;
    }
  fields = base;
  fields.flags = flags;
  if (server != NULL && (s = to_ansi (server, &fields.server_len)) == NULL)
    goto out;
  if (bypass != NULL && (b = to_ansi (bypass, &fields.bypass_len)) == NULL)
    goto out;
  if (pac_url != NULL && (p = to_ansi (pac_url, &fields.pac_url_len)) == NULL)
    goto out;
  if (s != NULL)
    fields.server = s;
  if (b != NULL)
    fields.bypass = b;
  if (p != NULL)
    fields.pac_url = p;

  if (current != NULL && fields.flags == base.flags
      && same_bytes (fields.server, fields.server_len, base.server, base.server_len)
      && same_bytes (fields.bypass, fields.bypass_len, base.bypass, base.bypass_len)
      && same_bytes (fields.pac_url, fields.pac_url_len, base.pac_url, base.pac_url_len))
    {
      ok = TRUE;
      goto out;
    }
  fields.counter = base.counter + 1;
  data = gn_wp_blob_build (&fields, &len);
  if (data == NULL)
    goto out;
  rc = RegCreateKeyExW (HKEY_CURRENT_USER, CONNECTIONS_KEY, 0, NULL, 0, KEY_SET_VALUE, NULL,
                        &key, NULL);
  if (rc == ERROR_SUCCESS)
    {
      rc = RegSetValueExW (key, connection ? connection : L"DefaultConnectionSettings", 0,
                           REG_BINARY, data, len);
      RegCloseKey (key);
    }
  ok = rc == ERROR_SUCCESS;

out:
  if (!ok)
    gn_wp_set_error (error, (DWORD) rc, L"Could not write the proxy settings of \"%ls\" to "
                     L"the registry (error %ld).", connection ? connection : L"LAN", rc);
  free (current);
  free (data);
  free (s);
  free (b);
  free (p);
  return ok;
}
