/* gn-proxy-server.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The listener and its connections (see gn-proxy-server.h).
 *
 * Restarting never leaves a moment when nothing accepts. A new server
 * that keeps the bind address and port takes the old one's listening socket
 * over (steal_listener(): the old server's accept source goes, the socket
 * stays open), so connections waiting in the kernel's accept queue are
 * simply accepted by the new server; one that moves binds its own socket
 * first, and the engine stops the old one only once that worked (except
 * for the same port on another address, see rebind_in_place_of()).
 * Stopping takes in what the kernel already queued (closing would reset
 * those clients), then closes the listening socket (if it was not handed
 * over) synchronously, so the port is free before anything else happens
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
 * against the limit; those are capped too, past which the engine thread
 * sends the 503 itself and closes at once, so a flood cannot grow memory.
 * Both limits come from the open-file budget when it is lower than the
 * config's (gn-fd-budget.h: two descriptors per connection, one per 503,
 * a reserve). If accept() still fails for want of descriptors, the clients
 * waiting are answered 503 through a spare descriptor (/dev/null, given up
 * for the moment of each answer) and the listener's source is removed for
 * ACCEPT_BACKOFF_MS: it never wakes up in a loop on the same failure.
 *
 * Threading: the listener, start, stop, the drain timer and the blocklist
 * swap run on the engine thread (the context that was thread-default when
 * the server was created). The listening socket has one persistent source
 * there that accepts whatever is pending at each wake-up; each accepted
 * connection is handed, with the blocklist current at accept time, to the
 * least-loaded worker (gn-worker.h), one wake-up per worker per batch, and
 * lives on that worker's context only; each worker has a slot here with its own queues of
 * connections, touched by that worker alone. What several threads share is
 * atomic: the counts checked against max_connections (only the engine
 * thread increments them, so the limit cannot be overshot), the draining
 * and listening flags, and `n_live`, the connections plus one token held
 * while the server runs. stop() drops the token; whoever brings n_live to
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
#include "gn-proxy-server.h"

#define MAX_REJECTING 1024
#define LISTEN_BACKLOG 4096
#define ACCEPT_BATCH 64
/* After accept() failed (out of descriptors): how long the listener rests. */
#define ACCEPT_BACKOFF_MS 150

#define BODY_503 "503 Service Unavailable: too many connections, try again shortly\n"
G_STATIC_ASSERT (sizeof BODY_503 - 1 == 65);
static const char answer_503[] =
  "HTTP/1.1 503 Service Unavailable\r\n"
  "Retry-After: 1\r\n"
  "Content-Type: text/plain; charset=utf-8\r\n"
  "Content-Length: 65\r\n"
  "Cache-Control: no-store\r\n"
  "Connection: close\r\n\r\n"
  BODY_503;

typedef struct
{
  GnProxyServer *server;   /* (unowned) the slot's owner */
  GnWorker *worker;        /* (unowned) outlives the server */
  GQueue    connections;   /* (element-type GnProxyConnection) counted; worker only */
  GQueue    rejecting;     /* answering 503, not counted; worker only */
} Slot;

struct _GnProxyServer
{
  gatomicrefcount       ref_count;    /* the engine's, plus one per posted op */

  /* Immutable while connections exist */
  GnEngineConfig       *config;       /* (owned) */
  GnConnectionRegistry *registry;     /* (owned) (nullable) */
  GMainContext         *context;      /* (owned) the engine context */
  GInetAddress         *bind_address; /* (owned) (nullable) */
  guint16               port;
  /* (owned) (nullable) from start on: what the connections see of us;
   * holds the atomics n_connections, draining and listening */
  GnListenerContext    *lctx;
  Slot                 *slots;        /* (owned) one per worker */
  guint                 n_slots;

  guint                 max_rejecting; /* 503 answers in flight, within the fd budget */

  /* Any thread, atomic */
  gint                  n_rejecting;
  gint                  n_live;       /* connections + the running token */

  /* Engine thread */
  GnBlocklist          *blocklist;    /* (owned) current rules for new connections */
  GSocket              *listener;     /* (owned) (nullable) while listening */
  GSource              *accept_source; /* (owned) (nullable) while listening */
  GSource              *backoff_timer; /* (owned) (nullable) instead of accept_source, for a moment */
  int                   spare_fd;     /* -1 or a descriptor to give up for a 503 at the limit */
  guint                 next_slot;
  GSource              *drain_timer;  /* (owned) (nullable) */
  GnProxyServerStoppedFunc stopped_func;
  gpointer              stopped_data;
};

