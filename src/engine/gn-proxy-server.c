/* gn-proxy-server.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The listener and its connections (see gn-proxy-server.h).
 *
 * Restarting never leaves a moment when nothing accepts. A new server
 * that keeps the bind address and port takes the old one's listening sockets
 * over (gn_proxy_accept_steal(): the old server's accept sources go, the
 * sockets — one per worker with SO_REUSEPORT — stay open), so connections
 * waiting in the kernel's accept queues are simply accepted by the new
 * server; one that moves binds its own sockets first, and the engine stops
 * the old one only once that worked (except for the same port on another
 * address, see gn_proxy_accept_rebind_in_place_of()).
 * Stopping takes in what the kernel already queued (closing would reset
 * those clients), then closes the listening sockets (if they were not
 * handed over) synchronously, so the port is free before anything else happens
 * (we bind with SO_REUSEADDR, so connections left in TIME_WAIT, or still
 * draining on the stopped server, never block the next bind). Open
 * connections then get up to drain_timeout_ms to finish, in the background
 * — idle keep-alive connections are closed at once, since nothing is in
 * flight on them, while new ones still get their first request served —
 * and whatever is left is closed by force. No sleeping, no guessing: the
 * stop callback runs exactly when the last connection is gone, and until
 * then the stopped server lives beside the engine's next one.
 *
 * Over max_connections, a new client still gets an answer (503 with
 * Retry-After) through a short-lived connection object that is not counted
 * against the limit; those are capped too, past which the accepting thread
 * sends the 503 itself and closes at once, so a flood cannot grow memory.
 * Both limits come from the open-file budget when it is lower than the
 * config's (gn-fd-budget.h: two descriptors per connection, one per 503,
 * a reserve). If accept() still fails for want of descriptors, the clients
 * waiting are answered 503 through a spare descriptor (/dev/null, given up
 * for the moment of each answer, one thread at a time) and the accepting
 * thread's source is removed for ACCEPT_BACKOFF_MS: it never wakes up in a loop on the same failure.
 *
 * Threading: start, stop, the drain timer and the blocklist swap run on
 * the engine thread (the context that was thread-default when the server
 * was created). Accepting (gn-proxy-accept.c) runs on the workers, each on
 * its own SO_REUSEPORT socket (Linux), or on the engine thread, which hands
 * each accepted connection to the least-loaded worker (gn-worker.h); either
 * way a connection gets the blocklist current at accept time and lives on
 * its worker's context only; each worker has a slot here with its own
 * queues of connections, touched by that worker alone. What several
 * threads share is atomic: the counts checked against max_connections
 * (raised by compare-and-swap, so the limit cannot be overshot by
 * threads accepting at once), the draining and listening flags, and
 * `n_live`, the connections plus one token held while the server runs. stop() drops the token; whoever brings n_live to
 * zero, a worker finishing the last connection or stop() itself, posts the
 * stopped callback to the engine context, so it runs exactly once, exactly
 * when the last connection is gone. Work posted to a worker (a new
 * connection, "close the idle ones", "close everything", "check your
 * connections against these new rules") holds a reference on the server,
 * so the server is freed by whoever lets go last.
 *
 * New rules (gn_proxy_server_set_blocklist(), engine thread) go to the
 * accept path at once and, as one posted op per worker, to the open
 * connections: each worker walks its own slot's queue and each connection
 * looks its target up once in the new set, closing if it is now blocked
 * ("Closed: now blocked" in the registry). Nothing is checked per packet
 * or per accept; the cost is one lookup per open connection per swap.
 *
 * Connections never call the server: they get a GnListenerContext (made at
 * start, once the port is known: config, limit, own addresses, Via token,
 * registry, and the atomics n_connections, listening and draining) and one
 * done callback (connection_done(), on their worker).
 */

#include <string.h>

#include <gio/gio.h>

