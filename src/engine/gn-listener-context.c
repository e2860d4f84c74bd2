/* gn-listener-context.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The per-listener context (see gn-listener-context.h): its construction
 * and the checks of whether an address, a connected peer or a Host header
 * names this proxy itself.
 *
 * Threading: any thread; nothing here changes after construction but the
 * atomics the server writes.
 */

#include <string.h>

#include "gn-http-parser.h"
#include "gn-listener-context.h"

GnListenerContext *
gn_listener_context_new (GnEngineConfig       *config,
                         GnConnectionRegistry *registry,
                         GInetAddress         *bind_address,
                         guint16               port,
                         guint                 max_connections)
{
  GnListenerContext *self = g_new0 (GnListenerContext, 1);

  g_return_val_if_fail (config != NULL && G_IS_INET_ADDRESS (bind_address), NULL);

  g_atomic_ref_count_init (&self->ref_count);
  self->config = gn_engine_config_ref (config);
  self->registry = registry != NULL ? g_object_ref (registry) : NULL;
  self->bind_address = gn_domain_canonical_inet_address (bind_address);
  self->bind_any = g_inet_address_get_is_any (self->bind_address);
  self->port = port;
  self->max_connections = max_connections;
  g_snprintf (self->via, sizeof self->via, "guardnest-%08x", g_random_int ());
  self->local_names = gn_local_names_new (NULL);
  return self;
}

GnListenerContext *
gn_listener_context_ref (GnListenerContext *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
gn_listener_context_unref (GnListenerContext *self)
{
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_clear_object (&self->bind_address);
  g_clear_object (&self->registry);
  g_clear_pointer (&self->local_names, gn_local_names_unref);
  g_clear_pointer (&self->config, gn_engine_config_unref);
  g_free (self);
}

/* @address in canonical form (gn_domain_canonical_inet_address()). Bound
 * to 0.0.0.0 we take IPv4 only; bound to :: (dual stack on Linux) both. */
static gboolean
address_is_self (GnListenerContext *self,
                 GInetAddress      *address,
                 GInetAddress      *local)
{
  if (g_inet_address_equal (address, self->bind_address))
    return TRUE;
  if (!self->bind_any)
    return FALSE;
  if (g_inet_address_get_family (self->bind_address) == G_SOCKET_FAMILY_IPV4 &&
      g_inet_address_get_family (address) != G_SOCKET_FAMILY_IPV4)
    return FALSE;
  if (g_inet_address_get_is_loopback (address) || g_inet_address_get_is_any (address))
    return TRUE;
  return local != NULL && g_inet_address_equal (address, local);
}

gboolean
gn_listener_context_is_self (GnListenerContext *self,
                             const char        *host,
                             guint16            port)
{
  g_autoptr(GInetAddress) parsed = NULL;
  g_autoptr(GInetAddress) address = NULL;

  if (port != self->port || !g_atomic_int_get (&self->listening))
    return FALSE;
  if (g_ascii_strcasecmp (host, "localhost") == 0 || g_str_has_suffix (host, ".localhost"))
    return TRUE;
  parsed = g_inet_address_new_from_string (host);
  if (parsed == NULL)
    return FALSE;
  address = gn_domain_canonical_inet_address (parsed);
  return address_is_self (self, address, NULL);
}

/* @socket's local address, canonical, or NULL. */
static GInetAddress *
local_address (GSocket *socket)
{
  g_autoptr(GSocketAddress) sa = g_socket_get_local_address (socket, NULL);

  if (!G_IS_INET_SOCKET_ADDRESS (sa))
    return NULL;
  return gn_domain_canonical_inet_address (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (sa)));
}

gboolean
gn_listener_context_is_self_peer (GnListenerContext *self,
                                  GSocket           *socket,
                                  GSocketAddress    *peer)
{
  g_autoptr(GSocketAddress) asked = NULL;
  g_autoptr(GInetAddress) remote = NULL;
  g_autoptr(GInetAddress) local = NULL;

  if (peer == NULL)
    peer = asked = g_socket_get_remote_address (socket, NULL);
  /* The port first: for every other port, nothing more to look at. */
  if (!G_IS_INET_SOCKET_ADDRESS (peer) ||
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (peer)) != self->port)
    return FALSE;
  remote = gn_domain_canonical_inet_address (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (peer)));
  if (self->bind_any && !g_inet_address_get_is_loopback (remote))
    local = local_address (socket);
  return address_is_self (self, remote, local);
}

gboolean
gn_listener_context_is_own_authority (GnListenerContext *self,
                                      const char        *host,
                                      gsize              host_len,
                                      GSocket           *client)
{
  char name[GN_HTTP_HOST_MAX];
  guint16 port = 0;
  g_autoptr(GInetAddress) parsed = NULL;
  g_autoptr(GInetAddress) address = NULL;
  g_autoptr(GInetAddress) local = NULL;

  if (host == NULL || !gn_http_parse_authority (host, host_len, 80, name, &port) || port != self->port)
    return FALSE;
  if (g_ascii_strcasecmp (name, "localhost") == 0)
    return TRUE;
  parsed = g_inet_address_new_from_string (name);
  if (parsed == NULL)
    return FALSE;
  address = gn_domain_canonical_inet_address (parsed);
  if (g_inet_address_get_is_loopback (address) || g_inet_address_equal (address, self->bind_address))
    return TRUE;
  /* Bound to every address: the address this client reached us on. */
  if (self->bind_any && client != NULL)
    local = local_address (client);
  return local != NULL && g_inet_address_equal (address, local);
}
