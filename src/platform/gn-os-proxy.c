/* gn-os-proxy.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The GnOsProxy base class: argument checking, the shared "apply ours" step
 * (read the current settings, build ours for every entry, write) and the
 * "changed" signal. The OS-specific parts are the subclasses' read and write.
 *
 * Threading: the thread that created the object; "changed" is emitted there.
 */

#include <glib/gi18n.h>

#include "gn-os-proxy.h"

enum { CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_ABSTRACT_TYPE (GnOsProxy, gn_os_proxy, G_TYPE_OBJECT)

static const char *
gn_os_proxy_real_get_unmanaged_reason (GnOsProxy *self)
{
  return NULL;
}

static const char * const *
gn_os_proxy_real_get_default_bypass (GnOsProxy *self)
{
  return gn_os_proxy_default_bypass ();
}

static GnOsProxySettings *
gn_os_proxy_real_build_ours (GnOsProxy               *self,
                             const GnOsProxySettings *current,
                             const char              *host,
                             guint16                  port,
                             const char * const      *bypass)
{
  GnOsProxySettings *ours = gn_os_proxy_settings_new (gn_os_proxy_get_name (self));
  guint n = gn_os_proxy_settings_get_n_entries (current);

  /* A backend always reports at least its main entry; be safe anyway. */
  for (guint i = 0; i < MAX (n, 1); i++)
    {
      const GnOsProxyEntry *cur = n ? gn_os_proxy_settings_get_entry (current, i) : NULL;
      GnOsProxyEntry *e = gn_os_proxy_entry_new (cur ? cur->connection : NULL);

      e->flags = GN_OS_PROXY_MANUAL;
      e->http.host = g_strdup (host);
      e->http.port = port;
      e->https.host = g_strdup (host);
      e->https.port = port;
      g_strfreev (e->bypass);
      e->bypass = g_strdupv ((char **) bypass);
      gn_os_proxy_settings_take_entry (ours, e);
    }
  return ours;
}

static void
gn_os_proxy_class_init (GnOsProxyClass *klass)
{
  klass->get_unmanaged_reason = gn_os_proxy_real_get_unmanaged_reason;
  klass->get_default_bypass = gn_os_proxy_real_get_default_bypass;
  klass->build_ours = gn_os_proxy_real_build_ours;

  /**
   * GnOsProxy::changed:
   *
   * The OS proxy settings changed, by us or by another program.
   */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass),
                                   G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                   G_TYPE_NONE, 0);
}

static void
gn_os_proxy_init (GnOsProxy *self)
{
}

const char *
gn_os_proxy_get_name (GnOsProxy *self)
{
  g_return_val_if_fail (GN_IS_OS_PROXY (self), NULL);
  return GN_OS_PROXY_GET_CLASS (self)->get_name (self);
}

const char *
gn_os_proxy_get_unmanaged_reason (GnOsProxy *self)
{
  g_return_val_if_fail (GN_IS_OS_PROXY (self), NULL);
  return GN_OS_PROXY_GET_CLASS (self)->get_unmanaged_reason (self);
}

gboolean
gn_os_proxy_is_managed (GnOsProxy *self)
{
  return gn_os_proxy_get_unmanaged_reason (self) == NULL;
}

const char * const *
gn_os_proxy_get_default_bypass (GnOsProxy *self)
{
  g_return_val_if_fail (GN_IS_OS_PROXY (self), NULL);
  return GN_OS_PROXY_GET_CLASS (self)->get_default_bypass (self);
}

