/* gn-engine-ops.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GnEngine's operations (see gn-engine.c for the whole design): start,
 * stop, restart and quit as Ops run on the engine thread one after the
 * other, the servers stopped by them draining in the background, the
 * stops completing when their drains end, n-draining recounted, and the
 * blocklist handed to the running and draining servers.
 *
 * Threading: gn_engine_run_op_sync() and gn_engine_run_op_async() from the
 * owner thread (they post to the engine thread); gn_engine_post_to() from
 * any thread; everything else on the engine thread.
 */

#include "gn-engine-private.h"

/* Any thread: runs @func on @context in an idle source, never at once in
 * the calling thread (g_main_context_invoke() would, whenever nobody
 * iterates @context at that moment). */
void
gn_engine_post_to (GMainContext   *context,
                   gint            priority,
                   GSourceFunc     func,
                   gpointer        data,
                   GDestroyNotify  notify)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, priority);
  g_source_set_callback (source, func, data, notify);
  g_source_set_static_name (source, "[guardnest] engine op");
  g_source_attach (source, context);
  g_source_unref (source);
}

/* Engine thread. Takes ownership of @error. */
static void
set_status (GnEngine       *self,
            GnEngineStatus  status,
            GError         *error)
{
  g_mutex_lock (&self->lock);
  self->status = status;
  g_clear_error (&self->error);
  self->error = error;
  self->port = self->server != NULL && status == GN_ENGINE_STATUS_RUNNING
               ? gn_proxy_server_get_port (self->server) : 0;
  if (self->port != 0)
    self->max_connections = gn_proxy_server_get_max_connections (self->server);
  g_mutex_unlock (&self->lock);

  gn_engine_schedule_notify (self);
}

/* Engine thread: recounts the connections left on draining servers. */
static void
update_n_draining (GnEngine *self)
{
  guint n = 0;
  gboolean changed;

  for (guint i = 0; i < self->draining->len; i++)
    n += gn_proxy_server_get_n_open (((Draining *) g_ptr_array_index (self->draining, i))->server);

  g_mutex_lock (&self->lock);
  changed = n != self->n_draining;
  self->n_draining = n;
  g_mutex_unlock (&self->lock);

  if (changed)
    {
      gn_connection_registry_set_engine_state (self->registry, self->restarts, n);
      gn_engine_schedule_notify (self);
    }
}

static gboolean
count_timer_cb (gpointer user_data)
{
  update_n_draining (user_data);
  return G_SOURCE_CONTINUE;
}

/* ---- completing operations ----------------------------------------------- */

/* Owner's context. */
static gboolean
return_task_cb (gpointer user_data)
{
  Op *op = user_data;
  g_autoptr(GTask) task = g_steal_pointer (&op->task);

  if (op->error != NULL)
    g_task_return_error (task, g_steal_pointer (&op->error));
  else
    g_task_return_boolean (task, TRUE);
  g_free (op);
  return G_SOURCE_REMOVE;
}

