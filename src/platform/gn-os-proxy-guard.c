/* gn-os-proxy-guard.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Safe enable / disable / repair of the OS proxy (see gn-os-proxy-guard.h).
 * The order of steps is the whole point of this file: nothing is changed
 * before the user's settings are on disk, nothing of theirs is overwritten
 * on the way back, and the journal goes away only once the restore is done.
 *
 * Threading: the creating thread; signals are emitted there.
 */

#include <glib/gi18n.h>

#include "gn-os-proxy-guard-private.h"
#include "gn-os-proxy-journal.h"

#define MAX_BYPASS_ITEMS 200
#define MAX_BYPASS_ITEM 255
#define MAX_BYPASS_JOINED 2000  /* Windows ProxyOverride limit */

enum { PROP_0, PROP_ACTIVE, PROP_BYPASS, PROP_USE_PAC, N_PROPS };
static GParamSpec *properties[N_PROPS];

enum { CHANGED_BY_OTHER, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (GnOsProxyGuard, gn_os_proxy_guard, G_TYPE_OBJECT)

/* ------------------------------------------------------------- helpers */

gboolean
gn_os_proxy_host_is_loopback (const char *host)
{
  g_autoptr(GInetAddress) addr = NULL;

  if (host == NULL || *host == '\0')
    return FALSE;
  if (g_ascii_strcasecmp (host, "localhost") == 0 ||
      g_str_has_suffix (host, ".localhost"))
    return TRUE;
  addr = g_inet_address_new_from_string (host);
  return addr != NULL && g_inet_address_get_is_loopback (addr);
}

gboolean
gn_os_proxy_is_listening (const char *host,
                          guint16     port)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = NULL;

  if (host == NULL || *host == '\0' || port == 0)
    return FALSE;
  /* Never through the OS proxy: that may be the very thing we check. */
  g_socket_client_set_enable_proxy (client, FALSE);
  g_socket_client_set_timeout (client, 2);
  conn = g_socket_client_connect_to_host (client, host, port, NULL, NULL);
  if (conn == NULL)
    return FALSE;
  g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
  return TRUE;
}

const GnOsProxyServer *
_gn_os_proxy_manual_server (const GnOsProxyEntry *e)
{
  if (!(e->flags & GN_OS_PROXY_MANUAL))
    return NULL;
  if (e->http.host && *e->http.host)
    return &e->http;
  if (e->https.host && *e->https.host)
    return &e->https;
  return NULL;
}

gboolean
gn_os_proxy_validate_bypass (const char * const *bypass,
                             GError            **error)
{
  gsize joined = 0;
  guint n = 0;

  for (; bypass && bypass[n]; n++)
    {
      const char *item = bypass[n];

      joined += strlen (item) + 1;
      if (*item == '\0' || strlen (item) > MAX_BYPASS_ITEM)
        {
          g_set_error (error, GN_ERROR, GN_ERROR_INVALID_CONFIG,
                       _("Bypass entry %u is empty or longer than %d characters."),
                       n + 1, MAX_BYPASS_ITEM);
          return FALSE;
        }
      for (const char *p = item; *p; p++)
        if (!g_ascii_isalnum (*p) && strchr (".-_*:/[]<>", *p) == NULL)
          {
            g_set_error (error, GN_ERROR, GN_ERROR_INVALID_CONFIG,
                         _("“%s” is not a host name, address or network to bypass "
                           "(it contains “%c”)."), item, g_ascii_isprint (*p) ? *p : '?');
            return FALSE;
          }
    }
  if (n > MAX_BYPASS_ITEMS || joined > MAX_BYPASS_JOINED)
    {
      g_set_error (error, GN_ERROR, GN_ERROR_INVALID_CONFIG,
                   _("The bypass list is too long (at most %d entries and %d characters)."),
                   MAX_BYPASS_ITEMS, MAX_BYPASS_JOINED);
      return FALSE;
    }
  return TRUE;
}

/* PAC mode: every entry of ours becomes "automatic configuration from
 * the script our engine serves", keeping the bypass list. `ours` was just
 * built by gn_os_proxy_build_ours(), so its entries are ours to change. */
