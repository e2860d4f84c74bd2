/* gn-os-proxy-windows.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Windows backend of GnOsProxy: a GLib adapter over the pure Win32 core
 * in win32/ (gn-winproxy.h), which does the real work and is tested under
 * Wine. One GnOsProxyEntry per connection: the LAN settings (connection NULL)
 * and every RAS/dial-up/VPN entry, by name. An entry's `raw` keeps what an
 * exact restore needs: the WinINet flags and strings as Windows had them, the
 * Connections blob byte for byte and, for the LAN, the "Internet Settings"
 * registry values (present or absent).
 *
 * Besides the GnOsProxyGuard's JSON journal, this backend keeps the core's
 * GLib-free journal (%LOCALAPPDATA%\GuardNest\proxy-journal.txt) so that
 * guardnest-repair.exe, run by the RunOnce entry at the next logon or by the
 * uninstaller, can restore without GTK. Writing settings that point at
 * loopback ("ours") first saves that journal, then applies, then adds the
 * RunOnce entry, claims the owner mutex and opens the hidden top-level
 * window that restores at log-off; writing anything else (a restore) undoes
 * all four.
 *
 * Threading: created and used on one thread (normally the main thread);
 * "changed" is emitted on that thread's thread-default main context. The
 * core's registry watch and the session window call back on their own worker
 * threads; `lock` serialises every core transaction between them.
 */

#include <glib/gi18n.h>

#include "gn-os-proxy-private.h"
#include "gn-os-proxy-windows-private.h"
#include "gn-names.h"
#include "gn-winproxy.h"

#include <wininet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

G_DEFINE_FINAL_TYPE (GnOsProxyWindows, gn_os_proxy_windows, GN_TYPE_OS_PROXY)

static const char * const windows_bypass[] = {
  "localhost", "127.*", "10.*",
  "172.16.*", "172.17.*", "172.18.*", "172.19.*", "172.20.*", "172.21.*", "172.22.*",
  "172.23.*", "172.24.*", "172.25.*", "172.26.*", "172.27.*", "172.28.*", "172.29.*",
  "172.30.*", "172.31.*", "192.168.*", "<local>", NULL
};

/* ------------------------------------------------------------ conversions */

wchar_t *
_gn_os_proxy_windows_to_wide (const char *utf8)
{
  return utf8 ? (wchar_t *) g_utf8_to_utf16 (utf8, -1, NULL, NULL, NULL) : NULL;
}

char *
_gn_os_proxy_windows_to_utf8 (const wchar_t *wide)
{
  return wide ? g_utf16_to_utf8 ((const gunichar2 *) wide, -1, NULL, NULL, NULL) : NULL;
}

void
_gn_os_proxy_windows_set_error_from_core (GError **error, const GnWpError *werr)
{
  g_autofree char *message = _gn_os_proxy_windows_to_utf8 (werr->message);

  g_set_error_literal (error, GN_ERROR, GN_ERROR_PLATFORM,
                       message && *message ? message
                       : _("The Windows proxy settings could not be changed."));
}

void
_gn_os_proxy_windows_log_from_core (const wchar_t *message, void *user_data)
{
  g_autofree char *utf8 = _gn_os_proxy_windows_to_utf8 (message);

  g_message ("%s", utf8 ? utf8 : "");
}

static gboolean
server_set (const GnOsProxyServer *s)
{
  return s->host != NULL && *s->host != '\0';
}

static gboolean
server_same (const GnOsProxyServer *a, const GnOsProxyServer *b)
{
  return server_set (a) && server_set (b) && a->port == b->port
         && g_ascii_strcasecmp (a->host, b->host) == 0;
}

static void
parse_host_port (const char *item, GnOsProxyServer *out, guint16 default_port)
{
  const char *colon = strrchr (item, ':');
  const char *bracket = strrchr (item, ']');
  guint64 port = 0;

  g_clear_pointer (&out->host, g_free);
  if (colon != NULL && (bracket == NULL || colon > bracket)
      && g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &port, NULL))
    {
      out->host = g_strndup (item, colon - item);
      out->port = (guint16) port;
    }
  else
    {
      out->host = g_strdup (item);
      out->port = default_port;
    }
}

