/* gn-origin-connector.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Connecting to an origin (see gn-origin-connector.h).
 *
 * An IP address is connected directly: a non-blocking GSocket and one
 * source waiting for it to be writable. That is most of what a setup costs
 * in user space otherwise: GSocketClient brings a GTask, an address
 * enumerator, event signals and its own sources per connect. Host names go
 * through GSocketClient (resolver, several addresses, happy eyeballs); only
 * that path allocates a small record, so that its callback, which GIO runs
 * even after a cancel, can tell the connector is gone.
 *
 * With an upstream proxy in the config (the user's company proxy), every
 * target goes through it except what the user's system would not send
 * there: loopback, private and link-local addresses, names the hosts file
 * maps to them, and the system's bypass list (config->pac_bypass, matched
 * as the PAC script does). A tunnel asks the upstream
 * for a CONNECT of its own (GIO's HTTP proxy support in a GSocketClient
 * given that proxy); otherwise the socket goes to the upstream and the
 * caller sends it the request in absolute form, since company proxies
 * commonly allow CONNECT to port 443 only.
 *
 * Every way of connecting ends in connected(): the socket actually reached
 * is checked against the listener's own addresses before the owner sees
 * it, so nothing is ever written to ourselves (508), whatever spelling or
 * name led there.
 *
 * Threading: the owner's thread only (a worker's thread-default context).
 */

#include <gio/gnetworking.h>
#include <glib/gi18n.h>

#include "gn-origin-connector.h"
#include "gn-pac.h"
#include "gn-socket-source.h"

G_DEFINE_QUARK (gn-origin-error-quark, gn_origin_error)

struct _GnOriginPending
{
  GnOriginConnector *connector;   /* (nullable) NULL once cancelled */
  GCancellable      *cancellable; /* (owned) */
  GSocketClient     *upstream;    /* (owned) (nullable) */
};

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
gn_origin_connector_uses_upstream (GnListenerContext *context,
                                   const char        *host)
{
  const GnEngineConfig *config = context->config;
  const char *upstream = config->upstream_host;
  g_autoptr(GInetAddress) ip = NULL;

  if (upstream == NULL || upstream[0] == '\0' || config->upstream_port == 0)
    return FALSE;
  if (is_loopback_host (host))
    return is_loopback_host (upstream);
  if (config->pac_bypass != NULL &&
      gn_pac_bypass_matches ((const char * const *) config->pac_bypass, host))
    return FALSE;
  ip = g_inet_address_new_from_string (host);
  if (ip != NULL)
    return !gn_inet_address_is_local (ip);
  return context->local_names == NULL || !gn_local_names_is_local (context->local_names, host);
}

static void
clear (GnOriginConnector *self)
{
  if (self->source != NULL)
    {
      g_source_destroy (self->source);
      g_clear_pointer (&self->source, g_source_unref);
    }
  if (self->timer != NULL)
    {
      g_source_destroy (self->timer);
      g_clear_pointer (&self->timer, g_source_unref);
    }
  if (self->socket != NULL)
    {
      g_socket_close (self->socket, NULL);
      g_clear_object (&self->socket);
    }
  g_clear_object (&self->address);
  if (self->pending != NULL)
    {
      self->pending->connector = NULL;
      g_cancellable_cancel (self->pending->cancellable);
      self->pending = NULL;
    }
}

void
gn_origin_connector_cancel (GnOriginConnector *self)
{
  clear (self);
  self->func = NULL;
}

/* Every way of connecting ends here. Takes @origin and @error; @peer
 * (nullable) is the address dialled, if known. */
