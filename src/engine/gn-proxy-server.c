/* gn-proxy-server.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The listener and its connections (see gn-proxy-server.h).
 *
 * Stopping is what makes restarts race-free: the listening socket is
 * closed first, synchronously, so the port is free before anything else
 * happens (GSocketListener binds with SO_REUSEADDR, so connections left in
 * TIME_WAIT never block the next bind). Open connections then get up to
 * drain_timeout_ms to finish — idle keep-alive connections are closed at
 * once, since nothing is in flight on them — and whatever is left is closed
 * by force. No sleeping, no guessing: the stop callback runs exactly when
 * the last connection is gone.
 *
 * Over max_connections, a new client still gets an answer (503 with
 * Retry-After) through a short-lived connection object that is not counted
 * against the limit; those are capped too, past which the socket is simply
 * closed, so a flood cannot grow memory.
 *
 * Threading: engine thread only; the GSocketService is created with the
 * engine context as thread-default, so its sources attach there.
 */

#include <gio/gio.h>

#include "gn-error.h"
#include "gn-proxy-connection-private.h"
#include "gn-proxy-server.h"

#define MAX_REJECTING 1024
#define LISTEN_BACKLOG 4096

struct _GnProxyServer
{
  GnEngineConfig       *config;       /* (owned) */
  GnBlocklist          *blocklist;    /* (owned) current rules for new connections */
  GnConnectionRegistry *registry;     /* (owned) (nullable) */
  GnBufferPool         *pool;         /* (unowned) outlives the server */
  GSocketService       *service;      /* (owned) (nullable) while listening */
  GSocketClient        *client;       /* (owned) direct connections only */
  GInetAddress         *bind_address; /* (owned) (nullable) */
  guint16               port;
  char                 *via;          /* (owned) our Via token, for loop detection */

  GQueue                connections;  /* (element-type GnProxyConnection) counted */
  GQueue                rejecting;    /* answering 503, not counted */

  gboolean              draining;
  GSource              *drain_timer;  /* (owned) (nullable) */
  GnProxyServerStoppedFunc stopped_func;
  gpointer              stopped_data;
};

GnProxyServer *
gn_proxy_server_new (GnEngineConfig       *config,
                     GnBlocklist          *blocklist,
                     GnConnectionRegistry *registry,
                     GnBufferPool         *pool)
{
  GnProxyServer *self = g_new0 (GnProxyServer, 1);

  self->config = gn_engine_config_ref (config);
  self->blocklist = blocklist ? gn_blocklist_ref (blocklist) : gn_blocklist_new_empty ();
  self->registry = registry ? g_object_ref (registry) : NULL;
  self->pool = pool;
  self->via = g_strdup_printf ("guardnest-%08x", g_random_int ());

  /* Our own connections never use the OS proxy: once protection is on,
   * that proxy is us, and every request would loop. */
  self->client = g_socket_client_new ();
  g_socket_client_set_enable_proxy (self->client, FALSE);
  g_queue_init (&self->connections);
  g_queue_init (&self->rejecting);
  return self;
}

static void
close_listener (GnProxyServer *self)
{
  if (self->service != NULL)
    {
      g_socket_service_stop (self->service);
      g_socket_listener_close (G_SOCKET_LISTENER (self->service));
      g_clear_object (&self->service);
    }
}

static void
close_all (GQueue *queue)
{
  /* Closing removes the connection from the queue. */
  while (queue->head != NULL)
    gn_proxy_connection_close (queue->head->data);
}

void
gn_proxy_server_free (GnProxyServer *self)
{
  if (self == NULL)
    return;

  close_listener (self);
  self->stopped_func = NULL;
  close_all (&self->connections);
  close_all (&self->rejecting);
  if (self->drain_timer != NULL)
    {
      g_source_destroy (self->drain_timer);
      g_clear_pointer (&self->drain_timer, g_source_unref);
    }
  g_clear_object (&self->client);
  g_clear_pointer (&self->via, g_free);
  g_clear_object (&self->bind_address);
  g_clear_object (&self->registry);
  g_clear_pointer (&self->blocklist, gn_blocklist_unref);
  g_clear_pointer (&self->config, gn_engine_config_unref);
  g_free (self);
}

static gboolean
on_incoming (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source_object,
             gpointer           user_data)
{
  GnProxyServer *self = user_data;
  GnProxyConnection *conn;

  if (self->draining)
    return TRUE;

  if (self->connections.length >= self->config->max_connections)
    {
      if (self->registry != NULL)
        gn_connection_registry_count_rejected (self->registry);
      if (self->rejecting.length >= MAX_REJECTING)
        {
          g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
          return TRUE;
        }
      conn = gn_proxy_connection_new (self, connection, TRUE);
      g_queue_push_tail_link (&self->rejecting, &conn->link);
      _gn_proxy_connection_respond (conn, 503, NULL,
                                    "503 Service Unavailable: too many connections, try again shortly\n",
                                    "Too many connections");
      return TRUE;
    }

  conn = gn_proxy_connection_new (self, connection, FALSE);
  g_queue_push_tail_link (&self->connections, &conn->link);
  gn_proxy_connection_start (conn);
  return TRUE;
}