/* "host:port" (every protocol but SOCKS) or "http=h:p;https=h:p;socks=h:p". */
static void
parse_servers (const char *server, GnOsProxyEntry *e)
{
  g_auto(GStrv) items = g_strsplit (server ? server : "", ";", -1);

  for (guint i = 0; items[i] != NULL; i++)
    {
      char *item = g_strstrip (items[i]);
      char *eq = strchr (item, '=');

      if (*item == '\0')
        continue;
      if (eq == NULL)
        {
          parse_host_port (item, &e->http, 80);
          parse_host_port (item, &e->https, 80);
          parse_host_port (item, &e->ftp, 80);
          continue;
        }
      *eq = '\0';
      if (g_ascii_strcasecmp (item, "http") == 0)
        parse_host_port (eq + 1, &e->http, 80);
      else if (g_ascii_strcasecmp (item, "https") == 0)
        parse_host_port (eq + 1, &e->https, 443);
      else if (g_ascii_strcasecmp (item, "ftp") == 0)
        parse_host_port (eq + 1, &e->ftp, 21);
      else if (g_ascii_strcasecmp (item, "socks") == 0)
        parse_host_port (eq + 1, &e->socks, 1080);
    }
}

static char *
format_servers (const GnOsProxyEntry *e)
{
  const GnOsProxyServer *servers[] = { &e->http, &e->https, &e->ftp, &e->socks };
  static const char * const names[] = { "http", "https", "ftp", "socks" };
  g_autoptr(GString) out = NULL;

  if (server_set (&e->http) && server_same (&e->http, &e->https)
      && (!server_set (&e->ftp) || server_same (&e->http, &e->ftp)) && !server_set (&e->socks))
    return g_strdup_printf ("%s:%u", e->http.host, e->http.port);
  out = g_string_new (NULL);
  for (guint i = 0; i < G_N_ELEMENTS (servers); i++)
    if (server_set (servers[i]))
      g_string_append_printf (out, "%s%s=%s:%u", out->len ? ";" : "", names[i],
                              servers[i]->host, servers[i]->port);
  return out->len ? g_string_free (g_steal_pointer (&out), FALSE) : NULL;
}

static void
add_string (GVariantBuilder *b, const char *key, const wchar_t *value)
{
  g_autofree char *utf8 = _gn_os_proxy_windows_to_utf8 (value);

  if (utf8 != NULL)
    g_variant_builder_add (b, "{sv}", key, g_variant_new_string (utf8));
}

static GnOsProxyEntry *
entry_from_connection (const GnWpConnection *c, const GnWpRegistryValues *values)
{
  g_autofree char *name = _gn_os_proxy_windows_to_utf8 (c->name);
  g_autofree char *server = _gn_os_proxy_windows_to_utf8 (c->server);
  g_autofree char *bypass = _gn_os_proxy_windows_to_utf8 (c->bypass);
  GnOsProxyEntry *e = gn_os_proxy_entry_new (name);
  g_auto(GVariantBuilder) raw = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) items = g_strsplit (bypass ? bypass : "", ";", -1);

  if (c->flags & PROXY_TYPE_PROXY)
    e->flags |= GN_OS_PROXY_MANUAL;
  if (c->flags & PROXY_TYPE_AUTO_PROXY_URL)
    e->flags |= GN_OS_PROXY_PAC;
  if (c->flags & PROXY_TYPE_AUTO_DETECT)
    e->flags |= GN_OS_PROXY_AUTO_DETECT;
  parse_servers (server, e);
  for (guint i = 0; items[i] != NULL; i++)
    if (*g_strstrip (items[i]) != '\0')
      g_ptr_array_add (list, g_strdup (items[i]));
  g_ptr_array_add (list, NULL);
  g_strfreev (e->bypass);
  e->bypass = (char **) g_ptr_array_free (g_steal_pointer (&list), FALSE);
  e->pac_url = _gn_os_proxy_windows_to_utf8 (c->pac_url);

  g_variant_builder_add (&raw, "{sv}", "flags", g_variant_new_uint32 (c->flags));
  add_string (&raw, "server", c->server);
  add_string (&raw, "bypass", c->bypass);
  add_string (&raw, "pac-url", c->pac_url);
  if (c->blob != NULL)
    g_variant_builder_add (&raw, "{sv}", "blob",
                           g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, c->blob,
                                                      c->blob_len, 1));
  if (values != NULL)
    {
      g_variant_builder_add (&raw, "{sv}", "registry", g_variant_new_boolean (TRUE));
      if (values->has_enable)
        g_variant_builder_add (&raw, "{sv}", "reg-enable", g_variant_new_uint32 (values->enable));
      add_string (&raw, "reg-server", values->server);
      add_string (&raw, "reg-override", values->override);
      add_string (&raw, "reg-autoconfig", values->autoconfig);
    }
  e->raw = g_variant_ref_sink (g_variant_builder_end (&raw));
  return e;
}

