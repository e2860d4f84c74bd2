/* gn-proxy-accept.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A GnProxyServer's listening socket and its accepting (see
 * gn-proxy-server.c for the whole design, the restarts included).
 *
 * Three ways to accept, chosen once per process by GN_ACCEPT (with one
 * worker, which is the engine thread itself, always the engine's):
 *
 *  - engine (the default, and the only one off Linux): a persistent source
 *    on the engine context accepts up to a batch and hands each connection
 *    to the least-loaded worker, one wake-up per worker per batch.
 *
 *  - reuseport (Linux): one listening socket per worker, all bound to the
 *    address and port with SO_REUSEPORT, so the kernel spreads new
 *    connections over them by their addresses and ports, and each worker
 *    polls and accepts only its own: a connection starts on the worker
 *    that accepted it, with no hop through the engine thread and no other
 *    thread woken for it. A restart hands the whole set over (closing one
 *    would reset whatever the kernel had queued in it), and nothing else
 *    may join the port: before binding an explicit port, a socket without
 *    SO_REUSEPORT is bound there for a moment, which fails if anything
 *    listens (SO_REUSEPORT would otherwise let another program of this
 *    user that set it too share the port unnoticed).
 *
 *  - polled (Linux): every worker polls the one listening socket and
 *    accepts what is pending when it wakes. GLib's poll() has no
 *    EPOLLEXCLUSIVE, so an idle worker wakes for every client and most of
 *    those wake-ups find nothing.
 *
 * Measured on the 2-core machine (bench/accept-modes.sh, bench/README.md
 * "Who accepts"), neither workers' mode set up CONNECTs faster or for less
 * CPU than the engine thread's hand-off beyond the noise, so the engine's
 * stays the default; the others are there to measure again elsewhere.
 *
 * With workers accepting, a worker accepts only while it holds the
 * server's reader lock and `accepting` is set; stopping takes the writer
 * lock, clears the flag and destroys the workers' sources, so when it
 * returns no worker is inside accept() and none will be again: the
 * sockets can be handed over or closed. A worker may still sit in a
 * poll() that holds a reference on a socket until its wake-up arrives, so
 * closing shuts the sockets' reading side first, which stops a Linux
 * listener at once.
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

#ifdef __linux__
#include <errno.h>
#include <sys/socket.h>
#endif

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

static GnAcceptMode
accept_mode_from_env (void)
{
#if defined(__linux__) && defined(SO_REUSEPORT)
  const char *mode = g_getenv ("GN_ACCEPT");

  if (g_strcmp0 (mode, "reuseport") == 0)
    return GN_ACCEPT_REUSEPORT;
  if (g_strcmp0 (mode, "polled") == 0)
    return GN_ACCEPT_POLLED;
  if (mode != NULL && mode[0] != '\0' && g_strcmp0 (mode, "engine") != 0)
    g_message ("GN_ACCEPT=%s: expected engine, polled or reuseport; the engine thread accepts",
               mode);
  return GN_ACCEPT_ENGINE;
#else
  return GN_ACCEPT_ENGINE;
#endif
}

/* Read once per process, so a server always hands its sockets to one that
 * accepts the same way. */
