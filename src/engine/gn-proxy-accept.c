/* gn-proxy-accept.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A GnProxyServer's listening socket and its accepting (see
 * gn-proxy-server.c for the whole design, the restarts included).
 *
 * Two ways to accept, chosen per server at creation:
 *
 *  - Workers accept (Linux with more than one worker; GN_ACCEPT=engine
 *    turns it off): every worker polls the one listening socket from its
 *    own context and accepts whatever is pending at each wake-up, so a new
 *    connection starts on the worker that accepted it, with no hop through
 *    the engine thread. Whichever worker is free first takes the next
 *    clients, which balances the load as well as "least loaded" did. One
 *    socket, not one SO_REUSEPORT socket per worker: the restart handover
 *    stays one socket passed over (a closed SO_REUSEPORT socket would reset
 *    whatever the kernel had hashed into its own queue), and no other
 *    program of ours can join the port. A worker accepts only while it
 *    holds the server's reader lock and `accepting` is set; stopping takes
 *    the writer lock, clears the flag and destroys the workers' sources, so
 *    when it returns no worker is inside accept() and none will be again:
 *    the socket can be handed over or closed.
 *
 *  - The engine thread accepts (Windows, one worker, GN_ACCEPT=engine): a
 *    persistent source on the engine context accepts up to a batch and
 *    hands each connection to the least-loaded worker, one wake-up per
 *    worker per batch.
 *
 * Either way the limit is one compare-and-swap on n_connections (or
 * n_rejecting), never overshot; the rules are the ones current at accept
 * time; out of descriptors, the clients waiting get their 503 through the
 * spare descriptor (taken by one thread at a time) and the accepting
 * thread's source rests for ACCEPT_BACKOFF_MS instead of waking in a loop.
 * When a server stops or hands its socket over, the workers stop first and
 * the engine thread takes in whatever the kernel queued (stop) or leaves
 * it queued for the next server (handover).
 *
 * Threading: everything here on the engine thread, except the worker
 * sources' callbacks (on_worker_acceptable, on_worker_backoff_done), which
 * run on their worker.
 */

#include <string.h>

#include <gio/gio.h>

#include "gn-fd-budget.h"
#include "gn-proxy-server-private.h"

#define LISTEN_BACKLOG 4096
#define ACCEPT_BATCH GN_PROXY_ACCEPT_BATCH
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

gboolean
gn_proxy_accept_by_workers_default (guint n_workers)
{
#ifdef __linux__
  return n_workers > 1 && g_strcmp0 (g_getenv ("GN_ACCEPT"), "engine") != 0;
#else
  return FALSE;
#endif
}

/* Any thread: one more in @counter if it is below @max. */
static gboolean
count_in (gint  *counter,
          guint  max)
{
  gint n;

  do
    {
      n = g_atomic_int_get (counter);
      if ((guint) n >= max)
        return FALSE;
    }
  while (!g_atomic_int_compare_and_exchange (counter, n, n + 1));
  return TRUE;
}

/* Any thread: the spare descriptor, or -1 if another thread has it. */
static int
take_spare (GnProxyServer *self)
{
  int fd;

  do
    {
      fd = g_atomic_int_get (&self->spare_fd);
      if (fd < 0)
        return -1;
    }
  while (!g_atomic_int_compare_and_exchange (&self->spare_fd, fd, -1));
  return fd;
}

static void
put_spare (GnProxyServer *self,
           int            fd)
{
  if (fd >= 0 && !g_atomic_int_compare_and_exchange (&self->spare_fd, -1, fd))
    gn_fd_budget_close_spare (&fd);
}

/* Any thread: the 503 for a client we cannot even give a connection
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

/* Any thread: counts @socket in (against max_connections, or as a 503
 * answer). Returns FALSE if it was answered and closed at once (@socket
 * is then unreffed). */