gboolean
gn_proxy_server_start (GnProxyServer  *self,
                       GError        **error)
{
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (self->service == NULL, FALSE);

  if (!gn_engine_config_validate (self->config, error))
    return FALSE;

  g_clear_object (&self->bind_address);
  self->bind_address = g_inet_address_new_from_string (self->config->bind_address);
  address = g_inet_socket_address_new (self->bind_address, self->config->port);

  self->service = g_socket_service_new ();
  g_socket_listener_set_backlog (G_SOCKET_LISTENER (self->service), LISTEN_BACKLOG);
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (self->service), address,
                                      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                      NULL, &effective, &local_error))
    {
      g_clear_object (&self->service);
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
        g_set_error (error, GN_ERROR, GN_ERROR_ADDRESS_IN_USE,
                     "Port %u is already used by another program", self->config->port);
      else if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
        g_set_error (error, GN_ERROR, GN_ERROR_FAILED,
                     "Not allowed to listen on port %u: choose a port above 1023",
                     self->config->port);
      else
        g_set_error (error, GN_ERROR, GN_ERROR_FAILED,
                     "Could not listen on %s port %u: %s", self->config->bind_address,
                     self->config->port, local_error->message);
      return FALSE;
    }

  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  self->draining = FALSE;
  g_signal_connect (self->service, "incoming", G_CALLBACK (on_incoming), self);
  g_socket_service_start (self->service);
  return TRUE;
}

static void
stopped (GnProxyServer *self)
{
  GnProxyServerStoppedFunc func = self->stopped_func;

  if (self->drain_timer != NULL)
    {
      g_source_destroy (self->drain_timer);
      g_clear_pointer (&self->drain_timer, g_source_unref);
    }
  self->stopped_func = NULL;
  if (func != NULL)
    func (self, self->stopped_data);
}

static gboolean
on_drain_timeout (gpointer user_data)
{
  GnProxyServer *self = user_data;

  g_clear_pointer (&self->drain_timer, g_source_unref);
  /* The last close calls stopped(). */
  close_all (&self->rejecting);
  close_all (&self->connections);
  return G_SOURCE_REMOVE;
}

void
gn_proxy_server_stop (GnProxyServer            *self,
                      GnProxyServerStoppedFunc  func,
                      gpointer                  user_data)
{
  GList *l, *next;

  close_listener (self);
  self->draining = TRUE;
  self->stopped_func = func;
  self->stopped_data = user_data;

  /* Nothing in flight on these: close them now. */
  for (l = self->connections.head; l != NULL; l = next)
    {
      next = l->next;
      if (gn_proxy_connection_is_idle (l->data))
        gn_proxy_connection_close (l->data);
    }

  if (self->connections.length == 0 && self->rejecting.length == 0)
    {
      stopped (self);
      return;
    }

  if (self->config->drain_timeout_ms == 0)
    {
      on_drain_timeout (self);
      return;
    }
  self->drain_timer = g_timeout_source_new (self->config->drain_timeout_ms);
  g_source_set_callback (self->drain_timer, on_drain_timeout, self, NULL);
  g_source_attach (self->drain_timer, g_main_context_get_thread_default ());
}

void
_gn_proxy_server_connection_done (GnProxyServer     *self,
                                  GnProxyConnection *connection)
{
  g_queue_unlink (connection->rejected ? &self->rejecting : &self->connections, &connection->link);
  gn_proxy_connection_unref (connection);

  if (self->draining && self->stopped_func != NULL &&
      self->connections.length == 0 && self->rejecting.length == 0)
    stopped (self);
}

guint16
gn_proxy_server_get_port (GnProxyServer *self)
{
  return self->port;
}

guint
gn_proxy_server_get_n_connections (GnProxyServer *self)
{
  return self->connections.length;
}

void
gn_proxy_server_set_blocklist (GnProxyServer *self,
                               GnBlocklist   *blocklist)
{
  GnBlocklist *old = self->blocklist;

  self->blocklist = gn_blocklist_ref (blocklist);
  gn_blocklist_unref (old);
}

GnEngineConfig *
gn_proxy_server_get_config (GnProxyServer *self)
{
  return self->config;
}

GnBlocklist *
gn_proxy_server_get_blocklist (GnProxyServer *self)
{
  return self->blocklist;
}

GnConnectionRegistry *
gn_proxy_server_get_registry (GnProxyServer *self)
{
  return self->registry;
}

GnBufferPool *
gn_proxy_server_get_pool (GnProxyServer *self)
{
  return self->pool;
}

GSocketClient *
gn_proxy_server_get_client (GnProxyServer *self)
{
  return self->client;
}

gboolean
gn_proxy_server_is_draining (GnProxyServer *self)
{
  return self->draining;
}

static gboolean
address_is_self (GnProxyServer *self,
                 GInetAddress  *address)
{
  if (self->bind_address == NULL)
    return FALSE;
  if (g_inet_address_equal (address, self->bind_address))
    return TRUE;
  /* Bound to every address: any loopback address reaches us too. */
  return g_inet_address_get_is_any (self->bind_address) && g_inet_address_get_is_loopback (address);
}

gboolean
gn_proxy_server_is_self (GnProxyServer *self,
                         const char    *host,
                         guint16        port)
{
  g_autoptr(GInetAddress) address = NULL;

  if (port != self->port || self->service == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (host, "localhost") == 0 || g_str_has_suffix (host, ".localhost"))
    return TRUE;
  address = g_inet_address_new_from_string (host);
  return address != NULL && address_is_self (self, address);
}

gboolean
gn_proxy_server_is_self_address (GnProxyServer  *self,
                                 GSocketAddress *address)
{
  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return FALSE;
  if (g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address)) != self->port)
    return FALSE;
  return address_is_self (self, g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));
}

const char *
gn_proxy_server_get_via (GnProxyServer *self)
{
  return self->via;
}
