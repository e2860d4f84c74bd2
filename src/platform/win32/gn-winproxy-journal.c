/* gn-winproxy-journal.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The journal: the user's proxy settings, written before GuardNest changes
 * anything, read back by disable, by the next start and by
 * guardnest-repair.exe after a crash or power loss.
 *
 * Why a file and not HKCU\Software\GuardNest\Journal: the file sits in the
 * same per-user state folder as the Linux JSON journal
 * (%LOCALAPPDATA%\GuardNest, which is GLib's g_get_user_state_dir() on
 * Windows), it is replaced atomically as a whole (temp file + FlushFileBuffers +
 * MoveFileExW(MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) where a
 * group of registry values could be left half-written, and a user or support
 * person can read it. It is a line format rather than JSON so that the
 * repair tool parses it without GLib: a header line, "key tag payload" lines
 * (tag "-" absent, "s" UTF-8 string with %XX escapes, "d" decimal, "x" hex
 * bytes) and a final "end" line, so a truncated file is rejected, never
 * half-applied.
 *
 * Threading: stateless; callable from any thread.
 */
#include "gn-winproxy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JOURNAL_HEADER "GuardNest proxy journal 1"
#define JOURNAL_MAX_BYTES (1024 * 1024)

typedef struct {
  char  *data;
  size_t len, alloc;
  BOOL   failed;
} Buf;

static void
buf_append (Buf *buf, const char *s, size_t n)
{
  if (buf->failed)
    return;
  if (buf->len + n + 1 > buf->alloc)
    {
      size_t alloc = buf->alloc ? buf->alloc : 1024;
      char *data;

      while (buf->len + n + 1 > alloc)
        alloc *= 2;
      if (alloc > JOURNAL_MAX_BYTES || (data = realloc (buf->data, alloc)) == NULL)
        {
          buf->failed = TRUE;
          return;
        }
      buf->data = data;
      buf->alloc = alloc;
    }
  memcpy (buf->data + buf->len, s, n);
  buf->len += n;
  buf->data[buf->len] = '\0';
}

static void
buf_puts (Buf *buf, const char *s)
{
  buf_append (buf, s, strlen (s));
}

static void
put_string (Buf *buf, const char *key, const wchar_t *value)
{
  static const char hex[] = "0123456789ABCDEF";
  char *utf8;
  int n;

  buf_puts (buf, key);
  if (value == NULL)
    {
      buf_puts (buf, " -\n");
      return;
    }
  buf_puts (buf, " s ");
  n = WideCharToMultiByte (CP_UTF8, 0, value, -1, NULL, 0, NULL, NULL);
  utf8 = n > 0 ? malloc ((size_t) n) : NULL;
  if (utf8 == NULL)
    {
      buf->failed = TRUE;
      return;
    }
  WideCharToMultiByte (CP_UTF8, 0, value, -1, utf8, n, NULL, NULL);
  for (const unsigned char *p = (const unsigned char *) utf8; *p; p++)
    {
      if (*p < 0x20 || *p == '%' || *p == 0x7f)
        {
          char esc[3] = { '%', hex[*p >> 4], hex[*p & 15] };
          buf_append (buf, esc, 3);
        }
      else
        buf_append (buf, (const char *) p, 1);
    }
  free (utf8);
  buf_puts (buf, "\n");
}

static void
put_dword (Buf *buf, const char *key, BOOL present, DWORD value)
{
  char line[64];

  if (present)
    snprintf (line, sizeof line, "%s d %lu\n", key, (unsigned long) value);
  else
    snprintf (line, sizeof line, "%s -\n", key);
  buf_puts (buf, line);
}

static void
put_bytes (Buf *buf, const char *key, const BYTE *data, DWORD len)
{
  static const char hex[] = "0123456789abcdef";

  buf_puts (buf, key);
  if (data == NULL)
    {
      buf_puts (buf, " -\n");
      return;
    }
  buf_puts (buf, " x ");
  for (DWORD i = 0; i < len; i++)
    {
      char pair[2] = { hex[data[i] >> 4], hex[data[i] & 15] };
      buf_append (buf, pair, 2);
    }
  buf_puts (buf, "\n");
}

