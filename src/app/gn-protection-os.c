/* gn-protection-os.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GnProtection's side towards the operating system (see gn-protection.c
 * for the state machine): pointing the system proxy at the engine and
 * putting the user's settings back through GnOsProxyGuard, the "no proxy"
 * choice, another program's change, and the configuration the engine runs
 * with (the upstream policy and the bypass list for the PAC script).
 *
 * Threading: main thread only (the engine's owner thread).
 */

#include <glib/gi18n.h>

#include "gn-protection-private.h"
#include "gn-upstream-policy.h"

/* Points the OS proxy at the engine's port; on failure the proxy keeps
 * running and os_hint says what to do by hand. */
void
_gn_protection_apply_os_proxy (GnProtection *self)
{
  guint16 port = gn_engine_get_port (self->engine);
  g_autoptr(GError) error = NULL;
  GnOsProxy *backend;

  g_clear_pointer (&self->os_hint, g_free);
  if (self->guard == NULL)
    return;

  backend = gn_os_proxy_guard_get_backend (self->guard);
  if (!gn_os_proxy_is_managed (backend))
    {
      self->os_hint = g_strdup_printf (_("The system proxy is not managed here: %s. "
                                         "Set your programs to use the proxy 127.0.0.1:%u."),
                                       gn_os_proxy_get_unmanaged_reason (backend), port);
      _gn_protection_say (self, self->os_hint);
      return;
    }
  if (!gn_os_proxy_guard_enable (self->guard, "127.0.0.1", port, &error))
    {
      self->os_hint = g_strdup_printf (_("The system proxy could not be changed: %s. "
                                         "Set your programs to use the proxy 127.0.0.1:%u."),
                                       error->message, port);
      _gn_protection_say (self, self->os_hint);
      return;
    }
  if (gn_os_proxy_guard_get_use_pac (self->guard))
    {
      g_autofree char *url = gn_os_proxy_pac_url ("127.0.0.1", port);
      g_autofree char *line = g_strdup_printf (_("The system proxy (%s) now uses the script %s; "
                                                 "your settings are saved in %s"),
                                               gn_os_proxy_get_name (backend), url,
                                               gn_os_proxy_guard_get_journal_path (self->guard));
      _gn_protection_say (self, line);
    }
  else
    {
      g_autofree char *line = g_strdup_printf (_("The system proxy (%s) now points at 127.0.0.1:%u; "
                                                 "your settings are saved in %s"),
                                               gn_os_proxy_get_name (backend), port,
                                               gn_os_proxy_guard_get_journal_path (self->guard));
      _gn_protection_say (self, line);
    }
}

/* The user chose "no proxy" over their previous settings: every place the
 * guard just restored becomes direct. */
static void
turn_os_proxy_off (GnProtection *self)
{
  GnOsProxy *backend = gn_os_proxy_guard_get_backend (self->guard);
  g_autoptr(GnOsProxySettings) current = NULL;
  g_autoptr(GnOsProxySettings) direct = NULL;
  g_autoptr(GError) error = NULL;

  current = gn_os_proxy_read (backend, &error);
  if (current != NULL)
    {
      direct = gn_os_proxy_settings_new (gn_os_proxy_get_name (backend));
      for (guint i = 0; i < gn_os_proxy_settings_get_n_entries (current); i++)
        {
          GnOsProxyEntry *entry = gn_os_proxy_entry_copy (gn_os_proxy_settings_get_entry (current, i));

          entry->flags = GN_OS_PROXY_DIRECT;
          g_clear_pointer (&entry->pac_url, g_free);
          g_clear_pointer (&entry->raw, g_variant_unref);
          gn_os_proxy_settings_take_entry (direct, entry);
        }
    }
  if (direct == NULL || !gn_os_proxy_write (backend, direct, &error))
    {
      g_autofree char *text = g_strdup_printf (_("The system proxy could not be turned off: %s"),
                                               error->message);
      _gn_protection_set_string (self, &self->last_result, text, PROP_LAST_RESULT);
      return;
    }
  _gn_protection_set_string (self, &self->last_result, _("The system proxy is off."), PROP_LAST_RESULT);
}

void
gn_protection_set_restore_no_proxy (GnProtection *self,
                                    gboolean      no_proxy)
{
  g_return_if_fail (GN_IS_PROTECTION (self));
  self->restore_no_proxy = !!no_proxy;
}

/* Puts the user's proxy settings back; says what happened. FALSE when
 * they could not be put back. */
gboolean
_gn_protection_restore_os_proxy (GnProtection *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  GnOsProxyRestoreFlags flags = 0;

  g_clear_pointer (&self->os_hint, g_free);
  if (self->guard == NULL || !gn_os_proxy_guard_get_active (self->guard))
    return TRUE;

  if (!gn_os_proxy_guard_disable (self->guard, &flags, &message, &error))
    {
      g_autofree char *text = g_strdup_printf (_("Your previous proxy settings could not be put back: %s"),
                                               error->message);
      _gn_protection_set_string (self, &self->last_result, text, PROP_LAST_RESULT);
      _gn_protection_say (self, text);
      return FALSE;
    }
  if ((flags & GN_OS_PROXY_RESTORE_RESTORED) && self->restore_no_proxy)
    {
      turn_os_proxy_off (self);
      _gn_protection_say (self, self->last_result);
      return TRUE;
    }
  if (message != NULL)
    _gn_protection_set_string (self, &self->last_result, message, PROP_LAST_RESULT);
  _gn_protection_say (self, message);
  return TRUE;
}

/* The configuration to run with: the base one, the upstream decided by
 * the one policy, and the system's bypass list for the PAC script. Says
 * which upstream it took when that changed. */
void
_gn_protection_update_engine_config (GnProtection *self)
{
  g_autoptr(GnEngineConfig) current = gn_engine_dup_config (self->engine);
  g_autoptr(GnEngineConfig) config = NULL;
  g_autofree char *host = NULL;
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;
  g_autofree char *message = NULL;
  GnSystemUpstream system = { NULL, 0, NULL, NULL };

  if (self->guard != NULL &&
      gn_os_proxy_guard_get_upstream (self->guard, "127.0.0.1", self->base_config->port,
                                      &host, &system.port, &user, &password))
    {
      system.host = host;
      system.user = user;
      system.password = password;
    }
  config = gn_upstream_policy_apply (self->base_config, &system, &message);
  if (self->guard != NULL)
    {
      /* The user's own entries too: they go direct, as the system says. */
      g_strfreev (config->pac_bypass);
      config->pac_bypass = gn_os_proxy_guard_dup_effective_bypass (self->guard);
    }
  if (g_strcmp0 (config->upstream_host, current->upstream_host) != 0 ||
      config->upstream_port != current->upstream_port)
    _gn_protection_say (self, message);
  gn_engine_set_config (self->engine, config);
}

void
_gn_protection_changed_by_other_cb (GnOsProxyGuard *guard,
                                    const char     *description,
                                    GnProtection   *self)
{
  g_free (self->os_hint);
  self->os_hint = g_strdup_printf (_("Another program changed the system proxy (%s); "
                                     "turn protection off and on to point it here again."),
                                   description);
  if (self->state == GN_PROTECTION_ON)
    _gn_protection_set_string (self, &self->hint, self->os_hint, PROP_HINT);
  _gn_protection_say (self, self->os_hint);
}