GnAcceptMode
gn_proxy_accept_mode_for (guint n_workers)
{
  static gsize mode = 0;

  if (g_once_init_enter (&mode))
    g_once_init_leave (&mode, accept_mode_from_env () + 1);
  /* One worker is the engine thread itself. */
  return n_workers > 1 ? (GnAcceptMode) (mode - 1) : GN_ACCEPT_ENGINE;
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
answer_waiting_503 (GnProxyServer *self,
                    GSocket       *listener)
{
  for (guint i = 0; i < ACCEPT_BATCH; i++)
    {
      g_autoptr(GSocket) socket = NULL;
      int spare = take_spare (self);

      if (spare < 0)
        break;
      gn_fd_budget_close_spare (&spare);
      socket = g_socket_accept (listener, NULL, NULL);
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
               GSocket       *listener,
               const GError  *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES))
    answer_waiting_503 (self, listener);
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
accept_batch (GnProxyServer *self,
              GSocket       *listener)
{
  GnSlotOp **batches = g_newa (GnSlotOp *, self->n_slots);
  guint n;

  memset (batches, 0, sizeof (GnSlotOp *) * self->n_slots);
  for (n = 0; n < ACCEPT_BATCH; n++)
    {
      g_autoptr(GError) error = NULL;
      GSocket *socket = g_socket_accept (listener, NULL, &error);

      if (socket == NULL)
        {
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            accept_failed (self, listener, error);
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
  accept_batch (user_data, listener);
  return G_SOURCE_CONTINUE;
}

static void
watch_listener (GnProxyServer *self)
{
  g_assert (self->accept_source == NULL && self->backoff_timer == NULL);

  self->accept_source = g_socket_create_source (g_ptr_array_index (self->listeners, 0),
                                                G_IO_IN, NULL);
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
    answer_waiting_503 (self, slot->listener);
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
      GSocket *socket = g_socket_accept (slot->listener, NULL, &error);

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

  slot->accept_source = g_socket_create_source (slot->listener, G_IO_IN, NULL);
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
    {
      self->slots[i].listener = g_ptr_array_index (self->listeners,
                                                   self->listeners->len == 1 ? 0 : i);
      watch_listener_on_worker (&self->slots[i]);
    }
  g_rw_lock_writer_unlock (&self->accept_lock);
}

/* Engine thread: when this returns, no worker is accepting and none will. */
static void
workers_stop_accepting (GnProxyServer *self)
{
  if (self->accept_mode == GN_ACCEPT_ENGINE)
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
      slot->listener = NULL;
    }
  g_rw_lock_writer_unlock (&self->accept_lock);
}

/* ---- the listening socket (engine thread) -------------------------------- */

/* Stops accepting and hands the listening sockets over, still open, so
 * whatever waits in the kernel's accept queues stays there. */
GPtrArray *
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
  return g_steal_pointer (&self->listeners);
}

/* Closes (and frees) @listeners. @shut: first stop them listening at once
 * (see gn_proxy_accept_close()). */
void
gn_proxy_accept_close_sockets (GPtrArray *listeners,
                               gboolean   shut)
{
  for (guint i = 0; shut && i < listeners->len; i++)
    g_socket_shutdown (g_ptr_array_index (listeners, i), TRUE, FALSE, NULL);
  for (guint i = 0; i < listeners->len; i++)
    g_socket_close (g_ptr_array_index (listeners, i), NULL);
  g_ptr_array_unref (listeners);
}

/* Stops accepting and frees the port (unless the sockets were handed over
 * to the next server, see gn_proxy_server_start()). */
void
gn_proxy_accept_close (GnProxyServer *self)
{
  gboolean workers_polled = self->accept_mode != GN_ACCEPT_ENGINE;
  GPtrArray *listeners = gn_proxy_accept_steal (self);

  /* A worker still inside poll() (its source is gone, the wake-up is on
   * its way) holds a reference on its socket, and close() alone would
   * leave it listening, queueing clients it would then reset, until that
   * poll returns. Shutting the reading side stops a Linux listener at
   * once: the port is free when this returns. */
  if (listeners != NULL)
    gn_proxy_accept_close_sockets (listeners, workers_polled);
}

void
gn_proxy_accept_take_queued (GnProxyServer *self)
{
  if (self->listeners == NULL)
    return;
  workers_stop_accepting (self);
  for (guint i = 0; i < self->listeners->len; i++)
    while (accept_batch (self, g_ptr_array_index (self->listeners, i)) == ACCEPT_BATCH)
      ;
}

/* A new non-blocking listening socket on @address, with SO_REUSEADDR, so
 * connections left in TIME_WAIT (or still draining on a stopped server)
 * never block the bind; with @reuseport also SO_REUSEPORT. */
static GSocket *
bind_one (GSocketAddress  *address,
          gboolean         reuseport,
          gboolean         listen,
          GError         **error)
{
  g_autoptr(GSocket) listener = NULL;

  listener = g_socket_new (g_socket_address_get_family (address),
                           G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (listener == NULL)
    return NULL;
  g_socket_set_blocking (listener, FALSE);
  g_socket_set_listen_backlog (listener, LISTEN_BACKLOG);
#if defined(__linux__) && defined(SO_REUSEPORT)
  if (reuseport)
    {
      /* g_socket_bind() would turn SO_REUSEPORT off again (it sets it to
       * its allow_reuse for datagram sockets only). */
      struct sockaddr_storage native;
      gboolean ok;

      ok = g_socket_set_option (listener, SOL_SOCKET, SO_REUSEADDR, 1, error) &&
           g_socket_set_option (listener, SOL_SOCKET, SO_REUSEPORT, 1, error) &&
           g_socket_address_to_native (address, &native, sizeof native, error);
      if (ok && bind (g_socket_get_fd (listener), (struct sockaddr *) &native,
                      g_socket_address_get_native_size (address)) != 0)
        {
          int errsv = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                       "Error binding to address: %s", g_strerror (errsv));
          ok = FALSE;
        }
      if (!ok || (listen && !g_socket_listen (listener, error)))
        {
          g_socket_close (listener, NULL);
          return NULL;
        }
      return g_steal_pointer (&listener);
    }
#endif
  if (!g_socket_bind (listener, address, TRUE, error) ||
      (listen && !g_socket_listen (listener, error)))
    {
      g_socket_close (listener, NULL);
      return NULL;
    }
  return g_steal_pointer (&listener);
}

GPtrArray *
gn_proxy_accept_bind (GnProxyServer   *self,
                      GSocketAddress  *address,
                      GError         **error)
{
  g_autoptr(GPtrArray) listeners = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GSocketAddress) bound = NULL;
  gboolean reuseport = self->accept_mode == GN_ACCEPT_REUSEPORT;
  guint n = reuseport ? self->n_slots : 1;
  GSocket *listener;

  if (reuseport && g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address)) != 0)
    {
      /* SO_REUSEPORT would let us share the port with another program
       * (of this user) that set it too: first make sure nothing listens
       * there, with a socket that shares with nobody. */
      listener = bind_one (address, FALSE, FALSE, error);
      if (listener == NULL)
        return NULL;
      g_socket_close (listener, NULL);
      g_object_unref (listener);
    }
  for (guint i = 0; i < n; i++)
    {
      listener = bind_one (bound != NULL ? bound : address, reuseport, TRUE, error);
      if (listener == NULL)
        {
          gn_proxy_accept_close_sockets (g_steal_pointer (&listeners), FALSE);
          return NULL;
        }
      g_ptr_array_add (listeners, listener);
      /* The others on the very port the first got (port 0: the kernel's
       * choice). */
      if (bound == NULL && n > 1 &&
          (bound = g_socket_get_local_address (listener, error)) == NULL)
        {
          gn_proxy_accept_close_sockets (g_steal_pointer (&listeners), FALSE);
          return NULL;
        }
    }
  return g_steal_pointer (&listeners);
}

