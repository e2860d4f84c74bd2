/* gn-engine.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GnEngine (see gn-engine.h): the proxy on its own thread.
 *
 * The engine thread is created with the object and lives until it is
 * finalized. It owns a GMainContext, pushed as thread-default for the whole
 * life of the thread, on which the GSocketService, the lifecycle
 * operations and the connection registry's timers run.
 *
 * start/stop/restart are "operations" (Op) marshalled to the engine thread
 * with g_main_context_invoke(). The synchronous calls wait on a GCond for
 * the operation to complete; restart_async completes a GTask, returned on
 * the caller's context (the engine thread never touches the task's
 * reference count, so the last reference to the engine can never be dropped
 * on the engine thread, which would make it join itself).
 *
 * The engine thread holds no reference to the GnEngine: finalize stops the
 * server, quits the loop and joins the thread before any field is freed.
 * Status changes are published under the lock and announced with
 * "notify::status" on the owner's context through a weak reference.
 *
 * Threading: create, start, stop, restart, set_config from the owner
 * thread; set_blocklist, dup_blocklist, get_status, get_port from any
 * thread. Inside, three kinds of threads: the owner's, the engine thread
 * (listener, start/stop/restart/drain, status, blocklist swaps: it hands
 * each accepted connection to a worker together with the rules current at
 * that moment), and n_workers worker threads (gn-worker.h), each with its
 * own GMainContext, buffer pool and GSocketClient, on which connections
 * live from accept to close. With n_workers = 1 the only worker is the
 * engine thread itself, as before workers existed. The workers are created
 * when the engine thread starts and joined when it ends, after the last
 * server stopped; what they share (connection counts, drain, registry) is
 * described in gn-proxy-server.c and gn-connection-registry.c.
 */

#include "gn-buffer-pool.h"
#include "gn-engine.h"
#include "gn-proxy-server.h"
#include "gn-worker.h"

#define BUFFER_SIZE (256 * 1024)
#define MAX_FREE_BUFFERS 32

typedef enum
{
  OP_START,
  OP_STOP,
  OP_RESTART,
  OP_QUIT,
} OpKind;

typedef struct
{
  GnEngine     *engine;     /* (unowned) alive until the op completes */
  OpKind        kind;
  gboolean      done;
  GError       *error;      /* (owned) (nullable) */
  GTask        *task;       /* (owned) (nullable) owner thread only */
} Op;

struct _GnEngine
{
  GObject               parent_instance;

  /* Shared, under lock */
  GMutex                lock;
  GCond                 cond;
  GnEngineConfig       *config;      /* (owned) used by the next start */
  GnBlocklist          *blocklist;   /* (owned) */
  GnEngineStatus        status;
  GError               *error;       /* (owned) (nullable) */
  guint16               port;
  gboolean              busy;        /* an operation is in flight */
  gboolean              thread_ready;
  gboolean              finalizing;  /* no more notifications */

  /* Owner thread */
  GMainContext         *owner_context; /* (owned) */
  GnEngineStatus        notified_status;
  GThread              *thread;      /* (owned) */

  /* Engine thread (set before thread_ready, read-only elsewhere) */
  GMainContext         *context;     /* (owned) */
  GMainLoop            *loop;        /* (owned) */
  GnConnectionRegistry *registry;    /* (owned) */
  GPtrArray            *workers;     /* (owned) (element-type GnWorker) engine thread */
  GnProxyServer        *server;      /* (owned) (nullable) engine thread */
};

