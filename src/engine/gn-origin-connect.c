/* gn-origin-connect.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Connecting a client connection to its origin (CONNECT targets and
 * plain-HTTP hosts), with the connect timeout (504), "could not find" and
 * "could not connect" (502) answers, and the check that the socket we
 * reached is not this proxy itself (508).
 *
 * An IP address is connected directly: a non-blocking GSocket and one
 * source waiting for it to be writable. That is most of what a setup costs
 * in user space otherwise: GSocketClient brings a GTask, an address
 * enumerator, event signals and its own sources per connect. Host names go
 * through GSocketClient (resolver, several addresses, happy eyeballs).
 *
 * With an upstream proxy in the config (the user's company proxy), every
 * target except loopback ones goes through it: a tunnel asks the upstream
 * for a CONNECT of its own (GIO's HTTP proxy support in a GSocketClient
 * given that proxy), plain HTTP connects to the upstream and sends it the
 * request in absolute form (gn-forward.c), since company proxies commonly
 * allow CONNECT to port 443 only.
 *
 * Threading: the connection's worker thread only.
 */

#include <string.h>
#include <glib/gi18n.h>

#include "gn-proxy-connection-private.h"
#include "gn-socket-source.h"

/* Loopback targets go upstream only when the upstream runs on this
 * machine too (cntlm, say): a remote company proxy's "localhost" is not the
 * user's. */
static gboolean
is_loopback_host (const char *host)
{
  g_autoptr(GInetAddress) ip = g_inet_address_new_from_string (host);

  if (ip != NULL)
    return g_inet_address_get_is_loopback (ip);
  return g_ascii_strcasecmp (host, "localhost") == 0 || g_str_has_suffix (host, ".localhost");
}

gboolean
_gn_proxy_connection_uses_upstream (GnProxyConnection *self)
{
  const char *upstream = self->config->upstream_host;

  if (upstream == NULL || upstream[0] == '\0' || self->config->upstream_port == 0)
    return FALSE;
  return !is_loopback_host (self->host) || is_loopback_host (upstream);
}

static void connect_done (GnProxyConnection *self, GSocketConnection *origin,
                          GSocketAddress *remote, GError *error);

static gboolean
on_connect_timeout (gpointer user_data)
{
  GnProxyConnection *self = user_data;

  g_clear_pointer (&self->timer, g_source_unref);
  self->timed_out = TRUE;
  if (self->connect_socket != NULL)
    {
      /* The direct path: give up on the socket now. */
      g_socket_close (self->connect_socket, NULL);
      connect_done (self, NULL, NULL,
                    g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, _("Timed out")));
      return G_SOURCE_REMOVE;
    }
  g_cancellable_cancel (self->connect_cancellable);
  return G_SOURCE_REMOVE;
}