static wchar_t *
lookup_wide (GVariant *raw, const char *key)
{
  const char *value = NULL;

  if (!g_variant_lookup (raw, key, "&s", &value))
    return NULL;
  return _gn_os_proxy_windows_to_wide (value);
}

/* Fills `c` (and `values` for the LAN) from an entry's raw; FALSE if the raw
 * is not one of ours (then nothing is written). */
gboolean
_gn_os_proxy_windows_connection_from_raw (const GnOsProxyEntry *e, GnWpConnection *c, GnWpRegistryValues *values,
                     gboolean *has_values, GError **error)
{
  g_autoptr(GVariant) blob = NULL;
  guint32 flags;
  gboolean registry = FALSE;

  if (!g_variant_is_of_type (e->raw, G_VARIANT_TYPE_VARDICT)
      || !g_variant_lookup (e->raw, "flags", "u", &flags))
    {
      g_set_error (error, GN_ERROR, GN_ERROR_INVALID_DATA,
                   _("The saved proxy settings for “%s” are not Windows settings; "
                     "nothing was changed."), e->connection ? e->connection : "LAN");
      return FALSE;
    }
  c->name = _gn_os_proxy_windows_to_wide (e->connection);
  c->flags = flags;
  c->server = lookup_wide (e->raw, "server");
  c->bypass = lookup_wide (e->raw, "bypass");
  c->pac_url = lookup_wide (e->raw, "pac-url");
  blob = g_variant_lookup_value (e->raw, "blob", G_VARIANT_TYPE_BYTESTRING);
  if (blob != NULL)
    {
      gsize len = 0;
      const guint8 *data = g_variant_get_fixed_array (blob, &len, 1);
      c->blob = g_memdup2 (data, len);
      c->blob_len = (DWORD) len;
    }
  if (e->connection == NULL && g_variant_lookup (e->raw, "registry", "b", &registry) && registry)
    {
      guint32 enable;
      *has_values = TRUE;
      values->has_enable = g_variant_lookup (e->raw, "reg-enable", "u", &enable);
      values->enable = values->has_enable ? enable : 0;
      values->server = lookup_wide (e->raw, "reg-server");
      values->override = lookup_wide (e->raw, "reg-override");
      values->autoconfig = lookup_wide (e->raw, "reg-autoconfig");
    }
  return TRUE;
}

/* g_free'd strings inside a core struct must be released with free(): the
 * core allocates with malloc. Copy through the core's own allocator. */
void
_gn_os_proxy_windows_move_to_core (wchar_t **field)
{
  wchar_t *copy = gn_wp_wcsdup (*field);

  g_free (*field);
  *field = copy;
}

void
_gn_os_proxy_windows_connection_to_core_heap (GnWpConnection *c)
{
  BYTE *blob = NULL;

  _gn_os_proxy_windows_move_to_core (&c->name);
  _gn_os_proxy_windows_move_to_core (&c->server);
  _gn_os_proxy_windows_move_to_core (&c->bypass);
  _gn_os_proxy_windows_move_to_core (&c->pac_url);
  if (c->blob != NULL)
    {
      blob = malloc (c->blob_len);
      if (blob != NULL)
        memcpy (blob, c->blob, c->blob_len);
      g_free (c->blob);
      c->blob = blob;
    }
}