static GnProxyServer *
server_ref (GnProxyServer *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

static void
server_unref (gpointer data)
{
  GnProxyServer *self = data;

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  g_assert (self->listener == NULL && self->drain_timer == NULL);
  for (guint i = 0; i < self->n_slots; i++)
    g_assert (self->slots[i].connections.length == 0 && self->slots[i].rejecting.length == 0);
  g_free (self->slots);
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
  self->n_live = 1;   /* the running token, dropped by stop() */
  self->spare_fd = -1;
  self->max_rejecting = MAX_REJECTING;
  return self;
}

/* Engine thread: stops accepting and hands the listening socket over,
 * still open, so whatever waits in the kernel's accept queue stays there. */
static GSocket *
steal_listener (GnProxyServer *self)
{
  if (self->lctx != NULL)
    g_atomic_int_set (&self->lctx->listening, FALSE);
  if (self->accept_source != NULL)
    {
      g_source_destroy (self->accept_source);
      g_clear_pointer (&self->accept_source, g_source_unref);
    }
  if (self->backoff_timer != NULL)
    {
      g_source_destroy (self->backoff_timer);
      g_clear_pointer (&self->backoff_timer, g_source_unref);
    }
  gn_fd_budget_close_spare (&self->spare_fd);
  return g_steal_pointer (&self->listener);
}

/* Engine thread: stops accepting and frees the port (unless the socket was
 * handed over to the next server, see gn_proxy_server_start()). */
static void
close_listener (GnProxyServer *self)
{
  g_autoptr(GSocket) listener = steal_listener (self);

  if (listener != NULL)
    g_socket_close (listener, NULL);
}

/* Engine thread. Only after the stopped callback, or if the server never
 * accepted anything: connections live on the workers. */
void
gn_proxy_server_free (GnProxyServer *self)
{
  if (self == NULL)
    return;

  close_listener (self);
  self->stopped_func = NULL;
  g_assert ((self->lctx == NULL || g_atomic_int_get (&self->lctx->n_connections) == 0) &&
            g_atomic_int_get (&self->n_rejecting) == 0);
  if (self->drain_timer != NULL)
    {
      g_source_destroy (self->drain_timer);
      g_clear_pointer (&self->drain_timer, g_source_unref);
    }
  server_unref (self);
}

/* ---- work posted to a worker -------------------------------------------- */

typedef struct
{
  GSocket  *socket;    /* (owned) */
  gboolean  rejected;
} Accepted;

typedef struct
{
  GnProxyServer *server;      /* (owned) */
  guint          slot;
  GArray        *accepted;    /* (owned) (nullable) (element-type Accepted) new connections */
  GnBlocklist   *blocklist;   /* (owned) (nullable) their rules */
} SlotOp;

static void
clear_accepted (gpointer data)
{
  Accepted *a = data;

  /* Set only if the op never ran (a worker never quits while a server
   * lives, so that does not happen). */
  if (a->socket != NULL)
    {
      g_socket_close (a->socket, NULL);
      g_clear_object (&a->socket);
    }
}

static void
slot_op_free (gpointer data)
{
  SlotOp *op = data;

  g_clear_pointer (&op->accepted, g_array_unref);
  g_clear_pointer (&op->blocklist, gn_blocklist_unref);
  server_unref (op->server);
  g_free (op);
}

static void
post (GnProxyServer *self,
      guint          slot,
      GSourceFunc    func,
      SlotOp        *op)
{
  op->server = server_ref (self);
  op->slot = slot;
  /* With one worker sharing the engine context this runs at once. */
  g_main_context_invoke_full (gn_worker_get_context (self->slots[slot].worker),
                              G_PRIORITY_DEFAULT, func, op, slot_op_free);
}

static void connection_done (GnProxyConnection *connection, gpointer user_data);

/* Worker thread: the connections the engine thread accepted for us. */
static gboolean
start_connections_cb (gpointer data)
{
  SlotOp *op = data;
  GnProxyServer *self = op->server;
  Slot *slot = &self->slots[op->slot];

  for (guint i = 0; i < op->accepted->len; i++)
    {
      Accepted *a = &g_array_index (op->accepted, Accepted, i);
      g_autoptr(GSocket) socket = g_steal_pointer (&a->socket);
      g_autoptr(GSocketConnection) client = g_socket_connection_factory_create_connection (socket);
      GnProxyConnection *conn;

      conn = gn_proxy_connection_new (self->lctx, gn_worker_get_pool (slot->worker),
                                      gn_worker_get_client (slot->worker), client,
                                      a->rejected ? NULL : op->blocklist, a->rejected,
                                      connection_done, slot);
      if (a->rejected)
        {
          g_queue_push_tail_link (&slot->rejecting, gn_proxy_connection_get_link (conn));
          gn_proxy_connection_reject (conn);
          continue;
        }
      g_queue_push_tail_link (&slot->connections, gn_proxy_connection_get_link (conn));
      gn_proxy_connection_start (conn);
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
  SlotOp *op = data;
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
  SlotOp *op = data;
  Slot *slot = &op->server->slots[op->slot];

  close_all (&slot->rejecting);
  close_all (&slot->connections);
  return G_SOURCE_REMOVE;
}

/* ---- accepting (engine thread) ------------------------------------------ */

/* The least-loaded worker, ties going round-robin. */
static guint
pick_slot (GnProxyServer *self)
{
  guint best = self->next_slot % self->n_slots;
  guint best_load = gn_worker_get_load (self->slots[best].worker);

  for (guint k = 1; k < self->n_slots && best_load > 0; k++)
    {
      guint i = (self->next_slot + k) % self->n_slots;
      guint load = gn_worker_get_load (self->slots[i].worker);

      if (load < best_load)
        {
          best = i;
          best_load = load;
        }
    }
  self->next_slot = best + 1;
  return best;
}

/* Engine thread: the 503 for a client we cannot even give a connection
 * object (past the cap on those, or out of descriptors): one non-blocking
 * send, which a fresh socket's buffer always takes, then close. What the
 * client already sent is read first, so the close is not a reset that
 * could destroy the answer. */
static void
answer_503_now (GSocket *socket)
{
  char scratch[4096];

  g_socket_set_blocking (socket, FALSE);
  while (g_socket_receive (socket, scratch, sizeof scratch, NULL, NULL) > 0)
    ;
  g_socket_send (socket, answer_503, sizeof answer_503 - 1, NULL, NULL);
  g_socket_shutdown (socket, FALSE, TRUE, NULL);
  g_socket_close (socket, NULL);
}

/* Decides the fate of one accepted socket and queues it for its worker. */
static void
accepted (GnProxyServer *self,
          GSocket       *socket,
          SlotOp       **batches)
{
  Accepted a = { socket, FALSE };
  guint slot;

  if ((guint) g_atomic_int_get (&self->lctx->n_connections) >= self->lctx->max_connections)
    {
      if (self->registry != NULL)
        gn_connection_registry_count_rejected (self->registry);
      if ((guint) g_atomic_int_get (&self->n_rejecting) >= self->max_rejecting)
        {
          answer_503_now (socket);
          g_object_unref (socket);
          return;
        }
      a.rejected = TRUE;
      g_atomic_int_inc (&self->n_rejecting);
    }
  else
    g_atomic_int_inc (&self->lctx->n_connections);
  g_atomic_int_inc (&self->n_live);

  slot = pick_slot (self);
  gn_worker_add_load (self->slots[slot].worker, 1);
  if (batches[slot] == NULL)
    {
      batches[slot] = g_new0 (SlotOp, 1);
      batches[slot]->accepted = g_array_new (FALSE, FALSE, sizeof (Accepted));
      g_array_set_clear_func (batches[slot]->accepted, clear_accepted);
      batches[slot]->blocklist = gn_blocklist_ref (self->blocklist);
    }
  g_array_append_val (batches[slot]->accepted, a);
}

static void watch_listener (GnProxyServer *self);

static gboolean
on_backoff_done (gpointer user_data)
{
  GnProxyServer *self = user_data;

  g_clear_pointer (&self->backoff_timer, g_source_unref);
  if (self->spare_fd < 0)
    self->spare_fd = gn_fd_budget_open_spare ();
  watch_listener (self);
  return G_SOURCE_REMOVE;
}

/* Engine thread: accept() failed for want of descriptors (or otherwise).
 * The client waiting first gets its 503 through the spare descriptor; the
 * listener then rests for a moment, its source removed, instead of waking
 * at once for the same failure: never a busy loop. */
static void
accept_failed (GnProxyServer *self,
               const GError  *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES))
    {
      /* Each client waiting borrows the spare for its answer, up to a
       * batch: whoever queued during the last rest is answered now. */
      for (guint i = 0; i < ACCEPT_BATCH && self->spare_fd >= 0; i++)
        {
          g_autoptr(GSocket) socket = NULL;

          gn_fd_budget_close_spare (&self->spare_fd);
          socket = g_socket_accept (self->listener, NULL, NULL);
          if (socket != NULL)
            {
              if (self->registry != NULL)
                gn_connection_registry_count_rejected (self->registry);
              answer_503_now (socket);
            }
          self->spare_fd = gn_fd_budget_open_spare ();
          if (socket == NULL)
            break;
        }
    }
  else
    g_debug ("accept: %s", error->message);

  if (self->accept_source == NULL)
    return;
  g_source_destroy (self->accept_source);
  g_clear_pointer (&self->accept_source, g_source_unref);
  self->backoff_timer = g_timeout_source_new (ACCEPT_BACKOFF_MS);
  g_source_set_static_name (self->backoff_timer, "[guardnest] accept back-off");
  g_source_set_callback (self->backoff_timer, on_backoff_done, self, NULL);
  g_source_attach (self->backoff_timer, self->context);
}