static gboolean
count_accepted (GnProxyServer *self,
                GSocket       *socket,
                gboolean      *rejected)
{
  *rejected = FALSE;
  if (!count_in (&self->lctx->n_connections, self->lctx->max_connections))
    {
      if (self->registry != NULL)
        gn_connection_registry_count_rejected (self->registry);
      if (!count_in (&self->n_rejecting, self->max_rejecting))
        {
          answer_503_now (socket);
          g_object_unref (socket);
          return FALSE;
        }
      *rejected = TRUE;
    }
  g_atomic_int_inc (&self->n_live);
  return TRUE;
}

/* Any thread, out of descriptors: each client waiting borrows the spare
 * for its answer, up to a batch: whoever queued during the last rest is
 * answered now. */
static void
answer_waiting_503 (GnProxyServer *self)
{
  for (guint i = 0; i < ACCEPT_BATCH; i++)
    {
      g_autoptr(GSocket) socket = NULL;
      int spare = take_spare (self);

      if (spare < 0)
        break;
      gn_fd_budget_close_spare (&spare);
      socket = g_socket_accept (self->listener, NULL, NULL);
      if (socket != NULL)
        {
          if (self->registry != NULL)
            gn_connection_registry_count_rejected (self->registry);
          answer_503_now (socket);
        }
      put_spare (self, gn_fd_budget_open_spare ());
      if (socket == NULL)
        break;
    }
}

/* ---- the engine thread accepting ----------------------------------------- */

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

static void
clear_accepted (gpointer data)
{
  GnAccepted *a = data;

  /* Set only if the op never ran (a worker never quits while a server
   * lives, so that does not happen). */
  if (a->socket != NULL)
    {
      g_socket_close (a->socket, NULL);
      g_clear_object (&a->socket);
    }
}

/* Decides the fate of one accepted socket and queues it for its worker. */
static void
accepted (GnProxyServer  *self,
          GSocket        *socket,
          GnSlotOp      **batches)
{
  GnAccepted a = { socket, FALSE };
  guint slot;

  if (!count_accepted (self, socket, &a.rejected))
    return;

  slot = pick_slot (self);
  gn_worker_add_load (self->slots[slot].worker, 1);
  gn_worker_count_accepted (self->slots[slot].worker, FALSE);
  if (batches[slot] == NULL)
    {
      batches[slot] = g_new0 (GnSlotOp, 1);
      batches[slot]->accepted = g_array_new (FALSE, FALSE, sizeof (GnAccepted));
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
  put_spare (self, gn_fd_budget_open_spare ());
  watch_listener (self);
  return G_SOURCE_REMOVE;
}

/* Engine thread: accept() failed for want of descriptors (or otherwise).
 * The clients waiting get their 503 through the spare descriptor; the
 * listener then rests for a moment, its source removed, instead of waking
 * at once for the same failure: never a busy loop. */
static void
accept_failed (GnProxyServer *self,
               const GError  *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES))
    answer_waiting_503 (self);
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
  GnSlotOp **batches = g_newa (GnSlotOp *, self->n_slots);
  guint n;

  memset (batches, 0, sizeof (GnSlotOp *) * self->n_slots);
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
      gn_proxy_server_post (self, i, gn_proxy_server_start_connections_cb, batches[i]);
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

/* ---- the workers accepting ----------------------------------------------- */

static void watch_listener_on_worker (Slot *slot);

static void
slot_source_unref (gpointer data)
{
  Slot *slot = data;

  gn_proxy_server_unref_internal (slot->server);
}

static gboolean
on_worker_backoff_done (gpointer user_data)
{
  Slot *slot = user_data;
  GnProxyServer *self = slot->server;

  g_rw_lock_reader_lock (&self->accept_lock);
  /* If not, the engine thread has destroyed this timer already. */
  if (self->accepting)
    {
      g_clear_pointer (&slot->backoff_timer, g_source_unref);
      put_spare (self, gn_fd_budget_open_spare ());
      watch_listener_on_worker (slot);
    }
  g_rw_lock_reader_unlock (&self->accept_lock);
  return G_SOURCE_REMOVE;
}