/* -------------------------------------------------------------- the vfuncs */

static const char *
gn_os_proxy_windows_get_name (GnOsProxy *proxy)
{
  return "windows";
}

static const char * const *
gn_os_proxy_windows_get_default_bypass (GnOsProxy *proxy)
{
  return windows_bypass;
}

static GnOsProxySettings *
gn_os_proxy_windows_read (GnOsProxy *proxy, GError **error)
{
  GnOsProxyWindows *self = GN_OS_PROXY_WINDOWS (proxy);
  GnWpSnapshot snap;
  GnWpError werr = { 0 };
  GnOsProxySettings *settings;
  BOOL ok;

  g_mutex_lock (&self->lock);
  ok = gn_wp_snapshot (&snap, &werr);
  g_mutex_unlock (&self->lock);
  if (!ok)
    {
      _gn_os_proxy_windows_set_error_from_core (error, &werr);
      return NULL;
    }
  settings = gn_os_proxy_settings_new ("windows");
  for (unsigned i = 0; i < snap.n_connections; i++)
    gn_os_proxy_settings_take_entry (settings,
                                     entry_from_connection (&snap.connections[i],
                                                            i == 0 ? &snap.values : NULL));
  gn_wp_snapshot_clear (&snap);
  return settings;
}

static void
on_end_session (void *user_data)
{
  GnOsProxyWindows *self = user_data;
  GnWpError werr = { 0 };

  /* Window thread, synchronously, before Windows may end the process. */
  g_mutex_lock (&self->lock);
  if (self->applied)
    {
      GnWpRestoreResult result = gn_wp_disable (self->journal, _gn_os_proxy_windows_log_from_core, NULL, &werr);
      g_autofree char *what = _gn_os_proxy_windows_to_utf8 (gn_wp_restore_result_describe (result));

      g_message ("Signing out: %s", what ? what : "");
      self->applied = FALSE;
      self->ended_session = TRUE;
    }
  g_mutex_unlock (&self->lock);
}

static gboolean write_locked (GnOsProxyWindows *self, const GnOsProxySettings *settings,
                              gboolean *start_window, GnWpSessionWindow **stale,
                              GError **error);

static void
on_end_session_cancelled (void *user_data)
{
  GnOsProxyWindows *self = user_data;

  /* Window thread: WM_ENDSESSION(FALSE) after on_end_session() restored.
   * Protection is still on in the app, so the OS proxy points here again
   * (through the same write as at turn-on: journal first, RunOnce after);
   * the registry watch tells the guard. A turn-off in between (a write)
   * cleared ended_session: then nothing is re-applied. */
  g_mutex_lock (&self->lock);
  if (self->ended_session && self->last_ours != NULL)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GnOsProxySettings) ours = gn_os_proxy_settings_ref (self->last_ours);
      gboolean start_window = FALSE;
      GnWpSessionWindow *stale = NULL;

      /* The window is still ours, so neither is set: nothing to start or stop. */
      if (write_locked (self, ours, &start_window, &stale, &error))
        g_message ("Signing out was cancelled: the system proxy points at GuardNest again.");
      else
        g_warning ("Signing out was cancelled, but the system proxy could not be pointed at "
                   "GuardNest again: %s", error->message);
      g_warn_if_fail (!start_window && stale == NULL);
    }
  self->ended_session = FALSE;
  g_mutex_unlock (&self->lock);
}

static gboolean
host_is_ours (const char *host)
{
  return host != NULL && (g_str_has_prefix (host, "127.") || g_str_equal (host, "localhost"));
}

/* The port of our proxy in an entry of ours: the manual server's, or the
 * one in the address of our PAC script (http://127.0.0.1:PORT/proxy.pac);
 * 0 when the entry is not ours. */