static void
to_pac (GnOsProxySettings *ours,
        const char        *host,
        guint16            port)
{
  for (guint i = 0; i < gn_os_proxy_settings_get_n_entries (ours); i++)
    {
      GnOsProxyEntry *e = (GnOsProxyEntry *) gn_os_proxy_settings_get_entry (ours, i);

      e->flags = GN_OS_PROXY_PAC;
      g_free (e->pac_url);
      e->pac_url = gn_os_proxy_pac_url (host, port);
      g_clear_pointer (&e->http.host, g_free);
      g_clear_pointer (&e->https.host, g_free);
      e->http.port = e->https.port = 0;
    }
}

/* Settings that point at host:port make a useless snapshot (restoring them
 * would point the OS at a proxy that is going away): such entries are
 * snapshotted as "no proxy". */
static GnOsProxySettings *
sanitize_snapshot (const GnOsProxySettings *current, const char *host, guint16 port)
{
  GnOsProxySettings *out = gn_os_proxy_settings_new (gn_os_proxy_settings_get_backend (current));

  for (guint i = 0; i < gn_os_proxy_settings_get_n_entries (current); i++)
    {
      GnOsProxyEntry *e = gn_os_proxy_entry_copy (gn_os_proxy_settings_get_entry (current, i));

      if (gn_os_proxy_entry_points_at (e, host, port))
        {
          e->flags = GN_OS_PROXY_DIRECT;
          g_clear_pointer (&e->raw, g_variant_unref);
        }
      gn_os_proxy_settings_take_entry (out, e);
    }
  return out;
}

/* What we wrote for @j: the same build as enable's, from the same snapshot.
 * A journal from before "use-pac" was saved tells PAC mode by the settings
 * still naming our script. */
static GnOsProxySettings *
ours_for_journal (GnOsProxyGuard          *self,
                  const GnOsProxyJournal  *j,
                  const GnOsProxySettings *current)
{
  GnOsProxySettings *ours = gn_os_proxy_build_ours (self->backend, j->snapshot, j->host, j->port,
                                                    (const char * const *) j->bypass);
  gboolean use_pac = j->use_pac;

  for (guint i = 0; !use_pac && current && i < gn_os_proxy_settings_get_n_entries (current); i++)
    {
      const GnOsProxyEntry *e = gn_os_proxy_settings_get_entry (current, i);

      use_pac = (e->flags & GN_OS_PROXY_PAC) && gn_os_proxy_entry_points_at (e, j->host, j->port);
    }
  if (use_pac)
    to_pac (ours, j->host, j->port);
  return ours;
}

static char *
previous_path (GnOsProxyGuard *self)
{
  return g_strconcat (self->journal_path, ".previous", NULL);
}

/* A place whose snapshot had a manual proxy on loopback with nothing
 * listening any more: putting it back would cut the user off. */
static const GnOsProxyServer *
dead_loopback_server (const GnOsProxyEntry *snap)
{
  const GnOsProxyServer *server = _gn_os_proxy_manual_server (snap);

  if (server != NULL && gn_os_proxy_host_is_loopback (server->host) &&
      !gn_os_proxy_is_listening (server->host, server->port))
    return server;
  return NULL;
}