enum {
  PROP_0,
  PROP_STATUS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (GnEngine, gn_engine, G_TYPE_OBJECT)

/* ---- status --------------------------------------------------------------- */

static gboolean
notify_status_cb (gpointer user_data)
{
  GWeakRef *ref = user_data;
  g_autoptr(GnEngine) self = g_weak_ref_get (ref);

  if (self != NULL)
    {
      GnEngineStatus status = gn_engine_get_status (self);

      if (status != self->notified_status)
        {
          self->notified_status = status;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
        }
    }
  return G_SOURCE_REMOVE;
}

static void
free_weak_ref (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

/* Engine thread. Takes ownership of @error. */
static void
set_status (GnEngine       *self,
            GnEngineStatus  status,
            GError         *error)
{
  GWeakRef *ref;

  g_mutex_lock (&self->lock);
  self->status = status;
  g_clear_error (&self->error);
  self->error = error;
  self->port = self->server != NULL && status == GN_ENGINE_STATUS_RUNNING
               ? gn_proxy_server_get_port (self->server) : 0;
  g_mutex_unlock (&self->lock);

  if (self->finalizing)
    return;
  ref = g_new0 (GWeakRef, 1);
  g_weak_ref_init (ref, self);
  g_main_context_invoke_full (self->owner_context, G_PRIORITY_DEFAULT,
                              notify_status_cb, ref, free_weak_ref);
}

/* ---- operations on the engine thread ------------------------------------- */

static gboolean
return_task_cb (gpointer user_data)
{
  Op *op = user_data;
  GTask *task = g_steal_pointer (&op->task);
  GnEngine *self = g_task_get_source_object (task);

  g_mutex_lock (&self->lock);
  self->busy = FALSE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  if (op->error != NULL)
    g_task_return_error (task, g_steal_pointer (&op->error));
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
  g_free (op);
  return G_SOURCE_REMOVE;
}

static void
op_complete (Op     *op,
             GError *error)
{
  GnEngine *self = op->engine;

  if (op->task != NULL)
    {
      op->error = error;
      g_main_context_invoke (g_task_get_context (op->task), return_task_cb, op);
      return;
    }

  g_mutex_lock (&self->lock);
  op->error = error;
  op->done = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

static void
engine_start (GnEngine *self,
              Op       *op)
{
  g_autoptr(GnEngineConfig) config = NULL;
  g_autoptr(GnBlocklist) blocklist = NULL;
  GError *error = NULL;

  if (self->server != NULL)
    {
      op_complete (op, NULL);
      return;
    }

  g_mutex_lock (&self->lock);
  config = gn_engine_config_ref (self->config);
  blocklist = gn_blocklist_ref (self->blocklist);
  g_mutex_unlock (&self->lock);

  set_status (self, GN_ENGINE_STATUS_STARTING, NULL);
  gn_connection_registry_set_linger (self->registry, config->linger_ms);
  self->server = gn_proxy_server_new (config, blocklist, self->registry,
                                      (GnWorker * const *) self->workers->pdata,
                                      self->workers->len);
  if (!gn_proxy_server_start (self->server, NULL, &error))
    {
      g_clear_pointer (&self->server, gn_proxy_server_free);
      set_status (self, GN_ENGINE_STATUS_FAILED, g_error_copy (error));
      op_complete (op, error);
      return;
    }

  set_status (self, GN_ENGINE_STATUS_RUNNING, NULL);
  op_complete (op, NULL);
}

static gboolean
after_stop_cb (gpointer user_data)
{
  Op *op = user_data;
  GnEngine *self = op->engine;

  /* Freed here, not in the stopped callback, which runs inside the server. */
  g_clear_pointer (&self->server, gn_proxy_server_free);
  set_status (self, GN_ENGINE_STATUS_STOPPED, NULL);

  if (op->kind == OP_RESTART)
    engine_start (self, op);
  else if (op->kind == OP_QUIT)
    {
      g_main_loop_quit (self->loop);
      op_complete (op, NULL);
    }
  else
    op_complete (op, NULL);
  return G_SOURCE_REMOVE;
}

static void
on_server_stopped (GnProxyServer *server,
                   gpointer       user_data)
{
  Op *op = user_data;
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_HIGH);
  g_source_set_callback (source, after_stop_cb, op, NULL);
  g_source_attach (source, op->engine->context);
  g_source_unref (source);
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

    case OP_STOP:
    case OP_RESTART:
    case OP_QUIT:
      if (self->server == NULL)
        {
          after_stop_cb (op);
          break;
        }
      set_status (self, GN_ENGINE_STATUS_DRAINING, NULL);
      gn_proxy_server_stop (self->server, on_server_stopped, op);
      break;

    default:
      g_assert_not_reached ();
    }
  return G_SOURCE_REMOVE;
}

static gboolean
apply_blocklist_cb (gpointer user_data)
{
  GnEngine *self = user_data;
  g_autoptr(GnBlocklist) blocklist = gn_engine_dup_blocklist (self);

  if (self->server != NULL)
    gn_proxy_server_set_blocklist (self->server, blocklist);
  return G_SOURCE_REMOVE;
}

static gpointer
engine_thread (gpointer data)
{
  GnEngine *self = data;
  guint n_workers;

  g_main_context_push_thread_default (self->context);
  self->registry = gn_connection_registry_new (self->context);

  g_mutex_lock (&self->lock);
  n_workers = gn_engine_config_get_n_workers (self->config);
  g_mutex_unlock (&self->lock);
  self->workers = g_ptr_array_new_with_free_func ((GDestroyNotify) gn_worker_free);
  for (guint i = 0; i < n_workers; i++)
    g_ptr_array_add (self->workers,
                     gn_worker_new (i, n_workers == 1 ? self->context : NULL, BUFFER_SIZE,
                                    MAX (MAX_FREE_BUFFERS / n_workers, 4)));

  g_mutex_lock (&self->lock);
  self->thread_ready = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  g_main_loop_run (self->loop);

  g_assert (self->server == NULL);
  /* Every connection is gone: the workers quit and are joined. */
  g_clear_pointer (&self->workers, g_ptr_array_unref);
  g_clear_object (&self->registry);
  /* Let sources that were destroyed with the registry go. */
  while (g_main_context_iteration (self->context, FALSE))
    ;
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

/* Owner thread: runs @kind on the engine thread and waits for it. */
static gboolean
run_op_sync (GnEngine  *self,
             OpKind     kind,
             GError   **error)
{
  Op op = { self, kind, FALSE, NULL, NULL };

  g_mutex_lock (&self->lock);
  while (self->busy)
    g_cond_wait (&self->cond, &self->lock);
  self->busy = TRUE;
  g_mutex_unlock (&self->lock);

  g_main_context_invoke (self->context, run_op_cb, &op);

  g_mutex_lock (&self->lock);
  while (!op.done)
    g_cond_wait (&self->cond, &self->lock);
  self->busy = FALSE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  if (op.error != NULL)
    {
      g_propagate_error (error, op.error);
      return FALSE;
    }
  return TRUE;
}

/* ---- GObject ------------------------------------------------------------- */

static void
gn_engine_finalize (GObject *object)
{
  GnEngine *self = GN_ENGINE (object);

  self->finalizing = TRUE;
  run_op_sync (self, OP_QUIT, NULL);
  g_thread_join (self->thread);

  g_clear_pointer (&self->loop, g_main_loop_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->owner_context, g_main_context_unref);
  g_clear_pointer (&self->config, gn_engine_config_unref);
  g_clear_pointer (&self->blocklist, gn_blocklist_unref);
  g_clear_error (&self->error);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (gn_engine_parent_class)->finalize (object);
}

static void
gn_engine_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  GnEngine *self = GN_ENGINE (object);

  switch (prop_id)
    {
    case PROP_STATUS:
      g_value_set_enum (value, gn_engine_get_status (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gn_engine_class_init (GnEngineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = gn_engine_finalize;
  object_class->get_property = gn_engine_get_property;

  /* Notified on the owner's context. */
  properties[PROP_STATUS] =
    g_param_spec_enum ("status", NULL, NULL,
                       GN_TYPE_ENGINE_STATUS, GN_ENGINE_STATUS_STOPPED,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
gn_engine_init (GnEngine *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
}

GnEngine *
gn_engine_new (GnEngineConfig *config)
{
  GnEngine *self = g_object_new (GN_TYPE_ENGINE, NULL);

  self->config = config ? gn_engine_config_ref (config) : gn_engine_config_new ();
  self->blocklist = gn_blocklist_new_empty ();
  self->owner_context = g_main_context_ref_thread_default ();
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  self->thread = g_thread_new ("gn-engine", engine_thread, self);

  g_mutex_lock (&self->lock);
  while (!self->thread_ready)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);

  return self;
}

GnEngineConfig *
gn_engine_dup_config (GnEngine *self)
{
  GnEngineConfig *config;

  g_return_val_if_fail (GN_IS_ENGINE (self), NULL);

  g_mutex_lock (&self->lock);
  config = gn_engine_config_ref (self->config);
  g_mutex_unlock (&self->lock);
  return config;
}

void
gn_engine_set_config (GnEngine       *self,
                      GnEngineConfig *config)
{
  GnEngineConfig *old;

  g_return_if_fail (GN_IS_ENGINE (self));
  g_return_if_fail (config != NULL);

  g_mutex_lock (&self->lock);
  old = self->config;
  self->config = gn_engine_config_ref (config);
  g_mutex_unlock (&self->lock);
  gn_engine_config_unref (old);
}

gboolean
gn_engine_start (GnEngine  *self,
                 GError   **error)
{
  g_return_val_if_fail (GN_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return run_op_sync (self, OP_START, error);
}

void
gn_engine_stop (GnEngine *self)
{
  g_return_if_fail (GN_IS_ENGINE (self));

  run_op_sync (self, OP_STOP, NULL);
}

gboolean
gn_engine_restart (GnEngine  *self,
                   GError   **error)
{
  g_return_val_if_fail (GN_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return run_op_sync (self, OP_RESTART, error);
}

void
gn_engine_restart_async (GnEngine            *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Op *op;

  g_return_if_fail (GN_IS_ENGINE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, gn_engine_restart_async);

  g_mutex_lock (&self->lock);
  if (self->busy)
    {
      g_mutex_unlock (&self->lock);
      g_task_return_new_error (task, GN_ERROR, GN_ERROR_BUSY,
                               "Another start, stop or restart is in progress");
      return;
    }
  self->busy = TRUE;
  g_mutex_unlock (&self->lock);

  op = g_new0 (Op, 1);
  op->engine = self;
  op->kind = OP_RESTART;
  op->task = g_steal_pointer (&task);
  g_main_context_invoke (self->context, run_op_cb, op);
}

gboolean
gn_engine_restart_finish (GnEngine      *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

GnEngineStatus
gn_engine_get_status (GnEngine *self)
{
  GnEngineStatus status;

  g_return_val_if_fail (GN_IS_ENGINE (self), GN_ENGINE_STATUS_STOPPED);

  g_mutex_lock (&self->lock);
  status = self->status;
  g_mutex_unlock (&self->lock);
  return status;
}

GError *
gn_engine_dup_error (GnEngine *self)
{
  GError *error;

  g_return_val_if_fail (GN_IS_ENGINE (self), NULL);

  g_mutex_lock (&self->lock);
  error = self->error != NULL ? g_error_copy (self->error) : NULL;
  g_mutex_unlock (&self->lock);
  return error;
}

guint16
gn_engine_get_port (GnEngine *self)
{
  guint16 port;

  g_return_val_if_fail (GN_IS_ENGINE (self), 0);

  g_mutex_lock (&self->lock);
  port = self->port;
  g_mutex_unlock (&self->lock);
  return port;
}

void
gn_engine_set_blocklist (GnEngine    *self,
                         GnBlocklist *blocklist)
{
  GnBlocklist *old;

  g_return_if_fail (GN_IS_ENGINE (self));
  g_return_if_fail (blocklist != NULL);

  g_mutex_lock (&self->lock);
  old = self->blocklist;
  self->blocklist = gn_blocklist_ref (blocklist);
  g_mutex_unlock (&self->lock);
  gn_blocklist_unref (old);

  /* New connections pick it up; ones in flight keep theirs. */
  g_main_context_invoke (self->context, apply_blocklist_cb, self);
}

GnBlocklist *
gn_engine_dup_blocklist (GnEngine *self)
{
  GnBlocklist *blocklist;

  g_return_val_if_fail (GN_IS_ENGINE (self), NULL);

  g_mutex_lock (&self->lock);
  blocklist = gn_blocklist_ref (self->blocklist);
  g_mutex_unlock (&self->lock);
  return blocklist;
}

guint
gn_engine_get_n_workers (GnEngine *self)
{
  g_return_val_if_fail (GN_IS_ENGINE (self), 0);

  /* Fixed before gn_engine_new() returns. */
  return self->workers->len;
}

GnConnectionRegistry *
gn_engine_get_registry (GnEngine *self)
{
  g_return_val_if_fail (GN_IS_ENGINE (self), NULL);

  return self->registry;
}