guint16
_gn_os_proxy_windows_ours_port (const GnOsProxyEntry *e)
{
  g_autoptr(GUri) uri = NULL;

  if (e->raw != NULL)
    return 0;
  if ((e->flags & GN_OS_PROXY_MANUAL) && server_set (&e->http) && host_is_ours (e->http.host))
    return e->http.port;
  if ((e->flags & GN_OS_PROXY_PAC) && e->pac_url != NULL)
    uri = g_uri_parse (e->pac_url, G_URI_FLAGS_NONE, NULL);
  if (uri != NULL && host_is_ours (g_uri_get_host (uri)) && g_uri_get_port (uri) > 0 &&
      g_str_equal (g_uri_get_path (uri), GN_PAC_PATH))
    return (guint16) g_uri_get_port (uri);
  return 0;
}

/* An entry that points at loopback with no raw snapshot is ours. */
static const GnOsProxyEntry *
find_ours (const GnOsProxySettings *settings)
{
  for (guint i = 0; i < gn_os_proxy_settings_get_n_entries (settings); i++)
    {
      const GnOsProxyEntry *e = gn_os_proxy_settings_get_entry (settings, i);

      if (_gn_os_proxy_windows_ours_port (e) != 0)
        return e;
    }
  return NULL;
}

static gboolean
write_exact (GnOsProxyWindows *self, const GnOsProxySettings *settings, GError **error)
{
  GnWpSnapshot snap = { 0 };
  GnWpError werr = { 0 };
  gboolean has_values = FALSE, ok = TRUE;

  for (guint i = 0; i < gn_os_proxy_settings_get_n_entries (settings) && ok; i++)
    {
      const GnOsProxyEntry *e = gn_os_proxy_settings_get_entry (settings, i);
      GnWpConnection *c;

      if (e->raw == NULL)
        continue;
      if (snap.n_connections == GN_WP_MAX_CONNECTIONS)
        break;
      c = &snap.connections[snap.n_connections];
      ok = _gn_os_proxy_windows_connection_from_raw (e, c, &snap.values, &has_values, error);
      _gn_os_proxy_windows_connection_to_core_heap (c);
      snap.n_connections++;
    }
  _gn_os_proxy_windows_move_to_core (&snap.values.server);
  _gn_os_proxy_windows_move_to_core (&snap.values.override);
  _gn_os_proxy_windows_move_to_core (&snap.values.autoconfig);
  if (ok && snap.n_connections > 0)
    {
      if (!has_values)
        {
          /* No LAN in this write: keep its registry values as they are. */
          gn_wp_registry_values_clear (&snap.values);
          gn_wp_registry_read (&snap.values);
        }
      if (!gn_wp_restore (&snap, FALSE, _gn_os_proxy_windows_log_from_core, NULL, &werr))
        {
          _gn_os_proxy_windows_set_error_from_core (error, &werr);
          ok = FALSE;
        }
    }
  gn_wp_snapshot_clear (&snap);
  return ok;
}

/* What write_portable() hands gn_wp_set_connection() for @e (g_free'd). */
DWORD
_gn_os_proxy_windows_portable_to_core (const GnOsProxyEntry *e, wchar_t **server, wchar_t **bypass, wchar_t **pac)
{
  g_autofree char *s = format_servers (e);
  g_autofree char *b = g_strjoinv (";", e->bypass);
  DWORD flags = PROXY_TYPE_DIRECT;

  if (e->flags & GN_OS_PROXY_MANUAL)
    flags |= PROXY_TYPE_PROXY;
  if ((e->flags & GN_OS_PROXY_PAC) && e->pac_url != NULL)
    flags |= PROXY_TYPE_AUTO_PROXY_URL;
  if (e->flags & GN_OS_PROXY_AUTO_DETECT)
    flags |= PROXY_TYPE_AUTO_DETECT;
  *server = _gn_os_proxy_windows_to_wide (s);
  *bypass = _gn_os_proxy_windows_to_wide (b);
  *pac = _gn_os_proxy_windows_to_wide (e->pac_url);
  return flags;
}