/* Per-key compare-and-clear of one place (backends that can). */
static gboolean
restore_keys (GnOsProxyGuard         *self,
              GnOsProxyJournal       *j,
              const GnOsProxyEntry   *now,
              const GnOsProxyEntry   *snap,
              const GnOsProxyEntry   *ours,
              GnOsProxyRestoreFlags  *flags,
              GString                *msg,
              GError                **error)
{
  g_autoptr(GnOsProxyEntry) no_proxy = NULL;
  const GnOsProxyServer *dead = NULL;
  GnOsProxyKeysResult result;
  g_auto(GStrv) kept = NULL;

  /* The dead-loopback rule, where our mode is still set (else another
   * program's mode stays anyway): everything but the mode comes back. */
  if (gn_os_proxy_entry_points_at (now, j->host, j->port) &&
      (dead = dead_loopback_server (snap)) != NULL)
    {
      no_proxy = gn_os_proxy_entry_copy (snap);
      no_proxy->flags = GN_OS_PROXY_DIRECT;
      g_clear_pointer (&no_proxy->raw, g_variant_unref);
    }

  if (!gn_os_proxy_restore_entry (self->backend, no_proxy ? no_proxy : snap, ours, &result,
                                  &kept, error))
    return FALSE;

  if (result & GN_OS_PROXY_KEYS_TAKEN_OVER)
    {
      g_autofree char *what = gn_os_proxy_entry_describe (now);
      g_autofree char *theirs = gn_os_proxy_entry_describe (snap);

      *flags |= GN_OS_PROXY_RESTORE_TAKEN_OVER;
      g_string_append_printf (msg, "Another program changed the proxy settings to “%s” while "
                              "GuardNest was on. GuardNest removed its own address and did not "
                              "put your previous settings (%s) back over that choice; they are "
                              "saved, and can be restored later. ", what, theirs);
    }
  else if (result & GN_OS_PROXY_KEYS_RESTORED)
    {
      *flags |= GN_OS_PROXY_RESTORE_RESTORED;
      if (no_proxy != NULL)
        {
          *flags |= GN_OS_PROXY_RESTORE_NO_PROXY;
          g_string_append_printf (msg, "Your previous proxy %s:%u is not running any more, so "
                                  "“no proxy” was set instead. ", dead->host, dead->port);
        }
    }

  if (kept != NULL)
    {
      g_autofree char *keys = g_strjoinv (", ", kept);

      *flags |= GN_OS_PROXY_RESTORE_KEPT_OTHERS;
      g_string_append_printf (msg, "Another program changed %s%s%s while GuardNest was on; "
                              "GuardNest kept what that program set. ",
                              now->connection ? now->connection : "",
                              now->connection ? " " : "", keys);
    }
  return TRUE;
}

/* The core of disable and repair: compare-and-clear plus the dead-loopback
 * rule. Backends that can restore key by key do; for the others, only the
 * places that still point at us are written, whole. */
