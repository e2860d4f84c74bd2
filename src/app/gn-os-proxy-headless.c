/* gn-os-proxy-headless.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The headless mode's OS proxy management (see gn-os-proxy-headless.h).
 * Restoring happens on the main thread after the main loop returns, never in
 * a signal handler: signals only quit the loop (g_unix_signal sources), and
 * the logind inhibitor is held until the restore is done.
 *
 * Threading: main thread.
 */

#include "gn-os-proxy-headless.h"
#include "gn-shutdown-watch.h"

struct _GnOsProxyHeadless
{
  GnOsProxy       *backend;  /* (owned) */
  GnOsProxyGuard  *guard;    /* (owned) */
  GnShutdownWatch *watch;    /* (owned) (nullable) */
  GMainLoop       *loop;     /* (owned) (nullable) */
};

static void
say (const char *message)
{
  if (message != NULL && *message != '\0')
    g_printerr ("guardnest: %s\n", message);
}

static void
on_changed_by_other (GnOsProxyGuard *guard, const char *description, gpointer data)
{
  g_autofree char *line = g_strdup_printf ("another program changed the system proxy "
                                           "settings (now: %s).", description);
  say (line);
}

GnOsProxyHeadless *
gn_os_proxy_headless_prepare (GnEngineConfig *config,
                              gboolean        use_pac)
{
  GnOsProxyHeadless *self = g_new0 (GnOsProxyHeadless, 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  g_autofree char *host = NULL;
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;
  GnOsProxyRestoreFlags flags;
  guint16 port;

  g_return_val_if_fail (config != NULL, NULL);

  self->backend = gn_os_proxy_new_for_desktop ();
  self->guard = gn_os_proxy_guard_new (self->backend, NULL);
  gn_os_proxy_guard_set_use_pac (self->guard, use_pac, NULL);  /* not active yet: cannot fail */
  if (config->pac_bypass == NULL)
    config->pac_bypass = g_strdupv ((char **) gn_os_proxy_guard_get_bypass (self->guard));
  if (!gn_os_proxy_is_managed (self->backend))
    {
      g_autofree char *why = g_strdup_printf ("the system proxy is not managed: %s",
                                              gn_os_proxy_get_unmanaged_reason (self->backend));
      say (why);
      return self;
    }

  /* Before anything else: a crash's leftovers. */
  if (!gn_os_proxy_guard_repair (self->guard, &flags, &message, &error))
    say (error->message);
  else if (flags & GN_OS_PROXY_RESTORE_RESTORED)
    say (message);

  if (!gn_os_proxy_guard_get_upstream (self->guard, config->bind_address, config->port,
                                       &host, &port, &user, &password))
    return self;
  if (config->upstream_host != NULL)
    {
      /* A saved upstream wins; the settings' credentials belong to it only
       * if it is the same proxy (they are never saved by us). */
      if (config->upstream_user == NULL && port == config->upstream_port &&
          g_ascii_strcasecmp (host, config->upstream_host) == 0)
        {
          config->upstream_user = g_steal_pointer (&user);
          config->upstream_password = g_steal_pointer (&password);
        }
    }
  else
    {
      g_autofree char *line = g_strdup_printf ("using your proxy %s:%u as upstream%s", host, port,
                                               user ? " (with your user name and password)" : "");

      say (line);
      config->upstream_host = g_steal_pointer (&host);
      config->upstream_port = port;
      config->upstream_user = g_steal_pointer (&user);
      config->upstream_password = g_steal_pointer (&password);
    }
  return self;
}

static void
on_shutdown (GnShutdownWatch *watch, const char *reason, GnOsProxyHeadless *self)
{
  g_autofree char *line = g_strdup_printf ("%s: restoring the system proxy settings", reason);

  say (line);
  if (self->loop != NULL)
    g_main_loop_quit (self->loop);
}

gboolean
gn_os_proxy_headless_enable (GnOsProxyHeadless  *self,
                             const char         *host,
                             guint16             port,
                             GMainLoop          *loop,
                             GError            **error)
{
  g_autofree char *line = NULL;

  g_return_val_if_fail (self != NULL, FALSE);

  if (!gn_os_proxy_is_managed (self->backend))
    return TRUE;  /* already reported by prepare */

  /* Watch first: a signal between apply and the loop must still restore. */
  if (loop != NULL && self->watch == NULL)
    {
      self->loop = g_main_loop_ref (loop);
      self->watch = gn_shutdown_watch_new ();
      g_signal_connect (self->watch, "shutdown", G_CALLBACK (on_shutdown), self);
    }
  if (!gn_os_proxy_guard_enable (self->guard, host, port, error))
    return FALSE;
  g_signal_connect (self->guard, "changed-by-other", G_CALLBACK (on_changed_by_other), NULL);

  if (gn_os_proxy_guard_get_use_pac (self->guard))
    {
      g_autofree char *url = gn_os_proxy_pac_url (host, port);

      line = g_strdup_printf ("system proxy (%s) now uses the script %s; your settings are saved in %s",
                              gn_os_proxy_get_name (self->backend), url,
                              gn_os_proxy_guard_get_journal_path (self->guard));
    }
  else
    line = g_strdup_printf ("system proxy (%s) now points at %s:%u; your settings are saved in %s",
                            gn_os_proxy_get_name (self->backend), host, port,
                            gn_os_proxy_guard_get_journal_path (self->guard));
  say (line);
  return TRUE;
}

gboolean
gn_os_proxy_headless_finish (GnOsProxyHeadless *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  gboolean ok = TRUE;

  if (self == NULL)
    return TRUE;

  if (gn_os_proxy_guard_get_active (self->guard))
    {
      ok = gn_os_proxy_guard_disable (self->guard, NULL, &message, &error);
      say (ok ? message : error->message);
    }
  if (self->watch != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->watch, self);
      gn_shutdown_watch_release_inhibitor (self->watch);
    }
  g_clear_object (&self->watch);
  g_clear_pointer (&self->loop, g_main_loop_unref);
  g_clear_object (&self->guard);
  g_clear_object (&self->backend);
  g_free (self);
  return ok;
}