static gboolean
write_portable (const GnOsProxySettings *settings, GError **error)
{
  for (guint i = 0; i < gn_os_proxy_settings_get_n_entries (settings); i++)
    {
      const GnOsProxyEntry *e = gn_os_proxy_settings_get_entry (settings, i);
      g_autofree wchar_t *name = NULL, *wserver = NULL, *wbypass = NULL, *wpac = NULL;
      GnWpError werr = { 0 };
      DWORD flags;

      if (e->raw != NULL)
        continue;
      flags = _gn_os_proxy_windows_portable_to_core (e, &wserver, &wbypass, &wpac);
      name = _gn_os_proxy_windows_to_wide (e->connection);
      if (!gn_wp_set_connection (name, flags, wserver, wbypass, wpac, _gn_os_proxy_windows_log_from_core, NULL,
                                 &werr))
        {
          _gn_os_proxy_windows_set_error_from_core (error, &werr);
          return FALSE;
        }
    }
  return TRUE;
}

/* The write itself, with `lock` held; the session window to start or the
 * stale one to stop are the caller's, outside the lock. */
static gboolean
write_locked (GnOsProxyWindows        *self,
              const GnOsProxySettings *settings,
              gboolean                *start_window,
              GnWpSessionWindow      **stale,
              GError                 **error)
{
  const GnOsProxyEntry *ours = find_ours (settings);
  GnWpError werr = { 0 };
  gboolean ok = TRUE;

  self->ended_session = FALSE;
  /* The journal guardnest-repair.exe reads is on disk before anything changes. */
  if (ours != NULL && !gn_wp_journal_exists (self->journal))
    {
      GnWpSnapshot before;
      g_autofree char *bypass = g_strjoinv (";", ours->bypass);
      g_autofree wchar_t *wbypass = _gn_os_proxy_windows_to_wide (bypass);
      g_autofree wchar_t *wpac = _gn_os_proxy_windows_to_wide (ours->flags & GN_OS_PROXY_PAC ? ours->pac_url : NULL);
      GnWpConfig config = { _gn_os_proxy_windows_ours_port (ours), wbypass, wpac };

      ok = gn_wp_snapshot (&before, &werr) && gn_wp_journal_write (self->journal, &config,
                                                                   &before, &werr);
      if (before.n_connections > 0)
        gn_wp_snapshot_clear (&before);
      if (!ok)
        _gn_os_proxy_windows_set_error_from_core (error, &werr);
    }
  else if (ours != NULL)
    {
      /* Re-pointed at another port or mode: the journal must name the new
       * one, or guardnest-repair.exe would not recognise our settings after
       * a crash. */
      GnWpSnapshot saved;
      unsigned port = 0;
      wchar_t *pac = NULL, *bypass = NULL;

      if (gn_wp_journal_read (self->journal, &port, &pac, &bypass, &saved, &werr))
        {
          g_autofree wchar_t *wpac = _gn_os_proxy_windows_to_wide (ours->flags & GN_OS_PROXY_PAC ? ours->pac_url : NULL);

          if (port != _gn_os_proxy_windows_ours_port (ours) || (pac == NULL) != (wpac == NULL) ||
              (pac != NULL && wcscmp (pac, wpac) != 0))
            {
              GnWpConfig config = { _gn_os_proxy_windows_ours_port (ours), bypass, wpac };
              ok = gn_wp_journal_write (self->journal, &config, &saved, &werr);
              if (!ok)
                _gn_os_proxy_windows_set_error_from_core (error, &werr);
            }
          gn_wp_snapshot_clear (&saved);
          free (pac);
          free (bypass);
        }
    }
  if (ok)
    ok = write_exact (self, settings, error) && write_portable (settings, error);

  if (ok && ours != NULL)
    {
      if (!gn_wp_runonce_set (self->repair_command, &werr))
        _gn_os_proxy_windows_log_from_core (werr.message, NULL);
      if (self->owner == NULL)
        self->owner = gn_wp_owner_claim ();
      *start_window = self->session == NULL;
      self->applied = TRUE;
      if (self->last_ours != settings)
        {
          g_clear_pointer (&self->last_ours, gn_os_proxy_settings_unref);
          self->last_ours = gn_os_proxy_settings_ref ((GnOsProxySettings *) settings);
        }
    }
  else if (ok)
    {
      /* A restore: the safety nets of "on" go away. */
      gn_wp_journal_remove (self->journal, NULL);
      gn_wp_runonce_remove (NULL);
      g_clear_pointer (&self->owner, CloseHandle);
      g_clear_pointer (&self->last_ours, gn_os_proxy_settings_unref);
      *stale = g_steal_pointer (&self->session);
      self->applied = FALSE;
    }
  return ok;
}