static void
connected (GnOriginConnector *self,
           GSocketConnection *origin,
           GSocketAddress    *peer,
           GError            *error)
{
  GnOriginConnectedFunc func = self->func;
  gpointer user_data = self->user_data;
  const GnEngineConfig *config = self->context->config;
  g_autoptr(GError) owned_error = error;
  g_autoptr(GError) answer = NULL;
  g_autoptr(GSocketAddress) owned_peer = peer != NULL ? g_object_ref (peer) : NULL;

  clear (self);
  self->func = NULL;

  if (origin != NULL)
    {
      GSocket *socket = g_socket_connection_get_socket (origin);

      if (!gn_listener_context_is_self_peer (self->context, socket, owned_peer))
        {
          g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
          /* May free @self. */
          func (origin, NULL, user_data);
          return;
        }
      g_io_stream_close (G_IO_STREAM (origin), NULL, NULL);
      g_object_unref (origin);
      answer = g_error_new_literal (GN_ORIGIN_ERROR, 508, _("The target is this proxy itself"));
    }
  else if (self->timed_out || g_error_matches (owned_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    answer = g_error_new (GN_ORIGIN_ERROR, 504, _("Connecting to %s port %u timed out"),
                          self->host, self->port);
  else if (owned_error->domain == G_RESOLVER_ERROR)
    answer = g_error_new (GN_ORIGIN_ERROR, 502, _("Could not find the server %s"), self->host);
  else if (gn_origin_connector_uses_upstream (self->context, self->host))
    answer = g_error_new (GN_ORIGIN_ERROR, 502,
                          _("Could not reach %s port %u through your proxy %s port %u: %s"),
                          self->host, self->port, config->upstream_host,
                          config->upstream_port, owned_error->message);
  else
    answer = g_error_new (GN_ORIGIN_ERROR, 502, _("Could not connect to %s port %u: %s"),
                          self->host, self->port, owned_error->message);

  func (NULL, answer, user_data);
}

static gboolean
on_timeout (gpointer user_data)
{
  GnOriginConnector *self = user_data;

  g_clear_pointer (&self->timer, g_source_unref);
  self->timed_out = TRUE;
  if (self->pending != NULL)
    {
      /* GIO reports the cancellation; connected() turns it into a 504. */
      g_cancellable_cancel (self->pending->cancellable);
      return G_SOURCE_REMOVE;
    }
  connected (self, NULL, NULL, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, _("Timed out")));
  return G_SOURCE_REMOVE;
}

static void
arm_timer (GnOriginConnector *self)
{
  self->timer = g_timeout_source_new (self->context->config->connect_timeout_ms);
  g_source_set_callback (self->timer, on_timeout, self, NULL);
  g_source_attach (self->timer, g_main_context_get_thread_default ());
}

/* ---- host names and the upstream: GSocketClient --------------------------- */

static void
on_client_connected (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GnOriginPending *pending = user_data;
  GnOriginConnector *self = pending->connector;
  GError *error = NULL;
  GSocketConnection *origin;

  origin = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  g_clear_object (&pending->cancellable);
  g_clear_object (&pending->upstream);
  g_free (pending);

  if (self == NULL)
    {
      /* Cancelled meanwhile: nobody wants it. */
      if (origin != NULL)
        g_io_stream_close (G_IO_STREAM (origin), NULL, NULL);
      g_clear_object (&origin);
      g_clear_error (&error);
      return;
    }
  self->pending = NULL;
  connected (self, origin, NULL, error);
}

/* A client that reaches the target through the upstream's CONNECT. */
static GSocketClient *
new_upstream_client (const GnEngineConfig *config)
{
  g_autofree char *uri = gn_engine_config_dup_upstream_uri (config);
  g_autoptr(GProxyResolver) resolver = g_simple_proxy_resolver_new (uri, NULL);
  GSocketClient *client = g_socket_client_new ();

  g_socket_client_set_proxy_resolver (client, resolver);
  return client;
}

static void
connect_with_client (GnOriginConnector *self,
                     GSocketClient     *client,
                     GSocketClient     *upstream,
                     const char        *host,
                     guint16            port)
{
  g_autoptr(GSocketConnectable) address = g_network_address_new (host, port);
  GnOriginPending *pending = g_new0 (GnOriginPending, 1);

  pending->connector = self;
  pending->cancellable = g_cancellable_new ();
  pending->upstream = upstream;
  self->pending = pending;
  arm_timer (self);
  g_socket_client_connect_async (client, address, pending->cancellable,
                                 on_client_connected, pending);
}

/* ---- IP addresses: one non-blocking socket -------------------------------- */

/* The connect has completed, one way or the other. */
static void
direct_done (GnOriginConnector *self,
             GSocketAddress    *address)
{
  g_autoptr(GSocket) socket = g_steal_pointer (&self->socket);
  GError *error = NULL;

  if (!g_socket_check_connect_result (socket, &error))
    {
      g_socket_close (socket, NULL);
      connected (self, NULL, NULL, error);
      return;
    }
  connected (self, g_socket_connection_factory_create_connection (socket), address, NULL);
}

static gboolean
on_socket_connected (GSocket      *socket,
                     GIOCondition  condition,
                     gpointer      user_data)
{
  GnOriginConnector *self = user_data;

  g_autoptr(GSocketAddress) address = g_steal_pointer (&self->address);

  g_clear_pointer (&self->source, g_source_unref);
  direct_done (self, address);
  return G_SOURCE_REMOVE;
}

/* An IP address needs no resolving and no address enumeration: connect a
 * non-blocking socket and wait for it to be writable, one source in all,
 * instead of GSocketClient's GTask, enumerator, events and sources.
 * Returns FALSE if @host is not an IP address. */
static gboolean
connect_direct (GnOriginConnector *self,
                const char        *host,
                guint16            port)
{
  g_autoptr(GInetAddress) ip = g_inet_address_new_from_string (host);
  g_autoptr(GSocketAddress) address = NULL;
  GError *error = NULL;

  if (ip == NULL)
    return FALSE;

  address = g_inet_socket_address_new (ip, port);
  self->socket = g_socket_new (g_inet_address_get_family (ip), G_SOCKET_TYPE_STREAM,
                               G_SOCKET_PROTOCOL_TCP, &error);
  if (self->socket == NULL)
    {
      connected (self, NULL, NULL, error);
      return TRUE;
    }
  g_socket_set_blocking (self->socket, FALSE);

  if (g_socket_connect (self->socket, address, NULL, &error))
    {
      g_autoptr(GSocket) socket = g_steal_pointer (&self->socket);

      connected (self, g_socket_connection_factory_create_connection (socket), address, NULL);
      return TRUE;
    }
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PENDING))
    {
      connected (self, NULL, NULL, error);
      return TRUE;
    }
  g_clear_error (&error);

  /* On loopback the handshake is over by the time connect() says "in
   * progress", and often on a LAN too: one poll() now saves a source, its
   * dispatch and the timer. Writable, hung up or failed all mean done. */
  if (g_socket_condition_check (self->socket, G_IO_OUT) != 0)
    {
      direct_done (self, address);
      return TRUE;
    }

  arm_timer (self);
  self->address = g_steal_pointer (&address);
  /* The timeout and clear() destroy the source. */
  self->source = gn_socket_source_new (self->socket, G_IO_OUT, on_socket_connected, self);
  return TRUE;
}

void
gn_origin_connector_start (GnOriginConnector     *self,
                           GnListenerContext     *context,
                           GSocketClient         *socket_client,
                           const char            *host,
                           guint16                port,
                           gboolean               tunnel,
                           GnOriginConnectedFunc  func,
                           gpointer               user_data)
{
  const GnEngineConfig *config = context->config;
  GSocketClient *upstream = NULL;

  g_assert (self->func == NULL && self->socket == NULL && self->pending == NULL);

  self->context = context;
  g_strlcpy (self->host, host, sizeof self->host);
  self->port = port;
  self->timed_out = FALSE;
  self->func = func;
  self->user_data = user_data;

  if (gn_origin_connector_uses_upstream (context, host))
    {
      if (tunnel)
        {
          upstream = new_upstream_client (config);
          connect_with_client (self, upstream, upstream, host, port);
          return;
        }
      host = config->upstream_host;
      port = config->upstream_port;
    }

  /* The direct path arms the timer only if it has to wait. */
  if (!connect_direct (self, host, port))
    connect_with_client (self, socket_client, NULL, host, port);
}