static gboolean
restore_journal (GnOsProxyGuard        *self,
                 GnOsProxyJournal      *j,
                 GnOsProxyRestoreFlags *flags_out,
                 char                 **message_out,
                 GError               **error)
{
  g_autoptr(GnOsProxySettings) current = NULL;
  g_autoptr(GnOsProxySettings) ours = NULL;
  g_autoptr(GnOsProxySettings) merged = NULL;
  g_autoptr(GString) msg = g_string_new (NULL);
  GnOsProxyRestoreFlags flags = GN_OS_PROXY_RESTORE_NOTHING;
  gboolean per_key = gn_os_proxy_can_restore_keys (self->backend);

  current = gn_os_proxy_read (self->backend, error);
  if (current == NULL)
    return FALSE;
  ours = ours_for_journal (self, j, current);

  merged = gn_os_proxy_settings_new (gn_os_proxy_get_name (self->backend));
  for (guint i = 0; i < gn_os_proxy_settings_get_n_entries (current); i++)
    {
      const GnOsProxyEntry *now = gn_os_proxy_settings_get_entry (current, i);
      const GnOsProxyEntry *snap = gn_os_proxy_settings_lookup (j->snapshot, now->connection);
      const GnOsProxyEntry *our = gn_os_proxy_settings_lookup (ours, now->connection);
      const GnOsProxyServer *server;
      GnOsProxyEntry *put;

      if (per_key && snap != NULL && our != NULL)
        {
          if (!restore_keys (self, j, now, snap, our, &flags, msg, error))
            return FALSE;
          continue;
        }

      if (!gn_os_proxy_entry_points_at (now, j->host, j->port))
        {
          /* Equal to the snapshot: ours was never applied here (killed
           * before apply) or was already undone; nothing to say. */
          if (snap != NULL && !gn_os_proxy_entry_equal (now, snap))
            {
              g_autofree char *what = gn_os_proxy_entry_describe (now);

              flags |= GN_OS_PROXY_RESTORE_KEPT_OTHERS;
              g_string_append_printf (msg, _("The proxy settings were changed by another program "
                                             "while GuardNest was on (now: %s); they were left as they "
                                             "are. "), what);
            }
          continue;
        }

      if (snap == NULL)
        {
          put = gn_os_proxy_entry_copy (now);
          put->flags = GN_OS_PROXY_DIRECT;
          g_clear_pointer (&put->raw, g_variant_unref);
        }
      else if ((server = dead_loopback_server (snap)) != NULL)
        {
          /* A dead local tool's proxy: putting it back would cut the user
           * off. Keep everything but the mode. */
          put = gn_os_proxy_entry_copy (snap);
          put->flags = GN_OS_PROXY_DIRECT;
          g_clear_pointer (&put->raw, g_variant_unref);
          flags |= GN_OS_PROXY_RESTORE_NO_PROXY;
          g_string_append_printf (msg, _("Your previous proxy %s:%u is not running any more, so "
                                         "“no proxy” was set instead. "), server->host, server->port);
        }
      else
        put = gn_os_proxy_entry_copy (snap);

      gn_os_proxy_settings_take_entry (merged, put);
    }

  if (gn_os_proxy_settings_get_n_entries (merged) > 0)
    {
      if (!gn_os_proxy_write (self->backend, merged, error))
        return FALSE;
      flags |= GN_OS_PROXY_RESTORE_RESTORED;
    }

  /* The user's settings from before us stay on disk until they ask for
   * them (gn_os_proxy_guard_restore_previous()). */
  if (flags & GN_OS_PROXY_RESTORE_TAKEN_OVER)
    {
      g_autofree char *path = previous_path (self);

      if (!gn_os_proxy_journal_save (j, path, error))
        return FALSE;
    }

  if ((flags & GN_OS_PROXY_RESTORE_RESTORED) && !(flags & GN_OS_PROXY_RESTORE_NO_PROXY))
    {
      g_autoptr(GnOsProxySettings) after = gn_os_proxy_read (self->backend, NULL);
      g_autofree char *what = after ? gn_os_proxy_settings_describe (after) : NULL;

      g_string_prepend (msg, ". ");
      g_string_prepend (msg, what ? what : "");
      g_string_prepend (msg, (flags & GN_OS_PROXY_RESTORE_KEPT_OTHERS)
                        ? _("Your previous proxy settings were put back where no other program "
                            "had changed them; now: ")
                        : _("Your previous proxy settings were put back: "));
    }
  else if (flags == GN_OS_PROXY_RESTORE_NOTHING)
    g_string_append (msg, _("The proxy settings no longer pointed at GuardNest; nothing was changed."));

  if (flags_out)
    *flags_out = flags;
  if (message_out)
    *message_out = g_strdup (g_strstrip (msg->str));
  return TRUE;
}

static void
finish_clean (GnOsProxyGuard *self)
{
  g_autoptr(GError) error = NULL;

  if (!gn_os_proxy_journal_delete (self->journal_path, &error) ||
      !gn_os_proxy_remove_repair_entry (self->backend, &error))
    g_warning ("%s", error->message);
}

/* -------------------------------------------------------------- public */