/* Engine thread: accepts everything pending (up to a batch), then wakes
 * each worker that got some once. Returns how many it accepted. */
static guint
accept_batch (GnProxyServer *self)
{
  SlotOp **batches = g_newa (SlotOp *, self->n_slots);
  guint n;

  memset (batches, 0, sizeof (SlotOp *) * self->n_slots);
  for (n = 0; n < ACCEPT_BATCH; n++)
    {
      g_autoptr(GError) error = NULL;
      GSocket *socket = g_socket_accept (self->listener, NULL, &error);

      if (socket == NULL)
        {
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            accept_failed (self, error);
          break;
        }
      accepted (self, socket, batches);
    }

  for (guint i = 0; i < self->n_slots; i++)
    if (batches[i] != NULL)
      post (self, i, start_connections_cb, batches[i]);
  return n;
}

/* A persistent source, not GSocketService: no GTask, no source and no
 * signal emission per connection. */
static gboolean
on_acceptable (GSocket      *listener,
               GIOCondition  condition,
               gpointer      user_data)
{
  accept_batch (user_data);
  return G_SOURCE_CONTINUE;
}

/* Engine thread: a new non-blocking listening socket on @address, with
 * SO_REUSEADDR, so connections left in TIME_WAIT (or still draining on a
 * stopped server) never block the bind. */