GnOsProxySettings *
gn_os_proxy_read (GnOsProxy  *self,
                  GError    **error)
{
  g_return_val_if_fail (GN_IS_OS_PROXY (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  return GN_OS_PROXY_GET_CLASS (self)->read (self, error);
}

gboolean
gn_os_proxy_write (GnOsProxy               *self,
                   const GnOsProxySettings *settings,
                   GError                 **error)
{
  g_return_val_if_fail (GN_IS_OS_PROXY (self), FALSE);
  g_return_val_if_fail (settings != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (g_strcmp0 (gn_os_proxy_settings_get_backend (settings), gn_os_proxy_get_name (self)) != 0)
    {
      g_set_error (error, GN_ERROR, GN_ERROR_PLATFORM,
                   _("These proxy settings were saved on a different desktop (%s) "
                     "and cannot be put back on this one (%s)."),
                   gn_os_proxy_settings_get_backend (settings), gn_os_proxy_get_name (self));
      return FALSE;
    }
  return GN_OS_PROXY_GET_CLASS (self)->write (self, settings, error);
}

gboolean
gn_os_proxy_can_restore_keys (GnOsProxy *self)
{
  g_return_val_if_fail (GN_IS_OS_PROXY (self), FALSE);
  return GN_OS_PROXY_GET_CLASS (self)->restore_entry != NULL;
}

gboolean
gn_os_proxy_restore_entry (GnOsProxy            *self,
                           const GnOsProxyEntry *snapshot,
                           const GnOsProxyEntry *ours,
                           GnOsProxyKeysResult  *result,
                           GStrv                *kept,
                           GError              **error)
{
  GnOsProxyKeysResult local_result = GN_OS_PROXY_KEYS_NOTHING;
  GStrv local_kept = NULL;

  g_return_val_if_fail (GN_IS_OS_PROXY (self), FALSE);
  g_return_val_if_fail (snapshot != NULL && ours != NULL, FALSE);
  g_return_val_if_fail (g_strcmp0 (snapshot->connection, ours->connection) == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (result)
    *result = GN_OS_PROXY_KEYS_NOTHING;
  if (kept)
    *kept = NULL;
  if (GN_OS_PROXY_GET_CLASS (self)->restore_entry == NULL)
    {
      g_set_error (error, GN_ERROR, GN_ERROR_NOT_SUPPORTED,
                   "The %s proxy settings cannot be restored key by key.",
                   gn_os_proxy_get_name (self));
      return FALSE;
    }
  if (!GN_OS_PROXY_GET_CLASS (self)->restore_entry (self, snapshot, ours, &local_result,
                                                    &local_kept, error))
    return FALSE;
  if (result)
    *result = local_result;
  if (kept)
    *kept = local_kept;
  else
    g_strfreev (local_kept);
  return TRUE;
}

GnOsProxySettings *
gn_os_proxy_build_ours (GnOsProxy               *self,
                        const GnOsProxySettings *current,
                        const char              *host,
                        guint16                  port,
                        const char * const      *bypass)
{
  GnOsProxySettings *ours;

  g_return_val_if_fail (GN_IS_OS_PROXY (self), NULL);
  g_return_val_if_fail (current != NULL, NULL);
  g_return_val_if_fail (host != NULL, NULL);

  if (bypass == NULL)
    bypass = gn_os_proxy_get_default_bypass (self);
  ours = GN_OS_PROXY_GET_CLASS (self)->build_ours (self, current, host, port, bypass);

  /* The user's own bypass entries ("intranet", ".corp.example") stay in
   * force while we protect: ours first, then theirs not already there. */
  for (guint i = 0; i < gn_os_proxy_settings_get_n_entries (ours); i++)
    {
      GnOsProxyEntry *e = (GnOsProxyEntry *) gn_os_proxy_settings_get_entry (ours, i);
      const GnOsProxyEntry *user = gn_os_proxy_settings_lookup (current, e->connection);
      g_autoptr(GStrvBuilder) merged = NULL;
      guint n;

      if (user == NULL || user->bypass == NULL || user->bypass[0] == NULL)
        continue;
      merged = g_strv_builder_new ();
      g_strv_builder_addv (merged, (const char **) e->bypass);
      n = g_strv_length (e->bypass);
      for (guint k = 0; user->bypass[k] != NULL && n < GN_OS_PROXY_MAX_MERGED_BYPASS; k++)
        if (!g_strv_contains ((const char * const *) e->bypass, user->bypass[k]))
          {
            g_strv_builder_add (merged, user->bypass[k]);
            n++;
          }
      g_strfreev (e->bypass);
      e->bypass = g_strv_builder_end (merged);
    }
  return ours;
}

gboolean
gn_os_proxy_apply (GnOsProxy          *self,
                   const char         *host,
                   guint16             port,
                   const char * const *bypass,
                   GError            **error)
{
  g_autoptr(GnOsProxySettings) current = NULL;
  g_autoptr(GnOsProxySettings) ours = NULL;

  g_return_val_if_fail (GN_IS_OS_PROXY (self), FALSE);
  g_return_val_if_fail (host != NULL, FALSE);

  current = gn_os_proxy_read (self, error);
  if (current == NULL)
    return FALSE;
  ours = gn_os_proxy_build_ours (self, current, host, port, bypass);
  return gn_os_proxy_write (self, ours, error);
}

gboolean
gn_os_proxy_points_at (GnOsProxy   *self,
                       const char  *host,
                       guint16      port,
                       GError     **error)
{
  g_autoptr(GnOsProxySettings) current = NULL;

  g_return_val_if_fail (GN_IS_OS_PROXY (self), FALSE);

  current = gn_os_proxy_read (self, error);
  return current != NULL && gn_os_proxy_settings_points_at (current, host, port);
}

void
gn_os_proxy_emit_changed (GnOsProxy *self)
{
  g_return_if_fail (GN_IS_OS_PROXY (self));
  g_signal_emit (self, signals[CHANGED], 0);
}

gboolean
gn_os_proxy_install_repair_entry (GnOsProxy  *self,
                                  GError    **error)
{
  GnOsProxyClass *klass;

  g_return_val_if_fail (GN_IS_OS_PROXY (self), FALSE);
  klass = GN_OS_PROXY_GET_CLASS (self);
  return klass->install_repair_entry ? klass->install_repair_entry (self, error) : TRUE;
}

gboolean
gn_os_proxy_remove_repair_entry (GnOsProxy  *self,
                                 GError    **error)
{
  GnOsProxyClass *klass;

  g_return_val_if_fail (GN_IS_OS_PROXY (self), FALSE);
  klass = GN_OS_PROXY_GET_CLASS (self);
  return klass->remove_repair_entry ? klass->remove_repair_entry (self, error) : TRUE;
}
