/* gn-os-proxy-windows-restore.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Windows backend's per-key restore (GnOsProxyClass.restore_entry): the
 * guard's turn-off and repair go key by key here as on GNOME and KDE. What
 * write() made of the guard's `ours` (through gn_wp_set_connection(), every
 * blob string written) is compared with what is there now by the Win32
 * core (gn_wp_restore_keys_written() in win32/gn-winproxy-restore.c): keys
 * still ours get the user's value back, keys another program changed stay
 * and are named.
 *
 * Threading: the thread that uses the backend; `lock` is held around the
 * core transaction, the session window is stopped outside it.
 */

#include <glib/gi18n.h>

#include "gn-os-proxy-windows-private.h"

#include <wininet.h>
#include <stdlib.h>
#include <string.h>

/* A malloc'd ANSI copy for a blob field (NULL = empty). */
static char *
to_ansi (const wchar_t *s, DWORD *len)
{
  int n = WideCharToMultiByte (CP_ACP, 0, s ? s : L"", -1, NULL, 0, NULL, NULL);
  char *out = n > 0 ? malloc ((size_t) n) : NULL;

  *len = 0;
  if (out == NULL)
    return NULL;
  WideCharToMultiByte (CP_ACP, 0, s ? s : L"", -1, out, n, NULL, NULL);
  *len = (DWORD) n - 1;
  return out;
}

/* The core side of a portable entry, as write_portable() would write it
 * (the guard's "no proxy" in place of a dead local proxy carries no raw):
 * the blob is the one there now with these fields; for the LAN, the
 * registry values gn_wp_set_connection() would leave over @base. */
static gboolean
connection_from_portable (const GnOsProxyEntry *e, const GnWpRegistryValues *base,
                          GnWpConnection *c, GnWpRegistryValues *values)
{
  g_autofree wchar_t *server = NULL, *bypass = NULL, *pac = NULL;
  BYTE *raw = NULL;
  DWORD raw_len = 0, server_len, bypass_len, pac_len;
  static const BYTE zero_tail[32] = { 0 };
  GnWpBlob now, fields = { 0x46, 0, 0, NULL, 0, NULL, 0, NULL, 0, zero_tail, sizeof zero_tail };
  char *server_a, *bypass_a, *pac_a;
  gboolean ok;

  c->flags = _gn_os_proxy_windows_portable_to_core (e, &server, &bypass, &pac);
  c->name = _gn_os_proxy_windows_to_wide (e->connection);
  _gn_os_proxy_windows_move_to_core (&c->name);
  c->server = gn_wp_wcsdup (server);
  c->bypass = gn_wp_wcsdup (bypass);
  c->pac_url = gn_wp_wcsdup (pac);
  if (gn_wp_blob_read (c->name, &raw, &raw_len) && gn_wp_blob_parse (raw, raw_len, &now))
    {
      fields.version = now.version;
      fields.counter = now.counter;
      fields.tail = now.tail;
      fields.tail_len = now.tail_len;
    }
  server_a = to_ansi (server, &server_len);
  bypass_a = to_ansi (bypass, &bypass_len);
  pac_a = to_ansi (pac, &pac_len);
  fields.flags = c->flags;
  fields.server = server_a;
  fields.server_len = server_len;
  fields.bypass = bypass_a;
  fields.bypass_len = bypass_len;
  fields.pac_url = pac_a;
  fields.pac_url_len = pac_len;
  ok = server_a && bypass_a && pac_a
       && (c->blob = gn_wp_blob_build (&fields, &c->blob_len)) != NULL;
  free (server_a);
  free (bypass_a);
  free (pac_a);
  free (raw);
  if (e->connection == NULL)
    {
      values->has_enable = TRUE;
      values->enable = (c->flags & PROXY_TYPE_PROXY) ? 1 : 0;
      values->server = gn_wp_wcsdup (server ? server : base->server);
      values->override = bypass && *bypass ? gn_wp_wcsdup (bypass) : NULL;
      values->autoconfig = (c->flags & PROXY_TYPE_AUTO_PROXY_URL) && pac ? gn_wp_wcsdup (pac)
                                                                         : NULL;
    }
  return ok;
}

static void
registry_values_to_core_heap (GnWpRegistryValues *values)
{
  _gn_os_proxy_windows_move_to_core (&values->server);
  _gn_os_proxy_windows_move_to_core (&values->override);
  _gn_os_proxy_windows_move_to_core (&values->autoconfig);
}

/* Per-key compare-and-clear of one place (gn-winproxy-restore.c): what
 * write() made of `ours` is compared with what is there now, key by key
 * (the Connections blob's flags and strings and, for the LAN, the
 * "Internet Settings" values); keys still ours get the user's value back,
 * keys another program changed stay. Then the safety nets of "on" (the
 * core's journal, the RunOnce entry, the owner mutex, the session window)
 * go, as at a whole restore. */