/* Both ways of connecting end here. Takes @origin and @error. */
static void
connect_done (GnProxyConnection *self,
              GSocketConnection *origin,
              GSocketAddress    *remote,
              GError            *error)
{
  g_autoptr(GSocketConnection) owned_origin = origin;
  g_autoptr(GError) owned_error = error;
  g_autofree char *reason = NULL;
  GnConnectDoneFunc func = self->connect_func;
  guint status = 0;

  _gn_proxy_connection_clear_sources (self);
  g_clear_object (&self->connect_cancellable);
  g_clear_object (&self->connect_socket);

  if (owned_origin != NULL)
    {
      if (remote != NULL && gn_proxy_server_is_self_address (self->server, remote))
        {
          g_io_stream_close (G_IO_STREAM (owned_origin), NULL, NULL);
          g_clear_object (&owned_origin);
          status = 508;
          reason = g_strdup (_("The target is this proxy itself"));
        }
    }
  else if (self->timed_out || g_error_matches (owned_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    {
      status = 504;
      reason = g_strdup_printf (_("Connecting to %s port %u timed out"), self->host, self->port);
    }
  else if (owned_error->domain == G_RESOLVER_ERROR)
    {
      status = 502;
      reason = g_strdup_printf (_("Could not find the server %s"), self->host);
    }
  else if (_gn_proxy_connection_uses_upstream (self))
    {
      status = 502;
      reason = g_strdup_printf (_("Could not reach %s port %u through your proxy %s port %u: %s"),
                                self->host, self->port, self->config->upstream_host,
                                self->config->upstream_port, owned_error->message);
    }
  else
    {
      status = 502;
      reason = g_strdup_printf (_("Could not connect to %s port %u: %s"), self->host, self->port,
                                owned_error->message);
    }

  self->connect_func = NULL;
  func (self, owned_origin, status, reason);
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GnProxyConnection *self = user_data;
  GError *error = NULL;
  GSocketConnection *origin;
  g_autoptr(GSocketAddress) remote = NULL;

  origin = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (self->closing)
    {
      g_clear_object (&origin);
      g_clear_error (&error);
      gn_proxy_connection_unref (self);
      return;
    }
  if (origin != NULL)
    remote = g_socket_connection_get_remote_address (origin, NULL);
  connect_done (self, origin, remote, error);
  gn_proxy_connection_unref (self);
}

static void
arm_connect_timer (GnProxyConnection *self)
{
  self->timer = g_timeout_source_new (self->config->connect_timeout_ms);
  g_source_set_callback (self->timer, on_connect_timeout, self, NULL);
  g_source_attach (self->timer, g_main_context_get_thread_default ());
}

/* The direct path's connect has completed, one way or the other. */
static void
direct_connect_done (GnProxyConnection *self,
                     GSocketAddress    *remote)
{
  GSocket *socket = self->connect_socket;
  GError *error = NULL;

  if (!g_socket_check_connect_result (socket, &error))
    {
      g_socket_close (socket, NULL);
      connect_done (self, NULL, NULL, error);
      return;
    }
  connect_done (self, g_socket_connection_factory_create_connection (socket), remote, NULL);
}

/* The direct path's socket became writable (or failed). */
static gboolean
on_socket_connected (GSocket      *socket,
                     GIOCondition  condition,
                     gpointer      user_data)
{
  GnProxyConnection *self = user_data;
  g_autoptr(GSocketAddress) remote = g_steal_pointer (&self->connect_address);

  g_clear_pointer (&self->read_source, g_source_unref);
  direct_connect_done (self, remote);
  return G_SOURCE_REMOVE;
}

/* An IP address needs no resolving and no address enumeration: connect a
 * non-blocking socket and wait for it to be writable, one source in all,
 * instead of GSocketClient's GTask, enumerator, events and sources. */
static gboolean
connect_direct (GnProxyConnection *self,
                const char        *host,
                guint16            port)
{
  g_autoptr(GInetAddress) ip = g_inet_address_new_from_string (host);
  g_autoptr(GSocketAddress) address = NULL;
  GError *error = NULL;

  if (ip == NULL)
    return FALSE;

  address = g_inet_socket_address_new (ip, port);
  self->connect_socket = g_socket_new (g_inet_address_get_family (ip), G_SOCKET_TYPE_STREAM,
                                       G_SOCKET_PROTOCOL_TCP, &error);
  if (self->connect_socket == NULL)
    {
      connect_done (self, NULL, NULL, error);
      return TRUE;
    }
  g_socket_set_blocking (self->connect_socket, FALSE);

  if (g_socket_connect (self->connect_socket, address, NULL, &error))
    {
      GSocketConnection *origin = g_socket_connection_factory_create_connection (self->connect_socket);

      connect_done (self, origin, address, NULL);
      return TRUE;
    }
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PENDING))
    {
      g_socket_close (self->connect_socket, NULL);
      connect_done (self, NULL, NULL, error);
      return TRUE;
    }
  g_clear_error (&error);

  /* On loopback the handshake is over by the time connect() says "in
   * progress", and often on a LAN too: one poll() now saves a source, its
   * dispatch and the timer. Writable, hung up or failed all mean done. */
  if (g_socket_condition_check (self->connect_socket, G_IO_OUT) != 0)
    {
      direct_connect_done (self, address);
      return TRUE;
    }

  /* read_source is free while connecting: no head is being read. */
  g_assert (self->read_source == NULL);
  arm_connect_timer (self);
  self->connect_address = g_steal_pointer (&address);
  /* The timeout and finishing destroy the source. */
  self->read_source = gn_socket_source_new (self->connect_socket, G_IO_OUT,
                                            on_socket_connected, self);
  return TRUE;
}

/* A client that reaches the target through the upstream's CONNECT. */
static GSocketClient *
new_upstream_client (GnProxyConnection *self)
{
  g_autofree char *uri = gn_engine_config_dup_upstream_uri (self->config);
  g_autoptr(GProxyResolver) resolver = g_simple_proxy_resolver_new (uri, NULL);
  GSocketClient *client = g_socket_client_new ();

  g_socket_client_set_proxy_resolver (client, resolver);
  return client;
}

void
_gn_proxy_connection_connect (GnProxyConnection *self,
                              GnConnectDoneFunc  func)
{
  g_autoptr(GSocketConnectable) address = NULL;
  g_autoptr(GSocketClient) upstream_client = NULL;
  GSocketClient *client = self->socket_client;
  const char *host = self->host;
  guint16 port = self->port;

  g_assert (self->connect_func == NULL);

  self->connect_func = func;
  self->timed_out = FALSE;
  g_clear_object (&self->connect_cancellable);
  if (self->record != NULL)
    gn_connection_record_set_state (self->record, GN_CONNECTION_STATE_CONNECTING);

  if (_gn_proxy_connection_uses_upstream (self))
    {
      if (self->kind == GN_CONNECTION_KIND_TUNNEL)
        client = upstream_client = new_upstream_client (self);
      else
        {
          host = self->config->upstream_host;
          port = self->config->upstream_port;
        }
    }

  /* The direct path arms the timer only if it has to wait. */
  if (upstream_client == NULL && connect_direct (self, host, port))
    return;

  arm_connect_timer (self);
  self->connect_cancellable = g_cancellable_new ();
  address = g_network_address_new (host, port);
  g_socket_client_connect_async (client, address,
                                 self->connect_cancellable, on_connected,
                                 gn_proxy_connection_ref (self));
}
