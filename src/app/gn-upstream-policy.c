/* gn-upstream-policy.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The upstream rule (see gn-upstream-policy.h).
 *
 * Threading: pure functions, any thread.
 */

#include <glib/gi18n.h>

#include "gn-upstream-policy.h"

static void
set_credentials (GnEngineConfig *config,
                 const char     *user,
                 const char     *password)
{
  g_free (config->upstream_user);
  config->upstream_user = g_strdup (user);
  g_free (config->upstream_password);
  config->upstream_password = user != NULL ? g_strdup (password ? password : "") : NULL;
}

GnEngineConfig *
gn_upstream_policy_apply (const GnEngineConfig   *base,
                          const GnSystemUpstream *system,
                          char                  **message)
{
  GnEngineConfig *config;
  gboolean from_system;

  g_return_val_if_fail (base != NULL, NULL);

  if (message != NULL)
    *message = NULL;
  config = gn_engine_config_copy (base);
  from_system = system != NULL && system->host != NULL && *system->host != '\0' && system->port != 0;

  if (config->upstream_host != NULL && *config->upstream_host != '\0')
    {
      /* 1: the saved one; the system's credentials only for the same proxy. */
      if (config->upstream_user == NULL && from_system && system->port == config->upstream_port &&
          g_ascii_strcasecmp (system->host, config->upstream_host) == 0)
        set_credentials (config, system->user, system->password);
      return config;
    }

  g_clear_pointer (&config->upstream_host, g_free);
  config->upstream_port = 0;
  set_credentials (config, NULL, NULL);
  if (!from_system)
    return config;  /* 3: direct */

  /* 2: the user's own proxy. */
  config->upstream_host = g_strdup (system->host);
  config->upstream_port = system->port;
  set_credentials (config, system->user, system->password);
  if (message != NULL)
    *message = g_strdup_printf (system->user != NULL
                                ? _("Using your proxy %s:%u as the way out (with your user name and password).")
                                : _("Using your proxy %s:%u as the way out."),
                                system->host, system->port);
  return config;
}