BOOL
gn_wp_journal_default_path (wchar_t *path, DWORD path_len)
{
  wchar_t base[MAX_PATH];
  DWORD n = GetEnvironmentVariableW (L"LOCALAPPDATA", base, MAX_PATH);

  if (n == 0 || n >= MAX_PATH)
    return FALSE;
  return _snwprintf (path, path_len, L"%ls\\GuardNest\\proxy-journal.txt", base) > 0;
}

static void
ensure_parent_dir (const wchar_t *path)
{
  wchar_t dir[MAX_PATH];
  wchar_t *slash;

  if (wcslen (path) >= MAX_PATH)
    return;
  wcscpy (dir, path);
  slash = wcsrchr (dir, L'\\');
  if (slash == NULL)
    return;
  *slash = L'\0';
  CreateDirectoryW (dir, NULL);
}

BOOL
gn_wp_journal_write (const wchar_t *path, const GnWpConfig *config,
                     const GnWpSnapshot *snap, GnWpError *error)
{
  Buf buf = { 0 };
  wchar_t tmp[MAX_PATH + 8];
  HANDLE file;
  DWORD written = 0;
  BOOL ok;

  buf_puts (&buf, JOURNAL_HEADER "\n");
  put_dword (&buf, "port", TRUE, config->port);
  put_string (&buf, "pac", config->pac_url);
  put_string (&buf, "bypass", config->bypass);
  put_dword (&buf, "enable", snap->values.has_enable, snap->values.enable);
  put_string (&buf, "server", snap->values.server);
  put_string (&buf, "override", snap->values.override);
  put_string (&buf, "autoconfig", snap->values.autoconfig);
  for (unsigned i = 0; i < snap->n_connections; i++)
    {
      const GnWpConnection *c = &snap->connections[i];
      put_string (&buf, "connection", c->name);
      put_dword (&buf, "flags", TRUE, c->flags);
      put_string (&buf, "cserver", c->server);
      put_string (&buf, "cbypass", c->bypass);
      put_string (&buf, "cpac", c->pac_url);
      put_bytes (&buf, "blob", c->blob, c->blob_len);
    }
  buf_puts (&buf, "end\n");
  if (buf.failed)
    {
      free (buf.data);
      gn_wp_set_error (error, ERROR_OUTOFMEMORY, L"Your proxy settings are too large to save.");
      return FALSE;
    }

  _snwprintf (tmp, MAX_PATH + 8, L"%ls.tmp", path);
  tmp[MAX_PATH + 7] = L'\0';
  ensure_parent_dir (path);
  file = CreateFileW (tmp, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
  if (file == INVALID_HANDLE_VALUE)
    {
      DWORD code = GetLastError ();
      free (buf.data);
      gn_wp_set_error (error, code, L"Could not save your proxy settings to \"%ls\" "
                       L"(error %lu); nothing was changed.", tmp, code);
      return FALSE;
    }
  ok = WriteFile (file, buf.data, (DWORD) buf.len, &written, NULL) && written == buf.len
       && FlushFileBuffers (file);
  CloseHandle (file);
  free (buf.data);
  if (ok)
    ok = MoveFileExW (tmp, path, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH);
  if (!ok)
    {
      DWORD code = GetLastError ();
      DeleteFileW (tmp);
      gn_wp_set_error (error, code, L"Could not save your proxy settings to \"%ls\" "
                       L"(error %lu); nothing was changed.", path, code);
    }
  return ok;
}

static int
hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Parses one payload into *out; returns FALSE on malformed input. */
static BOOL
parse_string (char tag, char *payload, wchar_t **out)
{
  char *w = payload;
  int n;

  *out = NULL;
  if (tag == '-')
    return TRUE;
  if (tag != 's')
    return FALSE;
  for (char *r = payload; *r; r++)
    {
      if (*r == '%')
        {
          int hi = hex_value (r[1]), lo = hi < 0 ? -1 : hex_value (r[2]);
          if (lo < 0)
            return FALSE;
          *w++ = (char) (hi << 4 | lo);
          r += 2;
        }
      else
        *w++ = *r;
    }
  *w = '\0';
  n = MultiByteToWideChar (CP_UTF8, MB_ERR_INVALID_CHARS, payload, -1, NULL, 0);
  if (n <= 0)
    return FALSE;
  *out = malloc ((size_t) n * sizeof (wchar_t));
  if (*out == NULL)
    return FALSE;
  MultiByteToWideChar (CP_UTF8, 0, payload, -1, *out, n);
  return TRUE;
}

static BOOL
parse_dword (char tag, const char *payload, BOOL *present, DWORD *out)
{
  char *end;
  unsigned long v;

  *present = FALSE;
  *out = 0;
  if (tag == '-')
    return TRUE;
  if (tag != 'd' || *payload == '\0')
    return FALSE;
  v = strtoul (payload, &end, 10);
  if (*end != '\0' || v > 0xfffffffful)
    return FALSE;
  *present = TRUE;
  *out = (DWORD) v;
  return TRUE;
}

static BOOL
parse_bytes (char tag, const char *payload, BYTE **out, DWORD *len)
{
  size_t n = strlen (payload);

  *out = NULL;
  *len = 0;
  if (tag == '-')
    return TRUE;
  if (tag != 'x' || n % 2 != 0 || n == 0)
    return FALSE;
  *out = malloc (n / 2);
  if (*out == NULL)
    return FALSE;
  for (size_t i = 0; i < n / 2; i++)
    {
      int hi = hex_value (payload[2 * i]), lo = hex_value (payload[2 * i + 1]);
      if (hi < 0 || lo < 0)
        {
          free (*out);
          *out = NULL;
          return FALSE;
        }
      (*out)[i] = (BYTE) (hi << 4 | lo);
    }
  *len = (DWORD) (n / 2);
  return TRUE;
}

static BOOL
parse_journal (char *text, unsigned *port, wchar_t **pac_url, wchar_t **bypass,
               GnWpSnapshot *snap, unsigned *bad_line)
{
  char *line = text, *next;
  unsigned lineno = 0;
  BOOL seen_end = FALSE, have_port = FALSE;
  GnWpConnection *conn = NULL;

  for (; line != NULL && *line != '\0'; line = next)
    {
      char *key, *tag, *payload = (char *) "";
      BOOL ok = TRUE, present;
      DWORD v;

      lineno++;
      *bad_line = lineno;
      next = strchr (line, '\n');
      if (next != NULL)
        *next++ = '\0';
      if (seen_end)
        return FALSE;
      if (lineno == 1)
        {
          if (strcmp (line, JOURNAL_HEADER) != 0)
            return FALSE;
          continue;
        }
      if (strcmp (line, "end") == 0)
        {
          seen_end = TRUE;
          continue;
        }
      key = line;
      tag = strchr (line, ' ');
      if (tag == NULL || tag[1] == '\0' || (tag[2] != '\0' && tag[2] != ' '))
        return FALSE;
      *tag++ = '\0';
      if (tag[1] == ' ')
        payload = tag + 2;

      if (strcmp (key, "port") == 0)
        ok = parse_dword (*tag, payload, &have_port, &v) && have_port && v > 0 && v < 65536
             && (*port = v, TRUE);
      else if (strcmp (key, "pac") == 0 && *pac_url == NULL)
        ok = parse_string (*tag, payload, pac_url);
      else if (strcmp (key, "bypass") == 0 && *bypass == NULL)
        ok = parse_string (*tag, payload, bypass);
      else if (strcmp (key, "enable") == 0)
        ok = parse_dword (*tag, payload, &snap->values.has_enable, &snap->values.enable);
      else if (strcmp (key, "server") == 0 && snap->values.server == NULL)
        ok = parse_string (*tag, payload, &snap->values.server);
      else if (strcmp (key, "override") == 0 && snap->values.override == NULL)
        ok = parse_string (*tag, payload, &snap->values.override);
      else if (strcmp (key, "autoconfig") == 0 && snap->values.autoconfig == NULL)
        ok = parse_string (*tag, payload, &snap->values.autoconfig);
      else if (strcmp (key, "connection") == 0)
        {
          if (snap->n_connections >= GN_WP_MAX_CONNECTIONS)
            return FALSE;
          conn = &snap->connections[snap->n_connections++];
          ok = parse_string (*tag, payload, &conn->name);
          /* The LAN comes first and only there. */
          if (ok && (snap->n_connections == 1) != (conn->name == NULL))
            ok = FALSE;
        }
      else if (conn != NULL && strcmp (key, "flags") == 0)
        ok = parse_dword (*tag, payload, &present, &conn->flags) && present;
      else if (conn != NULL && strcmp (key, "cserver") == 0 && conn->server == NULL)
        ok = parse_string (*tag, payload, &conn->server);
      else if (conn != NULL && strcmp (key, "cbypass") == 0 && conn->bypass == NULL)
        ok = parse_string (*tag, payload, &conn->bypass);
      else if (conn != NULL && strcmp (key, "cpac") == 0 && conn->pac_url == NULL)
        ok = parse_string (*tag, payload, &conn->pac_url);
      else if (conn != NULL && strcmp (key, "blob") == 0 && conn->blob == NULL)
        ok = parse_bytes (*tag, payload, &conn->blob, &conn->blob_len);
      else
        ok = FALSE;
      if (!ok)
        return FALSE;
    }
  return seen_end && have_port && snap->n_connections >= 1;
}

BOOL
gn_wp_journal_read (const wchar_t *path, unsigned *port, wchar_t **pac_url,
                    wchar_t **bypass, GnWpSnapshot *snap, GnWpError *error)
{
  HANDLE file;
  LARGE_INTEGER size;
  char *text;
  DWORD got = 0;
  unsigned bad_line = 0;

  *port = 0;
  *pac_url = NULL;
  *bypass = NULL;
  memset (snap, 0, sizeof *snap);
  file = CreateFileW (path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
                      FILE_ATTRIBUTE_NORMAL, NULL);
  if (file == INVALID_HANDLE_VALUE)
    {
      DWORD code = GetLastError ();
      gn_wp_set_error (error, code, L"Could not open the saved proxy settings \"%ls\" "
                       L"(error %lu).", path, code);
      return FALSE;
    }
  if (!GetFileSizeEx (file, &size) || size.QuadPart > JOURNAL_MAX_BYTES)
    {
      CloseHandle (file);
      gn_wp_set_error (error, ERROR_FILE_INVALID, L"The saved proxy settings \"%ls\" are "
                       L"not a GuardNest journal (too large); they were left untouched.", path);
      return FALSE;
    }
  text = malloc ((size_t) size.QuadPart + 1);
  if (text == NULL || !ReadFile (file, text, (DWORD) size.QuadPart, &got, NULL)
      || got != (DWORD) size.QuadPart)
    {
      DWORD code = GetLastError ();
      free (text);
      CloseHandle (file);
      gn_wp_set_error (error, code, L"Could not read the saved proxy settings \"%ls\" "
                       L"(error %lu).", path, code);
      return FALSE;
    }
  CloseHandle (file);
  text[got] = '\0';
  if (strlen (text) != got || !parse_journal (text, port, pac_url, bypass, snap, &bad_line))
    {
      free (text);
      free (*pac_url);
      free (*bypass);
      *pac_url = *bypass = NULL;
      gn_wp_snapshot_clear (snap);
      gn_wp_set_error (error, ERROR_FILE_INVALID, L"The saved proxy settings \"%ls\" are "
                       L"damaged (line %u); they were left untouched and nothing was "
                       L"restored.", path, bad_line);
      return FALSE;
    }
  free (text);
  return TRUE;
}

BOOL
gn_wp_journal_exists (const wchar_t *path)
{
  return GetFileAttributesW (path) != INVALID_FILE_ATTRIBUTES;
}

BOOL
gn_wp_journal_remove (const wchar_t *path, GnWpError *error)
{
  if (!DeleteFileW (path) && GetLastError () != ERROR_FILE_NOT_FOUND)
    {
      DWORD code = GetLastError ();
      gn_wp_set_error (error, code, L"Could not delete the saved proxy settings \"%ls\" "
                       L"(error %lu).", path, code);
      return FALSE;
    }
  return TRUE;
}

BOOL
gn_wp_journal_previous_path (const wchar_t *journal, wchar_t *path, DWORD path_len)
{
  size_t len = wcslen (journal);

  if (len + 10 > path_len)
    return FALSE;
  wcscpy (path, journal);
  wcscat (path, L".previous");
  return TRUE;
}