gboolean
gn_os_proxy_guard_repair (GnOsProxyGuard        *self,
                          GnOsProxyRestoreFlags *flags,
                          char                 **message,
                          GError               **error)
{
  g_autoptr(GnOsProxyJournal) j = NULL;
  g_autoptr(GError) local = NULL;

  g_return_val_if_fail (GN_IS_OS_PROXY_GUARD (self), FALSE);

  if (flags)
    *flags = GN_OS_PROXY_RESTORE_NOTHING;
  if (message)
    *message = NULL;

  if (self->journal != NULL)
    {
      if (message)
        *message = g_strdup (_("GuardNest is protecting this computer; nothing to repair."));
      return TRUE;
    }

  j = gn_os_proxy_journal_load (self->journal_path, &local);
  if (j == NULL && local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (j == NULL)
    {
      /* A left-over repair entry without a journal is useless. */
      gn_os_proxy_remove_repair_entry (self->backend, NULL);
      if (message)
        *message = g_strdup (_("Nothing to repair: no saved proxy settings were found."));
      return TRUE;
    }

  if (gn_os_proxy_is_listening (j->host, j->port))
    {
      if (flags)
        *flags = GN_OS_PROXY_RESTORE_STILL_RUNNING;
      if (message)
        *message = g_strdup_printf (_("GuardNest is still running on %s:%u, so the proxy "
                                      "settings were left as they are."), j->host, j->port);
      return TRUE;
    }

  if (!restore_journal (self, j, flags, message, error))
    return FALSE;
  finish_clean (self);
  return TRUE;
}

gboolean
gn_os_proxy_guard_enable (GnOsProxyGuard  *self,
                          const char      *host,
                          guint16          port,
                          GError         **error)
{
  g_autoptr(GnOsProxySettings) current = NULL;
  g_autoptr(GnOsProxySettings) snapshot = NULL;
  g_autoptr(GnOsProxySettings) ours = NULL;
  g_autoptr(GnOsProxyJournal) j = NULL;
  g_autoptr(GError) local = NULL;
  GnOsProxyRestoreFlags flags;

  g_return_val_if_fail (GN_IS_OS_PROXY_GUARD (self), FALSE);
  g_return_val_if_fail (host != NULL && port != 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!gn_os_proxy_is_managed (self->backend))
    {
      g_set_error (error, GN_ERROR, GN_ERROR_NOT_SUPPORTED,
                   _("GuardNest does not change the system proxy settings here: %s"),
                   gn_os_proxy_get_unmanaged_reason (self->backend));
      return FALSE;
    }

  if (self->journal != NULL)
    {
      /* Already on: same snapshot, new address. */
      j = gn_os_proxy_journal_new (host, port, (const char * const *) self->bypass,
                                   self->journal->snapshot);
    }
  else
    {
      /* A journal from a crash: put the user's settings back first, so the
       * new snapshot is theirs and not ours. */
      if (!gn_os_proxy_guard_repair (self, &flags, NULL, error))
        return FALSE;
      if (flags & GN_OS_PROXY_RESTORE_STILL_RUNNING)
        {
          g_set_error (error, GN_ERROR, GN_ERROR_BUSY,
                       _("Another GuardNest is already managing the proxy settings."));
          return FALSE;
        }
      current = gn_os_proxy_read (self->backend, error);
      if (current == NULL)
        return FALSE;
      snapshot = sanitize_snapshot (current, host, port);
      j = gn_os_proxy_journal_new (host, port, (const char * const *) self->bypass, snapshot);
    }

  /* Restoring rebuilds exactly what we write from the journal. */
  j->use_pac = self->use_pac;
  if (!gn_os_proxy_journal_save (j, self->journal_path, error))
    return FALSE;

  if (self->hook)
    self->hook (self->hook_data);

  ours = ours_for_journal (self, j, NULL);
  if (!gn_os_proxy_write (self->backend, ours, error))
    {
      /* Put back whatever got half-written, then forget the journal. */
      if (gn_os_proxy_write (self->backend, j->snapshot, &local))
        gn_os_proxy_journal_delete (self->journal_path, NULL);
      else
        g_warning ("%s", local->message);
      return FALSE;
    }

  if (!gn_os_proxy_install_repair_entry (self->backend, &local))
    g_message ("%s", local->message);

  g_clear_pointer (&self->journal, gn_os_proxy_journal_free);
  self->journal = g_steal_pointer (&j);
  self->overridden = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACTIVE]);
  return TRUE;
}

gboolean
gn_os_proxy_guard_disable (GnOsProxyGuard        *self,
                           GnOsProxyRestoreFlags *flags,
                           char                 **message,
                           GError               **error)
{
  g_return_val_if_fail (GN_IS_OS_PROXY_GUARD (self), FALSE);

  if (flags)
    *flags = GN_OS_PROXY_RESTORE_NOTHING;
  if (message)
    *message = NULL;
  if (self->journal == NULL)
    return TRUE;

  if (!restore_journal (self, self->journal, flags, message, error))
    return FALSE;
  finish_clean (self);
  g_clear_pointer (&self->journal, gn_os_proxy_journal_free);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACTIVE]);
  return TRUE;
}

