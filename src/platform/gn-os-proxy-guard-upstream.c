/* gn-os-proxy-guard-upstream.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What GnOsProxyGuard tells the app about the user's own settings, apart
 * from pointing the system here and putting it back (gn-os-proxy-guard.c):
 * the company proxy to use as the way out, with its credentials, and the
 * bypass list in force while protecting (ours, then the user's own).
 *
 * Threading: the guard's thread (see gn-os-proxy-guard.h).
 */

#include "gn-os-proxy-guard-private.h"

gboolean
gn_os_proxy_guard_get_upstream (GnOsProxyGuard  *self,
                                const char      *our_host,
                                guint16          our_port,
                                char           **host,
                                guint16         *port,
                                char           **user,
                                char           **password)
{
  g_autoptr(GnOsProxySettings) settings = NULL;
  const GnOsProxyEntry *e;
  const GnOsProxyServer *server;

  g_return_val_if_fail (GN_IS_OS_PROXY_GUARD (self), FALSE);
  g_return_val_if_fail (host != NULL && port != NULL, FALSE);

  *host = NULL;
  *port = 0;
  if (user != NULL)
    *user = NULL;
  if (password != NULL)
    *password = NULL;
  if (self->journal != NULL)
    settings = gn_os_proxy_settings_ref (self->journal->snapshot);
  else
    settings = gn_os_proxy_read (self->backend, NULL);
  if (settings == NULL || gn_os_proxy_settings_get_n_entries (settings) == 0)
    return FALSE;

  e = gn_os_proxy_settings_lookup (settings, NULL);
  if (e == NULL)
    e = gn_os_proxy_settings_get_entry (settings, 0);
  server = _gn_os_proxy_manual_server (e);
  if (server == NULL || server->port == 0)
    return FALSE;
  if (our_host != NULL && gn_os_proxy_entry_points_at (e, our_host, our_port))
    return FALSE;
  if (gn_os_proxy_host_is_loopback (server->host) &&
      (server->port == our_port || !gn_os_proxy_is_listening (server->host, server->port)))
    return FALSE;

  *host = g_strdup (server->host);
  *port = server->port;
  /* GNOME's credentials belong to its HTTP proxy. */
  if (user != NULL && password != NULL && server == &e->http)
    gn_os_proxy_entry_get_credentials (e, user, password);
  return TRUE;
}

/* The bypass list in force while protecting: ours, then the user's own
 * entries (from the snapshot when active, else the current settings), as
 * gn_os_proxy_build_ours() writes them. */
GStrv
gn_os_proxy_guard_dup_effective_bypass (GnOsProxyGuard *self)
{
  g_autoptr(GnOsProxySettings) settings = NULL;
  g_autoptr(GStrvBuilder) merged = g_strv_builder_new ();
  const GnOsProxyEntry *e = NULL;
  guint n;

  g_return_val_if_fail (GN_IS_OS_PROXY_GUARD (self), NULL);

  g_strv_builder_addv (merged, (const char **) self->bypass);
  n = g_strv_length (self->bypass);
  if (self->journal != NULL)
    settings = gn_os_proxy_settings_ref (self->journal->snapshot);
  else
    settings = gn_os_proxy_read (self->backend, NULL);
  if (settings != NULL && gn_os_proxy_settings_get_n_entries (settings) > 0)
    {
      e = gn_os_proxy_settings_lookup (settings, NULL);
      if (e == NULL)
        e = gn_os_proxy_settings_get_entry (settings, 0);
    }
  for (guint k = 0; e != NULL && e->bypass != NULL && e->bypass[k] != NULL &&
                    n < GN_OS_PROXY_MAX_MERGED_BYPASS; k++)
    if (!g_strv_contains ((const char * const *) self->bypass, e->bypass[k]))
      {
        g_strv_builder_add (merged, e->bypass[k]);
        n++;
      }
  return g_strv_builder_end (merged);
}