/* Worker thread, reader lock held, `accepting` set: as accept_failed(),
 * for this worker's source. */
static void
worker_accept_failed (Slot         *slot,
                      const GError *error)
{
  GnProxyServer *self = slot->server;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES))
    answer_waiting_503 (self);
  else
    g_debug ("accept: %s", error->message);

  if (slot->accept_source == NULL)
    return;
  g_source_destroy (slot->accept_source);
  g_clear_pointer (&slot->accept_source, g_source_unref);
  slot->backoff_timer = g_timeout_source_new (ACCEPT_BACKOFF_MS);
  g_source_set_static_name (slot->backoff_timer, "[guardnest] accept back-off");
  gn_proxy_server_ref_internal (self);
  g_source_set_callback (slot->backoff_timer, on_worker_backoff_done, slot, slot_source_unref);
  g_source_attach (slot->backoff_timer, gn_worker_get_context (slot->worker));
}

/* Worker thread: accepts whatever is pending (up to a batch) and starts
 * those connections here. */
static gboolean
on_worker_acceptable (GSocket      *listener,
                      GIOCondition  condition,
                      gpointer      user_data)
{
  Slot *slot = user_data;
  GnProxyServer *self = slot->server;
  GnAccepted batch[ACCEPT_BATCH];
  g_autoptr(GnBlocklist) blocklist = NULL;
  guint n = 0;

  g_rw_lock_reader_lock (&self->accept_lock);
  while (self->accepting && n < ACCEPT_BATCH)
    {
      g_autoptr(GError) error = NULL;
      GSocket *socket = g_socket_accept (self->listener, NULL, &error);

      if (socket == NULL)
        {
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            worker_accept_failed (slot, error);
          break;
        }
      if (!count_accepted (self, socket, &batch[n].rejected))
        continue;
      batch[n++].socket = socket;
    }
  g_rw_lock_reader_unlock (&self->accept_lock);
  if (n == 0)
    return G_SOURCE_CONTINUE;

  /* The rules current now, after the accepts: a swap that came before
   * them is in force, one that comes after is posted to this worker and
   * checks these connections too. */
  g_mutex_lock (&self->blocklist_lock);
  blocklist = gn_blocklist_ref (self->blocklist);
  g_mutex_unlock (&self->blocklist_lock);
  gn_worker_add_load (slot->worker, (gint) n);
  for (guint i = 0; i < n; i++)
    {
      gn_worker_count_accepted (slot->worker, TRUE);
      /* n_live counts it: the server outlives this loop. */
      gn_proxy_server_add_connection (self, slot, batch[i].socket, batch[i].rejected, blocklist);
    }
  return G_SOURCE_CONTINUE;
}

/* Engine thread, writer lock held (or a worker, reader lock held, for its
 * own slot after a back-off). */
static void
watch_listener_on_worker (Slot *slot)
{
  GnProxyServer *self = slot->server;

  g_assert (slot->accept_source == NULL && slot->backoff_timer == NULL);

  slot->accept_source = g_socket_create_source (self->listener, G_IO_IN, NULL);
  g_source_set_static_name (slot->accept_source, "[guardnest] worker accept");
  g_source_set_can_recurse (slot->accept_source, TRUE);
  gn_proxy_server_ref_internal (self);
  g_source_set_callback (slot->accept_source, G_SOURCE_FUNC (on_worker_acceptable), slot,
                         slot_source_unref);
  g_source_attach (slot->accept_source, gn_worker_get_context (slot->worker));
}

/* Engine thread: every worker accepts from now on. */
static void
workers_start_accepting (GnProxyServer *self)
{
  g_rw_lock_writer_lock (&self->accept_lock);
  self->accepting = TRUE;
  for (guint i = 0; i < self->n_slots; i++)
    watch_listener_on_worker (&self->slots[i]);
  g_rw_lock_writer_unlock (&self->accept_lock);
}