gboolean
gn_os_proxy_guard_set_bypass (GnOsProxyGuard      *self,
                              const char * const  *bypass,
                              GError             **error)
{
  g_return_val_if_fail (GN_IS_OS_PROXY_GUARD (self), FALSE);

  if (bypass == NULL)
    bypass = gn_os_proxy_get_default_bypass (self->backend);
  if (!gn_os_proxy_validate_bypass (bypass, error))
    return FALSE;
  if (g_strv_equal ((const char * const *) self->bypass, bypass))
    return TRUE;

  g_strfreev (self->bypass);
  self->bypass = g_strdupv ((char **) bypass);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYPASS]);

  if (self->journal != NULL)
    {
      g_autofree char *host = g_strdup (self->journal->host);
      return gn_os_proxy_guard_enable (self, host, self->journal->port, error);
    }
  return TRUE;
}

gboolean
gn_os_proxy_guard_set_use_pac (GnOsProxyGuard  *self,
                               gboolean         use_pac,
                               GError         **error)
{
  g_return_val_if_fail (GN_IS_OS_PROXY_GUARD (self), FALSE);

  use_pac = !!use_pac;
  if (self->use_pac == use_pac)
    return TRUE;
  self->use_pac = use_pac;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USE_PAC]);

  if (self->journal != NULL)
    {
      g_autofree char *host = g_strdup (self->journal->host);
      return gn_os_proxy_guard_enable (self, host, self->journal->port, error);
    }
  return TRUE;
}

gboolean
gn_os_proxy_guard_get_use_pac (GnOsProxyGuard *self)
{
  g_return_val_if_fail (GN_IS_OS_PROXY_GUARD (self), FALSE);
  return self->use_pac;
}

const char * const *
gn_os_proxy_guard_get_bypass (GnOsProxyGuard *self)
{
  g_return_val_if_fail (GN_IS_OS_PROXY_GUARD (self), NULL);
  return (const char * const *) self->bypass;
}

GnOsProxy *
gn_os_proxy_guard_get_backend (GnOsProxyGuard *self)
{
  g_return_val_if_fail (GN_IS_OS_PROXY_GUARD (self), NULL);
  return self->backend;
}

const char *
gn_os_proxy_guard_get_journal_path (GnOsProxyGuard *self)
{
  g_return_val_if_fail (GN_IS_OS_PROXY_GUARD (self), NULL);
  return self->journal_path;
}

gboolean
gn_os_proxy_guard_get_active (GnOsProxyGuard *self)
{
  g_return_val_if_fail (GN_IS_OS_PROXY_GUARD (self), FALSE);
  return self->journal != NULL;
}

gboolean
gn_os_proxy_guard_has_previous (GnOsProxyGuard *self)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (GN_IS_OS_PROXY_GUARD (self), FALSE);
  path = previous_path (self);
  return g_file_test (path, G_FILE_TEST_EXISTS);
}