static GSocket *
bind_listener (GSocketAddress  *address,
               GError         **error)
{
  g_autoptr(GSocket) listener = NULL;

  listener = g_socket_new (g_socket_address_get_family (address),
                           G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (listener == NULL)
    return NULL;
  g_socket_set_blocking (listener, FALSE);
  g_socket_set_listen_backlog (listener, LISTEN_BACKLOG);
  if (!g_socket_bind (listener, address, TRUE, error) ||
      !g_socket_listen (listener, error))
    {
      g_socket_close (listener, NULL);
      return NULL;
    }
  return g_steal_pointer (&listener);
}

/* Engine thread: accepts on @listener (owned) from now on. */
static void
attach_listener (GnProxyServer *self,
                 GSocket       *listener)
{
  g_assert (self->listener == NULL && self->accept_source == NULL);

  self->listener = listener;
  g_atomic_int_set (&self->lctx->listening, TRUE);
  if (self->spare_fd < 0)
    self->spare_fd = gn_fd_budget_open_spare ();
  watch_listener (self);
}

static void
watch_listener (GnProxyServer *self)
{
  g_assert (self->accept_source == NULL && self->backoff_timer == NULL);

  self->accept_source = g_socket_create_source (self->listener, G_IO_IN, NULL);
  g_source_set_static_name (self->accept_source, "[guardnest] accept");
  /* Dispatching a source that may not recurse takes its descriptor out of
   * the context and puts it back, two wake-up writes per batch of accepts
   * (see gn-socket-source.c); this callback never iterates the context. */
  g_source_set_can_recurse (self->accept_source, TRUE);
  g_source_set_callback (self->accept_source, G_SOURCE_FUNC (on_acceptable), self, NULL);
  g_source_attach (self->accept_source, self->context);
}

/* Engine thread: @previous's port on another of its addresses (127.0.0.1
 * to 0.0.0.0, say) is the one move Linux refuses while @previous listens,
 * even with SO_REUSEADDR. So @previous closes first — the only restart
 * with a moment when nothing accepts — and, if @address cannot be bound
 * either, listens again where it was. */
static GSocket *
rebind_in_place_of (GnProxyServer   *previous,
                    GSocketAddress  *address,
                    GError         **error)
{
  g_autoptr(GSocketAddress) old_address = g_inet_socket_address_new (previous->bind_address,
                                                                      previous->port);
  GSocket *listener;
  GSocket *back;

  /* What the kernel queued for it is served, not reset. */
  while (accept_batch (previous) == ACCEPT_BATCH)
    ;
  close_listener (previous);
  listener = bind_listener (address, error);
  if (listener != NULL)
    return listener;
  back = bind_listener (old_address, NULL);
  if (back != NULL)
    attach_listener (previous, back);
  return NULL;
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
  g_autoptr(GSocket) listener = NULL;
  guint16 port;
  guint max_connections;

  g_return_val_if_fail (self->listener == NULL, FALSE);
  g_return_val_if_fail (previous != self, FALSE);

  if (!gn_engine_config_validate (self->config, error))
    return FALSE;

  g_clear_object (&self->bind_address);
  self->bind_address = g_inet_address_new_from_string (self->config->bind_address);
  if (previous != NULL && previous->listener == NULL)
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
      listener = steal_listener (previous);
    }
  else
    {
      g_autoptr(GSocketAddress) address = g_inet_socket_address_new (self->bind_address, port);
      g_autoptr(GSocketAddress) effective = NULL;
      g_autoptr(GError) local_error = NULL;

      listener = bind_listener (address, &local_error);
      if (listener == NULL && previous != NULL && port == previous->port &&
          g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
        {
          g_clear_error (&local_error);
          listener = rebind_in_place_of (previous, address, &local_error);
        }
      if (listener != NULL)
        effective = g_socket_get_local_address (listener, &local_error);
      if (effective == NULL)
        {
          if (listener != NULL)
            g_socket_close (listener, NULL);
          set_bind_error (self->config, port, local_error, error);
          return FALSE;
        }
      port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
    }

  self->port = port;
  max_connections = gn_fd_budget_max_connections (gn_fd_budget_raise_limit (),
                                                  self->config->max_connections,
                                                  MAX_REJECTING, &self->max_rejecting);
  if (max_connections < self->config->max_connections)
    g_message ("Open-file limit too low for %u connections: serving at most %u at once "
               "(503 + Retry-After past that); raise it with “ulimit -n” to serve more",
               self->config->max_connections, max_connections);
  g_clear_pointer (&self->lctx, gn_listener_context_unref);
  self->lctx = gn_listener_context_new (self->config, self->registry, self->bind_address,
                                        port, max_connections);
  attach_listener (self, g_steal_pointer (&listener));
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
                                server_ref (self), server_unref);
}

static void
post_to_every_worker (GnProxyServer *self,
                      GSourceFunc    func)
{
  for (guint i = 0; i < self->n_slots; i++)
    post (self, i, func, g_new0 (SlotOp, 1));
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
  if (self->listener != NULL)
    while (accept_batch (self) == ACCEPT_BATCH)
      ;
  close_listener (self);
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
  SlotOp *op = data;
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
  self->blocklist = gn_blocklist_ref (blocklist);
  gn_blocklist_unref (old);

  /* Each worker checks its own connections; posted after any batch of
   * new connections accepted with the old rules, so those are checked too. */
  for (guint i = 0; i < self->n_slots; i++)
    {
      SlotOp *op = g_new0 (SlotOp, 1);

      op->blocklist = gn_blocklist_ref (blocklist);
      post (self, i, apply_blocklist_cb, op);
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