/* Engine thread: when this returns, no worker is accepting and none will. */
static void
workers_stop_accepting (GnProxyServer *self)
{
  if (!self->workers_accept)
    return;

  g_rw_lock_writer_lock (&self->accept_lock);
  self->accepting = FALSE;
  for (guint i = 0; i < self->n_slots; i++)
    {
      Slot *slot = &self->slots[i];

      if (slot->accept_source != NULL)
        {
          g_source_destroy (slot->accept_source);
          g_clear_pointer (&slot->accept_source, g_source_unref);
        }
      if (slot->backoff_timer != NULL)
        {
          g_source_destroy (slot->backoff_timer);
          g_clear_pointer (&slot->backoff_timer, g_source_unref);
        }
    }
  g_rw_lock_writer_unlock (&self->accept_lock);
}

/* ---- the listening socket (engine thread) -------------------------------- */

/* Stops accepting and hands the listening socket over, still open, so
 * whatever waits in the kernel's accept queue stays there. */
GSocket *
gn_proxy_accept_steal (GnProxyServer *self)
{
  if (self->lctx != NULL)
    g_atomic_int_set (&self->lctx->listening, FALSE);
  workers_stop_accepting (self);
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

/* Stops accepting and frees the port (unless the socket was handed over
 * to the next server, see gn_proxy_server_start()). */
void
gn_proxy_accept_close (GnProxyServer *self)
{
  gboolean workers_polled = self->workers_accept && self->listener != NULL;
  g_autoptr(GSocket) listener = gn_proxy_accept_steal (self);

  if (listener == NULL)
    return;
  /* A worker still inside poll() (its source is gone, the wake-up is on
   * its way) holds a reference on the socket, and close() alone would
   * leave it listening, queueing clients it would then reset, until that
   * poll returns. Shutting the reading side stops a Linux listener at
   * once: the port is free when this returns. */
  if (workers_polled)
    g_socket_shutdown (listener, TRUE, FALSE, NULL);
  g_socket_close (listener, NULL);
}

void
gn_proxy_accept_take_queued (GnProxyServer *self)
{
  if (self->listener == NULL)
    return;
  workers_stop_accepting (self);
  while (accept_batch (self) == ACCEPT_BATCH)
    ;
}

/* A new non-blocking listening socket on @address, with SO_REUSEADDR, so
 * connections left in TIME_WAIT (or still draining on a stopped server)
 * never block the bind. */
GSocket *
gn_proxy_accept_bind (GSocketAddress  *address,
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

/* Accepts on @listener (owned) from now on. */
void
gn_proxy_accept_attach (GnProxyServer *self,
                        GSocket       *listener)
{
  g_assert (self->listener == NULL && self->accept_source == NULL);

  self->listener = listener;
  g_atomic_int_set (&self->lctx->listening, TRUE);
  put_spare (self, gn_fd_budget_open_spare ());
  if (self->workers_accept)
    workers_start_accepting (self);
  else
    watch_listener (self);
}

/* @previous's port on another of its addresses (127.0.0.1 to 0.0.0.0,
 * say) is the one move Linux refuses while @previous listens, even with
 * SO_REUSEADDR. So @previous closes first — the only restart with a moment
 * when nothing accepts — and, if @address cannot be bound either, listens
 * again where it was. */
GSocket *
gn_proxy_accept_rebind_in_place_of (GnProxyServer   *previous,
                                    GSocketAddress  *address,
                                    GError         **error)
{
  g_autoptr(GSocketAddress) old_address = g_inet_socket_address_new (previous->bind_address,
                                                                      previous->port);
  GSocket *listener;
  GSocket *back;

  /* What the kernel queued for it is served, not reset. */
  gn_proxy_accept_take_queued (previous);
  gn_proxy_accept_close (previous);
  listener = gn_proxy_accept_bind (address, error);
  if (listener != NULL)
    return listener;
  back = gn_proxy_accept_bind (old_address, NULL);
  if (back != NULL)
    gn_proxy_accept_attach (previous, back);
  return NULL;
}
