/* gn-engine-config.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>

#include <gio/gio.h>

#include "gn-engine-config.h"
#include "gn-error.h"

G_DEFINE_BOXED_TYPE (GnEngineConfig, gn_engine_config,
                     gn_engine_config_ref, gn_engine_config_unref)

GnEngineConfig *
gn_engine_config_new (void)
{
  GnEngineConfig *self = g_new0 (GnEngineConfig, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->bind_address = g_strdup ("127.0.0.1");
  self->port = 3000;
  self->connect_timeout_ms = 10 * 1000;
  self->idle_timeout_s = 10 * 60;
  self->header_timeout_ms = 10 * 1000;
  self->drain_timeout_ms = 5 * 1000;
  self->max_connections = 4096;
  self->max_head_bytes = 32 * 1024;
  self->max_headers = 100;
  self->linger_ms = 60 * 1000;
  self->peer_wait_ms = 100;

  return self;
}

GnEngineConfig *
gn_engine_config_copy (const GnEngineConfig *self)
{
  GnEngineConfig *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_memdup2 (self, sizeof *self);
  g_atomic_ref_count_init (&copy->ref_count);
  copy->bind_address = g_strdup (self->bind_address);
  copy->upstream_host = g_strdup (self->upstream_host);
  copy->upstream_user = g_strdup (self->upstream_user);
  copy->upstream_password = g_strdup (self->upstream_password);
  copy->pac_bypass = g_strdupv (self->pac_bypass);
  if (self->peer_identifier != NULL)
    g_object_ref (self->peer_identifier);

  return copy;
}

GnEngineConfig *
gn_engine_config_ref (GnEngineConfig *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
gn_engine_config_unref (GnEngineConfig *self)
{
  g_return_if_fail (self != NULL);

  if (g_atomic_ref_count_dec (&self->ref_count))
    {
      g_free (self->bind_address);
      g_free (self->upstream_host);
      g_free (self->upstream_user);
      g_free (self->upstream_password);
      g_strfreev (self->pac_bypass);
      g_clear_object (&self->peer_identifier);
      g_free (self);
    }
}

gboolean
gn_engine_config_validate (const GnEngineConfig  *self,
                           GError               **error)
{
  g_autoptr(GInetAddress) address = NULL;

  g_return_val_if_fail (self != NULL, FALSE);

  address = g_inet_address_new_from_string (self->bind_address ? self->bind_address : "");
  if (address == NULL)
    {
      g_set_error (error, GN_ERROR, GN_ERROR_INVALID_CONFIG,
                   "“%s” is not an IP address to listen on",
                   self->bind_address ? self->bind_address : "");
      return FALSE;
    }

  if (!g_inet_address_get_is_loopback (address) && !self->allow_non_loopback)
    {
      g_set_error (error, GN_ERROR, GN_ERROR_NOT_LOOPBACK,
                   "Refusing to listen on %s: other computers could use the proxy there. "
                   "Only “guardnest --headless --listen ADDRESS --allow-remote” allows that.",
                   self->bind_address);
      return FALSE;
    }

  if (self->max_connections == 0 || self->max_head_bytes < 256 || self->max_headers == 0)
    {
      g_set_error (error, GN_ERROR, GN_ERROR_INVALID_CONFIG,
                   "Connection and request limits must be greater than zero");
      return FALSE;
    }

  return TRUE;
}

guint
gn_engine_config_get_n_workers (const GnEngineConfig *self)
{
  g_return_val_if_fail (self != NULL, 1);

  if (self->n_workers == 0)
    return CLAMP ((guint) g_get_num_processors (), 1, GN_ENGINE_MAX_AUTO_WORKERS);
  return MIN (self->n_workers, GN_ENGINE_MAX_WORKERS);
}

char *
gn_engine_config_dup_upstream_uri (const GnEngineConfig *self)
{
  g_autofree char *userinfo = NULL;
  const char *host;

  g_return_val_if_fail (self != NULL, NULL);

  host = self->upstream_host;
  if (host == NULL || *host == '\0' || self->upstream_port == 0)
    return NULL;
  if (self->upstream_user != NULL && *self->upstream_user != '\0')
    {
      g_autofree char *user = g_uri_escape_string (self->upstream_user, NULL, FALSE);
      g_autofree char *password = g_uri_escape_string (self->upstream_password ? self->upstream_password : "",
                                                       NULL, FALSE);

      userinfo = g_strdup_printf ("%s:%s@", user, password);
    }
  return g_strdup_printf (strchr (host, ':') != NULL ? "http://%s[%s]:%u" : "http://%s%s:%u",
                          userinfo ? userinfo : "", host, self->upstream_port);
}

char *
gn_engine_config_dup_upstream_authorization (const GnEngineConfig *self)
{
  g_autofree char *pair = NULL;
  g_autofree char *encoded = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  if (self->upstream_user == NULL || *self->upstream_user == '\0')
    return NULL;
  pair = g_strconcat (self->upstream_user, ":", self->upstream_password ? self->upstream_password : "", NULL);
  encoded = g_base64_encode ((const guchar *) pair, strlen (pair));
  return g_strconcat ("Basic ", encoded, NULL);
}