#include "gn-error.h"
#include "gn-fd-budget.h"
#include "gn-proxy-connection.h"
#include "gn-proxy-server-private.h"

GnProxyServer *
gn_proxy_server_ref_internal (GnProxyServer *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
gn_proxy_server_unref_internal (gpointer data)
{
  GnProxyServer *self = data;

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  g_assert (self->listeners == NULL && self->drain_timer == NULL);
  for (guint i = 0; i < self->n_slots; i++)
    g_assert (self->slots[i].connections.length == 0 && self->slots[i].rejecting.length == 0);
  g_free (self->slots);
  g_rw_lock_clear (&self->accept_lock);
  g_mutex_clear (&self->blocklist_lock);
  g_clear_pointer (&self->lctx, gn_listener_context_unref);
  g_clear_object (&self->bind_address);
  g_clear_object (&self->registry);
  g_clear_pointer (&self->blocklist, gn_blocklist_unref);
  g_clear_pointer (&self->config, gn_engine_config_unref);
  g_main_context_unref (self->context);
  g_free (self);
}

GnProxyServer *
gn_proxy_server_new (GnEngineConfig       *config,
                     GnBlocklist          *blocklist,
                     GnConnectionRegistry *registry,
                     GnWorker * const     *workers,
                     guint                 n_workers)
{
  GnProxyServer *self = g_new0 (GnProxyServer, 1);

  g_return_val_if_fail (n_workers > 0, NULL);

  g_atomic_ref_count_init (&self->ref_count);
  self->config = gn_engine_config_ref (config);
  self->blocklist = blocklist ? gn_blocklist_ref (blocklist) : gn_blocklist_new_empty ();
  self->registry = registry ? g_object_ref (registry) : NULL;
  self->context = g_main_context_ref_thread_default ();
  self->n_slots = n_workers;
  self->slots = g_new0 (Slot, n_workers);
  for (guint i = 0; i < n_workers; i++)
    {
      self->slots[i].server = self;
      self->slots[i].worker = workers[i];
      g_queue_init (&self->slots[i].connections);
      g_queue_init (&self->slots[i].rejecting);
    }
  self->accept_mode = gn_proxy_accept_mode_for (n_workers);
  g_rw_lock_init (&self->accept_lock);
  g_mutex_init (&self->blocklist_lock);
  self->n_live = 1;   /* the running token, dropped by stop() */
  self->spare_fd = -1;
  self->max_rejecting = GN_PROXY_MAX_REJECTING;
  return self;
}

/* Engine thread. Only after the stopped callback, or if the server never
 * accepted anything: connections live on the workers. */
void
gn_proxy_server_free (GnProxyServer *self)
{
  if (self == NULL)
    return;

  gn_proxy_accept_close (self);
  self->stopped_func = NULL;
  g_assert ((self->lctx == NULL || g_atomic_int_get (&self->lctx->n_connections) == 0) &&
            g_atomic_int_get (&self->n_rejecting) == 0);
  if (self->drain_timer != NULL)
    {
      g_source_destroy (self->drain_timer);
      g_clear_pointer (&self->drain_timer, g_source_unref);
    }
  gn_proxy_server_unref_internal (self);
}

/* ---- work posted to a worker -------------------------------------------- */

static void
slot_op_free (gpointer data)
{
  GnSlotOp *op = data;

  g_clear_pointer (&op->accepted, g_array_unref);
  g_clear_pointer (&op->blocklist, gn_blocklist_unref);
  gn_proxy_server_unref_internal (op->server);
  g_free (op);
}

void
gn_proxy_server_post (GnProxyServer *self,
                      guint          slot,
                      GSourceFunc    func,
                      GnSlotOp      *op)
{
  op->server = gn_proxy_server_ref_internal (self);
  op->slot = slot;
  /* With one worker sharing the engine context this runs at once. */
  g_main_context_invoke_full (gn_worker_get_context (self->slots[slot].worker),
                              G_PRIORITY_DEFAULT, func, op, slot_op_free);
}

static void connection_done (GnProxyConnection *connection, gpointer user_data);

void
gn_proxy_server_add_connection (GnProxyServer *self,
                                Slot          *slot,
                                GSocket       *socket,
                                gboolean       rejected,
                                GnBlocklist   *blocklist)
{
  g_autoptr(GSocketConnection) client = g_socket_connection_factory_create_connection (socket);
  GnProxyConnection *conn;

  g_object_unref (socket);
  conn = gn_proxy_connection_new (self->lctx, gn_worker_get_pool (slot->worker),
                                  gn_worker_get_client (slot->worker), client,
                                  rejected ? NULL : blocklist, rejected,
                                  connection_done, slot);
  if (rejected)
    {
      g_queue_push_tail_link (&slot->rejecting, gn_proxy_connection_get_link (conn));
      gn_proxy_connection_reject (conn);
      return;
    }
  g_queue_push_tail_link (&slot->connections, gn_proxy_connection_get_link (conn));
  gn_proxy_connection_start (conn);
}

/* Worker thread: the connections the engine thread accepted for us. */
gboolean
gn_proxy_server_start_connections_cb (gpointer data)
{
  GnSlotOp *op = data;
  GnProxyServer *self = op->server;
  Slot *slot = &self->slots[op->slot];

  for (guint i = 0; i < op->accepted->len; i++)
    {
      GnAccepted *a = &g_array_index (op->accepted, GnAccepted, i);

      gn_proxy_server_add_connection (self, slot, g_steal_pointer (&a->socket), a->rejected,
                                      op->blocklist);
    }
  return G_SOURCE_REMOVE;
}

static void
close_all (GQueue *queue)
{
  /* Closing removes the connection from the queue. */
  while (queue->head != NULL)
    gn_proxy_connection_close (queue->head->data);
}

static gboolean
close_idle_cb (gpointer data)
{
  GnSlotOp *op = data;
  Slot *slot = &op->server->slots[op->slot];
  GList *l, *next;

  /* Nothing in flight on these: close them now. */
  for (l = slot->connections.head; l != NULL; l = next)
    {
      next = l->next;
      if (gn_proxy_connection_is_idle (l->data))
        gn_proxy_connection_close (l->data);
    }
  return G_SOURCE_REMOVE;
}

static gboolean
close_all_cb (gpointer data)
{
  GnSlotOp *op = data;
  Slot *slot = &op->server->slots[op->slot];

  close_all (&slot->rejecting);
  close_all (&slot->connections);
  return G_SOURCE_REMOVE;
}

static void
set_bind_error (GnEngineConfig  *config,
                guint16          port,
                GError          *local_error,
                GError         **error)
{
  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
    g_set_error (error, GN_ERROR, GN_ERROR_ADDRESS_IN_USE,
                 "Port %u is already used by another program", port);
  else if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
    g_set_error (error, GN_ERROR, GN_ERROR_FAILED,
                 "Not allowed to listen on port %u: choose a port above 1023", port);
  else
    g_set_error (error, GN_ERROR, GN_ERROR_FAILED,
                 "Could not listen on %s port %u: %s", config->bind_address, port,
                 local_error ? local_error->message : "unknown error");
}

gboolean
gn_proxy_server_start (GnProxyServer  *self,
                       GnProxyServer  *previous,
                       GError        **error)
{
  g_autoptr(GPtrArray) listeners = NULL;
  guint16 port;
  guint max_connections;

  g_return_val_if_fail (self->listeners == NULL, FALSE);
  g_return_val_if_fail (previous != self, FALSE);

  if (!gn_engine_config_validate (self->config, error))
    return FALSE;

  g_clear_object (&self->bind_address);
  self->bind_address = g_inet_address_new_from_string (self->config->bind_address);
  if (previous != NULL && previous->listeners == NULL)
    previous = NULL;
  /* Port 0 on a restart: keep the port we have. */
  port = self->config->port;
  if (port == 0 && previous != NULL)
    port = previous->port;

  if (previous != NULL && port == previous->port &&
      g_inet_address_equal (self->bind_address, previous->bind_address))
    {
      /* Same address and port: take the very socket over, so not one
       * connection waiting to be accepted is refused or lost. */
      listeners = gn_proxy_accept_steal (previous);
    }
  else
    {
      g_autoptr(GSocketAddress) address = g_inet_socket_address_new (self->bind_address, port);
      g_autoptr(GSocketAddress) effective = NULL;
      g_autoptr(GError) local_error = NULL;

      listeners = gn_proxy_accept_bind (self, address, &local_error);
      if (listeners == NULL && previous != NULL && port == previous->port &&
          g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
        {
          g_clear_error (&local_error);
          listeners = gn_proxy_accept_rebind_in_place_of (previous, self, address, &local_error);
        }
      if (listeners != NULL)
        effective = g_socket_get_local_address (g_ptr_array_index (listeners, 0), &local_error);
      if (effective == NULL)
        {
          if (listeners != NULL)
            gn_proxy_accept_close_sockets (listeners, FALSE);
          set_bind_error (self->config, port, local_error, error);
          return FALSE;
        }
      port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
    }

  self->port = port;
  max_connections = gn_fd_budget_max_connections (gn_fd_budget_raise_limit (),
                                                  self->config->max_connections,
                                                  GN_PROXY_MAX_REJECTING, &self->max_rejecting);
  if (max_connections < self->config->max_connections)
    g_message ("Open-file limit too low for %u connections: serving at most %u at once "
               "(503 + Retry-After past that); raise it with “ulimit -n” to serve more",
               self->config->max_connections, max_connections);
  g_clear_pointer (&self->lctx, gn_listener_context_unref);
  self->lctx = gn_listener_context_new (self->config, self->registry, self->bind_address,
                                        port, max_connections);
  gn_proxy_accept_attach (self, g_steal_pointer (&listeners));
  return TRUE;
}

/* ---- stopping ------------------------------------------------------------ */

static gboolean
stopped_cb (gpointer data)
{
  GnProxyServer *self = data;
  GnProxyServerStoppedFunc func = self->stopped_func;

  if (self->drain_timer != NULL)
    {
      g_source_destroy (self->drain_timer);
      g_clear_pointer (&self->drain_timer, g_source_unref);
    }
  self->stopped_func = NULL;
  if (func != NULL)
    func (self, self->stopped_data);
  return G_SOURCE_REMOVE;
}

/* Any thread. The last one out tells the engine thread. */
static void
live_unref (GnProxyServer *self)
{
  if (g_atomic_int_dec_and_test (&self->n_live))
    g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, stopped_cb,
                                gn_proxy_server_ref_internal (self), gn_proxy_server_unref_internal);
}

static void
post_to_every_worker (GnProxyServer *self,
                      GSourceFunc    func)
{
  for (guint i = 0; i < self->n_slots; i++)
    gn_proxy_server_post (self, i, func, g_new0 (GnSlotOp, 1));
}

static gboolean
on_drain_timeout (gpointer user_data)
{
  GnProxyServer *self = user_data;

  g_clear_pointer (&self->drain_timer, g_source_unref);
  /* The last close calls the stopped callback. */
  post_to_every_worker (self, close_all_cb);
  return G_SOURCE_REMOVE;
}

void
gn_proxy_server_stop (GnProxyServer            *self,
                      GnProxyServerStoppedFunc  func,
                      gpointer                  user_data)
{
  /* Clients the kernel already accepted for us would get a reset when the
   * socket closes: take them in, they are served while we drain. */
  gn_proxy_accept_take_queued (self);
  gn_proxy_accept_close (self);
  if (self->lctx != NULL)
    g_atomic_int_set (&self->lctx->draining, TRUE);
  self->stopped_func = func;
  self->stopped_data = user_data;

  /* Connections going idle from now on see `draining` and close. */
  post_to_every_worker (self, close_idle_cb);
  if (g_atomic_int_get (&self->n_live) > 1)
    {
      if (self->config->drain_timeout_ms == 0)
        post_to_every_worker (self, close_all_cb);
      else
        {
          self->drain_timer = g_timeout_source_new (self->config->drain_timeout_ms);
          g_source_set_callback (self->drain_timer, on_drain_timeout, self, NULL);
          g_source_attach (self->drain_timer, self->context);
        }
    }
  live_unref (self);
}

/* Worker thread: a connection ended; drops the server's reference on it. */
static void
connection_done (GnProxyConnection *connection,
                 gpointer           user_data)
{
  Slot *slot = user_data;
  GnProxyServer *self = slot->server;
  gboolean rejected = gn_proxy_connection_is_rejected (connection);

  g_queue_unlink (rejected ? &slot->rejecting : &slot->connections,
                  gn_proxy_connection_get_link (connection));
  g_atomic_int_add (rejected ? &self->n_rejecting : &self->lctx->n_connections, -1);
  gn_worker_add_load (slot->worker, -1);
  /* After the count: whoever sees the registry's open count drop can rely
   * on the place being free again. */
  gn_proxy_connection_close_record (connection);
  gn_proxy_connection_unref (connection);
  /* Last: after this the server may be gone. */
  live_unref (self);
}

/* ---- for connections (any thread) --------------------------------------- */

guint16
gn_proxy_server_get_port (GnProxyServer *self)
{
  return self->port;
}

guint
gn_proxy_server_get_n_open (GnProxyServer *self)
{
  guint n = (guint) g_atomic_int_get (&self->n_rejecting);

  if (self->lctx != NULL)
    n += (guint) g_atomic_int_get (&self->lctx->n_connections);
  return n;
}

/* Worker thread: every open connection of the slot checks its target
 * against the new rules, one lookup each; the newly blocked ones close. */
static gboolean
apply_blocklist_cb (gpointer data)
{
  GnSlotOp *op = data;
  Slot *slot = &op->server->slots[op->slot];
  GList *l, *next;
  guint n_cut = 0;

  for (l = slot->connections.head; l != NULL; l = next)
    {
      /* Closing unlinks only this connection's own node. */
      next = l->next;
      if (gn_proxy_connection_apply_blocklist (l->data, op->blocklist))
        n_cut++;
    }
  if (n_cut > 0)
    g_debug ("Closed %u connection(s) to hosts the new rules block", n_cut);
  return G_SOURCE_REMOVE;
}

void
gn_proxy_server_set_blocklist (GnProxyServer *self,
                               GnBlocklist   *blocklist)
{
  GnBlocklist *old = self->blocklist;

  if (old == blocklist)
    return;
  g_mutex_lock (&self->blocklist_lock);
  self->blocklist = gn_blocklist_ref (blocklist);
  g_mutex_unlock (&self->blocklist_lock);
  gn_blocklist_unref (old);

  /* Each worker checks its own connections; posted after any batch of
   * new connections accepted with the old rules, so those are checked too. */
  for (guint i = 0; i < self->n_slots; i++)
    {
      GnSlotOp *op = g_new0 (GnSlotOp, 1);

      op->blocklist = gn_blocklist_ref (blocklist);
      gn_proxy_server_post (self, i, apply_blocklist_cb, op);
    }
}

guint
gn_proxy_server_get_max_connections (GnProxyServer *self)
{
  return self->lctx != NULL ? self->lctx->max_connections : self->config->max_connections;
}

gboolean
gn_proxy_server_is_listening (GnProxyServer *self)
{
  return self->lctx != NULL && g_atomic_int_get (&self->lctx->listening);
}