gboolean
gn_os_proxy_guard_restore_previous (GnOsProxyGuard  *self,
                                    char           **message,
                                    GError         **error)
{
  g_autofree char *path = NULL;
  g_autoptr(GnOsProxyJournal) j = NULL;
  g_autoptr(GError) local = NULL;
  g_autofree char *what = NULL;

  g_return_val_if_fail (GN_IS_OS_PROXY_GUARD (self), FALSE);

  if (message)
    *message = NULL;
  path = previous_path (self);
  j = gn_os_proxy_journal_load (path, &local);
  if (j == NULL && local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (j == NULL)
    {
      if (message)
        *message = g_strdup ("There are no earlier proxy settings to put back.");
      return TRUE;
    }
  if (!gn_os_proxy_write (self->backend, j->snapshot, error) ||
      !gn_os_proxy_journal_delete (path, error))
    return FALSE;
  what = gn_os_proxy_settings_describe (j->snapshot);
  if (message)
    *message = g_strdup_printf ("Your proxy settings from before GuardNest were put back: %s.", what);
  return TRUE;
}

GnOsProxySettings *
gn_os_proxy_guard_read_current (GnOsProxyGuard  *self,
                                GError         **error)
{
  g_return_val_if_fail (GN_IS_OS_PROXY_GUARD (self), NULL);
  return gn_os_proxy_read (self->backend, error);
}

void
_gn_os_proxy_guard_set_after_journal_hook (GnOsProxyGuard *self,
                                           void          (*hook) (gpointer data),
                                           gpointer        data)
{
  self->hook = hook;
  self->hook_data = data;
}

/* ------------------------------------------------------- change watch */

static void
on_backend_changed (GnOsProxy *backend, GnOsProxyGuard *self)
{
  g_autoptr(GnOsProxySettings) current = NULL;
  g_autofree char *what = NULL;
  gboolean ours;

  if (self->journal == NULL)
    return;
  current = gn_os_proxy_read (backend, NULL);
  if (current == NULL)
    return;

  ours = TRUE;
  for (guint i = 0; i < gn_os_proxy_settings_get_n_entries (current); i++)
    {
      const GnOsProxyEntry *e = gn_os_proxy_settings_get_entry (current, i);

      if (gn_os_proxy_settings_lookup (self->journal->snapshot, e->connection) != NULL &&
          !gn_os_proxy_entry_points_at (e, self->journal->host, self->journal->port))
        ours = FALSE;
    }

  if (ours)
    {
      self->overridden = FALSE;
      return;
    }
  if (self->overridden)
    return;
  self->overridden = TRUE;
  what = gn_os_proxy_settings_describe (current);
  g_signal_emit (self, signals[CHANGED_BY_OTHER], 0, what);
}

/* ------------------------------------------------------------ GObject */

static void
gn_os_proxy_guard_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GnOsProxyGuard *self = GN_OS_PROXY_GUARD (object);

  switch (prop_id)
    {
    case PROP_ACTIVE:
      g_value_set_boolean (value, self->journal != NULL);
      break;
    case PROP_BYPASS:
      g_value_set_boxed (value, self->bypass);
      break;
    case PROP_USE_PAC:
      g_value_set_boolean (value, self->use_pac);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gn_os_proxy_guard_dispose (GObject *object)
{
  GnOsProxyGuard *self = GN_OS_PROXY_GUARD (object);

  if (self->backend)
    g_signal_handlers_disconnect_by_data (self->backend, self);
  g_clear_object (&self->backend);
  G_OBJECT_CLASS (gn_os_proxy_guard_parent_class)->dispose (object);
}

static void
gn_os_proxy_guard_finalize (GObject *object)
{
  GnOsProxyGuard *self = GN_OS_PROXY_GUARD (object);

  g_free (self->journal_path);
  g_strfreev (self->bypass);
  g_clear_pointer (&self->journal, gn_os_proxy_journal_free);
  G_OBJECT_CLASS (gn_os_proxy_guard_parent_class)->finalize (object);
}

static void
gn_os_proxy_guard_class_init (GnOsProxyGuardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = gn_os_proxy_guard_get_property;
  object_class->dispose = gn_os_proxy_guard_dispose;
  object_class->finalize = gn_os_proxy_guard_finalize;

  properties[PROP_ACTIVE] =
    g_param_spec_boolean ("active", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_BYPASS] =
    g_param_spec_boxed ("bypass", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_USE_PAC] =
    g_param_spec_boolean ("use-pac", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[CHANGED_BY_OTHER] =
    g_signal_new ("changed-by-other", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
gn_os_proxy_guard_init (GnOsProxyGuard *self)
{
}

GnOsProxyGuard *
gn_os_proxy_guard_new (GnOsProxy  *backend,
                       const char *journal_path)
{
  GnOsProxyGuard *self;

  g_return_val_if_fail (GN_IS_OS_PROXY (backend), NULL);

  self = g_object_new (GN_TYPE_OS_PROXY_GUARD, NULL);
  self->backend = g_object_ref (backend);
  self->journal_path = journal_path ? g_strdup (journal_path)
                                    : gn_os_proxy_journal_default_path ();
  self->bypass = g_strdupv ((char **) gn_os_proxy_get_default_bypass (backend));
  g_signal_connect (backend, "changed", G_CALLBACK (on_backend_changed), self);
  return self;
}