/* Accepts on @listeners (owned) from now on. */
void
gn_proxy_accept_attach (GnProxyServer *self,
                        GPtrArray     *listeners)
{
  g_assert (self->listeners == NULL && self->accept_source == NULL);
  /* Handed over by a server of this engine: the same workers, the same mode. */
  g_assert (listeners->len == (self->accept_mode == GN_ACCEPT_REUSEPORT ? self->n_slots : 1));

  self->listeners = listeners;
  g_atomic_int_set (&self->lctx->listening, TRUE);
  put_spare (self, gn_fd_budget_open_spare ());
  if (self->accept_mode == GN_ACCEPT_ENGINE)
    watch_listener (self);
  else
    workers_start_accepting (self);
}

/* @previous's port on another of its addresses (127.0.0.1 to 0.0.0.0,
 * say) is the one move Linux refuses while @previous listens, even with
 * SO_REUSEADDR. So @previous closes first — the only restart with a moment
 * when nothing accepts — and, if @address cannot be bound either, listens
 * again where it was. */
GPtrArray *
gn_proxy_accept_rebind_in_place_of (GnProxyServer   *previous,
                                    GnProxyServer   *self,
                                    GSocketAddress  *address,
                                    GError         **error)
{
  g_autoptr(GSocketAddress) old_address = g_inet_socket_address_new (previous->bind_address,
                                                                      previous->port);
  GPtrArray *listeners;
  GPtrArray *back;

  /* What the kernel queued for it is served, not reset. */
  gn_proxy_accept_take_queued (previous);
  gn_proxy_accept_close (previous);
  listeners = gn_proxy_accept_bind (self, address, error);
  if (listeners != NULL)
    return listeners;
  back = gn_proxy_accept_bind (previous, old_address, NULL);
  if (back != NULL)
    gn_proxy_accept_attach (previous, back);
  return NULL;
}