gboolean
_gn_os_proxy_windows_restore_entry (GnOsProxy            *proxy,
                                   const GnOsProxyEntry *snapshot,
                                   const GnOsProxyEntry *ours,
                                   GnOsProxyKeysResult  *result,
                                   GStrv                *kept,
                                   GError              **error)
{
  GnOsProxyWindows *self = GN_OS_PROXY_WINDOWS (proxy);
  GnWpSnapshot snap = { 0 }, written = { 0 };
  GnWpError werr = { 0 };
  GnWpSessionWindow *stale = NULL;
  g_autofree wchar_t *server = NULL, *bypass = NULL, *pac = NULL;
  GnWpConfig config = { 0 };
  wchar_t kept_list[GN_WP_MESSAGE_MAX / 2] = L"";
  gboolean lan = snapshot->connection == NULL, has_values = FALSE, ok = TRUE;
  GnWpRestoreResult r = GN_WP_FAILED;

  *result = GN_OS_PROXY_KEYS_NOTHING;
  *kept = NULL;
  if (_gn_os_proxy_windows_ours_port (ours) == 0)
    {
      g_set_error (error, GN_ERROR, GN_ERROR_INVALID_DATA,
                   _("GuardNest's own proxy settings for “%s” do not point at this computer; "
                     "nothing was changed."), ours->connection ? ours->connection : "LAN");
      return FALSE;
    }

  g_mutex_lock (&self->lock);
  snap.n_connections = written.n_connections = 1;
  /* The user's side. */
  if (snapshot->raw != NULL)
    {
      ok = _gn_os_proxy_windows_connection_from_raw (snapshot, &snap.connections[0], &snap.values, &has_values, error);
      _gn_os_proxy_windows_connection_to_core_heap (&snap.connections[0]);
      registry_values_to_core_heap (&snap.values);
      if (ok && lan && !has_values)
        gn_wp_registry_read (&snap.values);
    }
  else
    {
      GnWpRegistryValues now = { 0 };

      gn_wp_registry_read (&now);
      ok = connection_from_portable (snapshot, &now, &snap.connections[0], &snap.values);
      gn_wp_registry_values_clear (&now);
      if (!ok)
        g_set_error_literal (error, GN_ERROR, GN_ERROR_PLATFORM,
                             _("Out of memory while restoring the proxy settings."));
    }

  /* What write_portable() wrote for ours, through gn_wp_set_connection(). */
  if (ok)
    {
      GnWpConnection *w = &written.connections[0];

      w->flags = _gn_os_proxy_windows_portable_to_core (ours, &server, &bypass, &pac);
      w->name = gn_wp_wcsdup (snap.connections[0].name);
      w->server = gn_wp_wcsdup (server);
      w->bypass = gn_wp_wcsdup (bypass);
      w->pac_url = gn_wp_wcsdup (pac);
      if (lan)
        {
          written.values.has_enable = TRUE;
          written.values.enable = (w->flags & PROXY_TYPE_PROXY) ? 1 : 0;
          written.values.server = gn_wp_wcsdup (server ? server : snap.values.server);
          written.values.override = bypass && *bypass ? gn_wp_wcsdup (bypass) : NULL;
          written.values.autoconfig = (w->flags & PROXY_TYPE_AUTO_PROXY_URL) && pac
                                      ? gn_wp_wcsdup (pac) : NULL;
        }
      config.port = _gn_os_proxy_windows_ours_port (ours);
      config.bypass = bypass;
      config.pac_url = (w->flags & PROXY_TYPE_AUTO_PROXY_URL) ? pac : NULL;

      r = gn_wp_restore_keys_written (&config, &snap, &written, kept_list,
                                      G_N_ELEMENTS (kept_list), _gn_os_proxy_windows_log_from_core, NULL, &werr);
      if (r == GN_WP_FAILED)
        {
          _gn_os_proxy_windows_set_error_from_core (error, &werr);
          ok = FALSE;
        }
    }

  if (ok)
    {
      g_autofree char *names = _gn_os_proxy_windows_to_utf8 (kept_list);

      switch (r)
        {
        case GN_WP_RESTORED:
        case GN_WP_RESTORED_NO_PROXY:
          *result = GN_OS_PROXY_KEYS_RESTORED;
          break;
        case GN_WP_RESTORED_KEPT_OTHERS:
          *result = GN_OS_PROXY_KEYS_RESTORED | GN_OS_PROXY_KEYS_KEPT;
          break;
        case GN_WP_TAKEN_OVER:
          *result = GN_OS_PROXY_KEYS_TAKEN_OVER;
          break;
        case GN_WP_LEFT_ALONE:
        default:
          break;
        }
      if (names != NULL && *names != '\0')
        {
          *result |= GN_OS_PROXY_KEYS_KEPT;
          *kept = g_strsplit (names, ", ", -1);
        }

      /* The safety nets of "on" go, as in write_locked()'s restore. */
      gn_wp_journal_remove (self->journal, NULL);
      gn_wp_runonce_remove (NULL);
      g_clear_pointer (&self->owner, CloseHandle);
      g_clear_pointer (&self->last_ours, gn_os_proxy_settings_unref);
      stale = g_steal_pointer (&self->session);
      self->applied = FALSE;
      self->ended_session = FALSE;
    }
  gn_wp_snapshot_clear (&snap);
  gn_wp_snapshot_clear (&written);
  g_mutex_unlock (&self->lock);
  _gn_os_proxy_windows_session_windows_update (self, FALSE, stale);
  return ok;
}