void
_gn_os_proxy_windows_session_windows_update (GnOsProxyWindows *self, gboolean start_window, GnWpSessionWindow *stale)
{
  GnWpError werr = { 0 };

  /* Outside the lock: the window thread may be waiting for it. */
  g_clear_pointer (&stale, gn_wp_session_window_stop);
  if (start_window)
    {
      GnWpSessionWindow *window = gn_wp_session_window_start (on_end_session,
                                                              on_end_session_cancelled,
                                                              self, &werr);

      if (window == NULL)
        _gn_os_proxy_windows_log_from_core (werr.message, NULL);
      g_mutex_lock (&self->lock);
      if (self->applied && self->session == NULL)
        self->session = g_steal_pointer (&window);
      g_mutex_unlock (&self->lock);
      g_clear_pointer (&window, gn_wp_session_window_stop);
    }
}

static gboolean
gn_os_proxy_windows_write (GnOsProxy *proxy, const GnOsProxySettings *settings, GError **error)
{
  GnOsProxyWindows *self = GN_OS_PROXY_WINDOWS (proxy);
  GnWpSessionWindow *stale = NULL;
  gboolean ok, start_window = FALSE;

  g_mutex_lock (&self->lock);
  ok = write_locked (self, settings, &start_window, &stale, error);
  g_mutex_unlock (&self->lock);
  _gn_os_proxy_windows_session_windows_update (self, start_window, stale);
  return ok;
}

/* RunOnce "GuardNestRepair": written by write() with ours already; these
 * make the guard's explicit calls idempotent and independent of it. */
static gboolean
gn_os_proxy_windows_install_repair_entry (GnOsProxy *proxy, GError **error)
{
  GnOsProxyWindows *self = GN_OS_PROXY_WINDOWS (proxy);
  GnWpError werr = { 0 };
  BOOL ok;

  g_mutex_lock (&self->lock);
  ok = gn_wp_runonce_set (self->repair_command, &werr);
  g_mutex_unlock (&self->lock);
  if (!ok)
    _gn_os_proxy_windows_set_error_from_core (error, &werr);
  return ok;
}

static gboolean
gn_os_proxy_windows_remove_repair_entry (GnOsProxy *proxy, GError **error)
{
  GnOsProxyWindows *self = GN_OS_PROXY_WINDOWS (proxy);
  GnWpError werr = { 0 };
  BOOL ok;

  g_mutex_lock (&self->lock);
  ok = gn_wp_runonce_remove (&werr);
  g_mutex_unlock (&self->lock);
  if (!ok)
    _gn_os_proxy_windows_set_error_from_core (error, &werr);
  return ok;
}

/* ---------------------------------------------------------- change watch */

static gboolean
emit_changed_cb (gpointer data)
{
  GnOsProxyWindows *self = data;

  g_atomic_int_set (&self->changed_pending, 0);
  gn_os_proxy_emit_changed (GN_OS_PROXY (self));
  return G_SOURCE_REMOVE;
}

static void
on_registry_changed (void *user_data)
{
  GnOsProxyWindows *self = user_data;

  /* Watch thread: one pending emission at a time for a burst of writes. */
  if (g_atomic_int_compare_and_exchange (&self->changed_pending, 0, 1))
    g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, emit_changed_cb,
                                g_object_ref (self), g_object_unref);
}