/* Engine thread. Takes ownership of @error. @op may be gone on return. */
static void
op_complete (Op     *op,
             GError *error)
{
  GnEngine *self = op->engine;

  if (op->task != NULL)
    {
      op->error = error;
      gn_engine_post_to (g_task_get_context (op->task), G_PRIORITY_DEFAULT, return_task_cb, op, NULL);
      return;
    }

  g_mutex_lock (&self->lock);
  op->error = error;
  op->done = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

/* Engine thread: completes the stops whose servers are all gone. */
static void
complete_stops (GnEngine *self)
{
  guint64 oldest = G_MAXUINT64;
  GList *l, *next;

  /* The list is in stop order: the first one is the oldest. */
  if (self->draining->len > 0)
    oldest = ((Draining *) g_ptr_array_index (self->draining, 0))->seq;

  for (l = self->stops.head; l != NULL; l = next)
    {
      Op *op = l->data;

      next = l->next;
      if (op->drain_seq >= oldest)
        continue;
      g_queue_delete_link (&self->stops, l);
      if (op->kind == OP_QUIT)
        g_main_loop_quit (self->loop);
      op_complete (op, NULL);
    }
}

/* ---- draining servers (engine thread) ------------------------------------ */

static gboolean
server_gone_cb (gpointer user_data)
{
  Draining *d = user_data;
  GnEngine *self = d->engine;

  /* Freed here, not in the stopped callback, which runs inside the server. */
  g_ptr_array_remove (self->draining, d);
  g_clear_pointer (&d->server, gn_proxy_server_free);
  g_free (d);

  update_n_draining (self);
  if (self->draining->len == 0)
    {
      if (self->count_timer != NULL)
        {
          g_source_destroy (self->count_timer);
          g_clear_pointer (&self->count_timer, g_source_unref);
        }
      if (self->status == GN_ENGINE_STATUS_DRAINING)
        set_status (self, GN_ENGINE_STATUS_STOPPED, NULL);
    }
  complete_stops (self);
  return G_SOURCE_REMOVE;
}

static void
on_server_stopped (GnProxyServer *server,
                   gpointer       user_data)
{
  Draining *d = user_data;

  gn_engine_post_to (d->engine->context, G_PRIORITY_HIGH, server_gone_cb, d, NULL);
}

/* Stops @server (ours now) and lets it drain in the background. */
static void
drain_server (GnEngine      *self,
              GnProxyServer *server)
{
  Draining *d = g_new0 (Draining, 1);

  d->engine = self;
  d->server = server;
  d->seq = ++self->last_seq;
  g_ptr_array_add (self->draining, d);
  if (self->count_timer == NULL)
    {
      self->count_timer = g_timeout_source_new (N_DRAINING_INTERVAL_MS);
      g_source_set_static_name (self->count_timer, "[guardnest] n-draining");
      g_source_set_callback (self->count_timer, count_timer_cb, self, NULL);
      g_source_attach (self->count_timer, self->context);
    }
  /* The callback only posts: `d` is still listed when this returns. */
  gn_proxy_server_stop (server, on_server_stopped, d);
  update_n_draining (self);
}

/* ---- operations on the engine thread ------------------------------------- */

/* A new server with the current config and rules, started in place of
 * @previous (nullable). */
static GnProxyServer *
start_server (GnEngine       *self,
              GnProxyServer  *previous,
              GError        **error)
{
  g_autoptr(GnEngineConfig) config = NULL;
  g_autoptr(GnBlocklist) blocklist = NULL;
  GnProxyServer *server;

  g_mutex_lock (&self->lock);
  config = gn_engine_config_ref (self->config);
  blocklist = gn_blocklist_ref (self->blocklist);
  if (self->peer_identifier != NULL && config->peer_identifier != self->peer_identifier)
    {
      GnEngineConfig *with = gn_engine_config_copy (config);

      g_set_object (&with->peer_identifier, self->peer_identifier);
      gn_engine_config_unref (config);
      config = with;
    }
  g_mutex_unlock (&self->lock);

  server = gn_proxy_server_new (config, blocklist, self->registry,
                                (GnWorker * const *) self->workers->pdata,
                                self->workers->len);
  if (!gn_proxy_server_start (server, previous, error))
    {
      gn_proxy_server_free (server);
      return NULL;
    }
  gn_connection_registry_set_linger (self->registry, config->linger_ms);
  return server;
}

static void
engine_start (GnEngine *self,
              Op       *op)
{
  GError *error = NULL;

  if (self->server != NULL)
    {
      op_complete (op, NULL);
      return;
    }

  set_status (self, GN_ENGINE_STATUS_STARTING, NULL);
  self->server = start_server (self, NULL, &error);
  if (self->server == NULL)
    {
      set_status (self, GN_ENGINE_STATUS_FAILED, g_error_copy (error));
      op_complete (op, error);
      return;
    }

  set_status (self, GN_ENGINE_STATUS_RUNNING, NULL);
  op_complete (op, NULL);
}

/* The new server accepts before the old one stops: on the same socket
 * when the address and port stay, on a new one bound first otherwise. If
 * that fails the old server keeps serving, status unchanged. */
static void
engine_restart (GnEngine *self,
                Op       *op)
{
  GnProxyServer *server;
  GError *error = NULL;

  if (self->server == NULL)
    {
      engine_start (self, op);
      return;
    }

  server = start_server (self, self->server, &error);
  if (server == NULL)
    {
      if (!gn_proxy_server_is_listening (self->server))
        {
          /* It gave its port up for a new address that could not be
           * bound, and could not take it back (see gn_proxy_server_start()). */
          drain_server (self, g_steal_pointer (&self->server));
          set_status (self, GN_ENGINE_STATUS_FAILED, g_error_copy (error));
        }
      op_complete (op, error);
      return;
    }

  self->restarts++;
  gn_connection_registry_set_engine_state (self->registry, self->restarts, self->n_draining);
  drain_server (self, g_steal_pointer (&self->server));
  self->server = server;
  /* RUNNING all along; the port may have changed. */
  set_status (self, GN_ENGINE_STATUS_RUNNING, NULL);
  op_complete (op, NULL);
}

/* Completes when every server draining now is gone. */
static void
engine_stop (GnEngine *self,
             Op       *op)
{
  if (self->server != NULL)
    drain_server (self, g_steal_pointer (&self->server));
  set_status (self, self->draining->len > 0 ? GN_ENGINE_STATUS_DRAINING : GN_ENGINE_STATUS_STOPPED,
              NULL);

  op->drain_seq = self->last_seq;
  g_queue_push_tail (&self->stops, op);
  complete_stops (self);
}

static gboolean
run_op_cb (gpointer user_data)
{
  Op *op = user_data;
  GnEngine *self = op->engine;

  switch (op->kind)
    {
    case OP_START:
      engine_start (self, op);
      break;

    case OP_RESTART:
      engine_restart (self, op);
      break;

    case OP_STOP:
    case OP_QUIT:
      engine_stop (self, op);
      break;

    default:
      g_assert_not_reached ();
    }
  return G_SOURCE_REMOVE;
}

gboolean
gn_engine_apply_blocklist_cb (gpointer user_data)
{
  GnEngine *self = user_data;
  g_autoptr(GnBlocklist) blocklist = gn_engine_dup_blocklist (self);

  gn_connection_registry_set_rules (self->registry, gn_blocklist_get_n_rules (blocklist),
                                    gn_blocklist_get_n_allow_rules (blocklist));
  /* New connections get it; open ones, on the running server and on
   * those still draining, are checked against it on their workers. */
  if (self->server != NULL)
    gn_proxy_server_set_blocklist (self->server, blocklist);
  for (guint i = 0; i < self->draining->len; i++)
    {
      Draining *d = g_ptr_array_index (self->draining, i);

      gn_proxy_server_set_blocklist (d->server, blocklist);
    }
  return G_SOURCE_REMOVE;
}
/* Owner thread: runs @kind on the engine thread and waits for it. */
gboolean
gn_engine_run_op_sync (GnEngine  *self,
                       OpKind     kind,
                       GError   **error)
{
  Op op = { self, kind, FALSE, NULL, NULL, 0 };

  gn_engine_post_to (self->context, G_PRIORITY_DEFAULT, run_op_cb, &op, NULL);

  g_mutex_lock (&self->lock);
  while (!op.done)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);

  if (op.error != NULL)
    {
      g_propagate_error (error, op.error);
      return FALSE;
    }
  return TRUE;
}

/* Owner thread: runs @kind on the engine thread; @task completes on the
 * caller's context. */
void
gn_engine_run_op_async (GnEngine *self,
                        OpKind    kind,
                        GTask    *task)
{
  Op *op = g_new0 (Op, 1);

  op->engine = self;
  op->kind = kind;
  op->task = task;
  gn_engine_post_to (self->context, G_PRIORITY_DEFAULT, run_op_cb, op, NULL);
}