static void
gn_os_proxy_windows_dispose (GObject *object)
{
  GnOsProxyWindows *self = GN_OS_PROXY_WINDOWS (object);

  /* Stop the threads first: they hold no reference while they wait. */
  g_clear_pointer (&self->watch, gn_wp_watch_stop);
  g_clear_pointer (&self->session, gn_wp_session_window_stop);
  G_OBJECT_CLASS (gn_os_proxy_windows_parent_class)->dispose (object);
}

static void
gn_os_proxy_windows_finalize (GObject *object)
{
  GnOsProxyWindows *self = GN_OS_PROXY_WINDOWS (object);

  g_clear_pointer (&self->owner, CloseHandle);
  g_clear_pointer (&self->last_ours, gn_os_proxy_settings_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (gn_os_proxy_windows_parent_class)->finalize (object);
}

static void
gn_os_proxy_windows_class_init (GnOsProxyWindowsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GnOsProxyClass *proxy_class = GN_OS_PROXY_CLASS (klass);

  object_class->dispose = gn_os_proxy_windows_dispose;
  object_class->finalize = gn_os_proxy_windows_finalize;
  proxy_class->get_name = gn_os_proxy_windows_get_name;
  proxy_class->get_default_bypass = gn_os_proxy_windows_get_default_bypass;
  proxy_class->read = gn_os_proxy_windows_read;
  proxy_class->write = gn_os_proxy_windows_write;
  proxy_class->install_repair_entry = gn_os_proxy_windows_install_repair_entry;
  proxy_class->remove_repair_entry = gn_os_proxy_windows_remove_repair_entry;
  proxy_class->restore_entry = _gn_os_proxy_windows_restore_entry;
}

static void
gn_os_proxy_windows_init (GnOsProxyWindows *self)
{
  wchar_t exe[MAX_PATH], *slash;
  DWORD n;

  g_mutex_init (&self->lock);
  self->context = g_main_context_ref_thread_default ();
  if (!gn_wp_journal_default_path (self->journal, G_N_ELEMENTS (self->journal)))
    wcscpy (self->journal, L"GuardNest-proxy-journal.txt");

  /* RunOnce runs the GTK-free repair tool installed beside us; a build
   * without it falls back to "guardnest.exe --repair-proxy". */
  n = GetModuleFileNameW (NULL, exe, MAX_PATH);
  if (n == 0 || n >= MAX_PATH)
    exe[0] = L'\0';
  slash = wcsrchr (exe, L'\\');
  if (slash != NULL)
    {
      wchar_t repair[MAX_PATH];

      _snwprintf (repair, MAX_PATH, L"%.*ls\\guardnest-repair.exe",
                  (int) (slash - exe), exe);
      repair[MAX_PATH - 1] = L'\0';
      if (GetFileAttributesW (repair) != INVALID_FILE_ATTRIBUTES)
        _snwprintf (self->repair_command, G_N_ELEMENTS (self->repair_command),
                    L"\"%ls\" --quiet", repair);
      else
        _snwprintf (self->repair_command, G_N_ELEMENTS (self->repair_command),
                    L"\"%ls\" --repair-proxy", exe);
      self->repair_command[G_N_ELEMENTS (self->repair_command) - 1] = L'\0';
    }
}

GnOsProxy *
_gn_os_proxy_windows_new (void)
{
  GnOsProxyWindows *self = g_object_new (GN_TYPE_OS_PROXY_WINDOWS, NULL);
  GnWpError werr = { 0 };

  self->watch = gn_wp_watch_start (on_registry_changed, self, &werr);
  if (self->watch == NULL)
    _gn_os_proxy_windows_log_from_core (werr.message, NULL);
  return GN_OS_PROXY (self);
}

GnOsProxy *
gn_os_proxy_new_for_desktop (void)
{
  const char *forced = g_getenv ("GN_OS_PROXY_BACKEND");
  g_autofree char *reason = NULL;

  if (forced != NULL && *forced != '\0' && !g_str_equal (forced, "windows"))
    {
      reason = g_strdup_printf (_("GN_OS_PROXY_BACKEND is set to “%s”."), forced);
      return gn_os_proxy_new_none (reason);
    }
  return _gn_os_proxy_windows_new ();
}
