/* gn-engine.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GnEngine (see gn-engine.h): the proxy on its own thread.
 *
 * The engine thread is created with the object and lives until it is
 * finalized. It owns a GMainContext, pushed as thread-default for the whole
 * life of the thread, on which the listeners, the lifecycle operations,
 * the drain bookkeeping and the connection registry's timers run.
 *
 * start/stop/restart are "operations" (Op) marshalled to the engine thread
 * as idle sources, which run one after the other in the order they were
 * posted, so no lock or "busy" flag orders them. Each operation's part on
 * the engine thread is short and never waits for connections: start binds,
 * restart starts the new server (taking the old listening socket over, or
 * binding first; see gn-proxy-server.h for the one exception) and only
 * then stops the old one, stop closes the listener. A stopped server goes on the `draining` list with a sequence
 * number and drains there in the background while the next server (if any)
 * serves; its stopped callback frees it. A stop (sync or async) completes
 * when no server that was draining when it ran is left (every server's own
 * drain timer bounds that by its drain_timeout_ms); start and restart
 * complete at once. The synchronous calls wait on a GCond for their
 * operation to complete — one round trip for start/restart, the drain for
 * gn_engine_stop(), which is why the UI uses gn_engine_stop_async(). Async
 * operations complete a GTask, returned on the caller's context (the engine
 * thread never touches the task's reference count, so the last reference
 * to the engine can never be dropped on the engine thread, which would make
 * it join itself).
 *
 * The engine thread holds no reference to the GnEngine: finalize stops the
 * server, waits for every draining server, quits the loop and joins the
 * thread before any field is freed. Status and n-draining changes are
 * published under the lock and announced on the owner's context by idle
 * sources that reach the object through a weak reference (one, made on the
 * owner thread at construction, shared by a refcounted Notifier, so the
 * engine thread never creates weak references to an object that may be in
 * dispose). n-draining is recounted on the engine thread every
 * N_DRAINING_INTERVAL_MS while something drains, and at once when a server
 * starts or ends draining, so the owner gets at most a few notifications a
 * second. The running server's connection limit (within the open-file
 * budget, gn-fd-budget.h) is stored with the port, under the lock.
 *
 * Threading: create, start, stop, stop_async, restart, restart_async and
 * set_config from the owner thread; set_blocklist, dup_blocklist,
 * get_status, dup_error, get_port, get_max_connections and get_n_draining
 * from any thread.
 * Inside, three kinds of threads: the owner's, the engine thread
 * (listeners, start/stop/restart/drain bookkeeping, status, blocklist
 * swaps: it hands each accepted connection to a worker together with the
 * rules current at that moment), and n_workers worker threads
 * (gn-worker.h), each with its own GMainContext, buffer pool and
 * GSocketClient, on which connections live from accept to close — those
 * of a draining server as well as those of the running one. With
 * n_workers = 1 the only worker is the engine thread itself, as before
 * workers existed. The workers are created when the engine thread starts
 * and joined when it ends, after the last server stopped; what they share
 * (connection counts, drain, registry) is described in gn-proxy-server.c
 * and gn-connection-registry.c.
 */

#include "gn-buffer-pool.h"
#include "gn-engine.h"
#include "gn-proxy-server.h"
#include "gn-worker.h"

#define BUFFER_SIZE (256 * 1024)
#define MAX_FREE_BUFFERS 32
/* How often n-draining is recounted while servers drain. */
#define N_DRAINING_INTERVAL_MS 100

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
  gboolean      done;       /* under the engine's lock */
  GError       *error;      /* (owned) (nullable) */
  GTask        *task;       /* (owned) (nullable) owner thread only */
  guint64       drain_seq;  /* stops: complete when no server up to this drains */
} Op;

/* A stopped server, draining in the background. */
typedef struct
{
  GnEngine      *engine;    /* (unowned) */
  GnProxyServer *server;    /* (owned) */
  guint64        seq;
} Draining;

/* How the engine thread reaches the object on the owner's context. */
typedef struct
{
  gatomicrefcount ref_count;
  GWeakRef        engine;
} Notifier;

struct _GnEngine
{
  GObject               parent_instance;

  /* Shared, under lock (finalizing: atomic) */
  GMutex                lock;
  GCond                 cond;
  GnEngineConfig       *config;      /* (owned) used by the next start */
  GnBlocklist          *blocklist;   /* (owned) */
  GnEngineStatus        status;
  GError               *error;       /* (owned) (nullable) */
  guint16               port;
  guint                 max_connections; /* the running server's, within the fd budget */
  guint                 n_draining;
  gboolean              thread_ready;
  gint                  finalizing;  /* (atomic) no more notifications */

  /* Owner thread */
  GMainContext         *owner_context; /* (owned) */
  GnEngineStatus        notified_status;
  guint                 notified_n_draining;
  GThread              *thread;      /* (owned) */
  Notifier             *notifier;    /* (owned) */

  /* Engine thread (set before thread_ready, read-only elsewhere) */
  GMainContext         *context;     /* (owned) */
  GMainLoop            *loop;        /* (owned) */
  GnConnectionRegistry *registry;    /* (owned) */
  GPtrArray            *workers;     /* (owned) (element-type GnWorker) engine thread */
  GnProxyServer        *server;      /* (owned) (nullable) engine thread: the one accepting */
  GPtrArray            *draining;    /* (owned) (element-type Draining) engine thread, by seq */
  guint64               last_seq;    /* engine thread: of the last server stopped */
  GQueue                stops;       /* (element-type Op) engine thread: waiting for drains */
  GSource              *count_timer; /* (owned) (nullable) engine thread, while draining */
  guint                 restarts;    /* engine thread: restarts that took effect */
};

enum {
  PROP_0,
  PROP_STATUS,
  PROP_N_DRAINING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (GnEngine, gn_engine, G_TYPE_OBJECT)

/* Any thread: runs @func on @context in an idle source, never at once in
 * the calling thread (g_main_context_invoke() would, whenever nobody
 * iterates @context at that moment). */
static void
post_to (GMainContext   *context,
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

/* ---- notifications on the owner's context -------------------------------- */

static Notifier *
notifier_ref (Notifier *notifier)
{
  g_atomic_ref_count_inc (&notifier->ref_count);
  return notifier;
}

static void
notifier_unref (gpointer data)
{
  Notifier *notifier = data;

  if (g_atomic_ref_count_dec (&notifier->ref_count))
    {
      g_weak_ref_clear (&notifier->engine);
      g_free (notifier);
    }
}

static gboolean
notify_cb (gpointer user_data)
{
  Notifier *notifier = user_data;
  g_autoptr(GnEngine) self = g_weak_ref_get (&notifier->engine);
  GnEngineStatus status;
  guint n_draining;

  if (self == NULL)
    return G_SOURCE_REMOVE;

  g_mutex_lock (&self->lock);
  status = self->status;
  n_draining = self->n_draining;
  g_mutex_unlock (&self->lock);

  g_object_freeze_notify (G_OBJECT (self));
  if (status != self->notified_status)
    {
      self->notified_status = status;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
    }
  if (n_draining != self->notified_n_draining)
    {
      self->notified_n_draining = n_draining;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_DRAINING]);
    }
  g_object_thaw_notify (G_OBJECT (self));
  return G_SOURCE_REMOVE;
}

/* Engine thread: the owner looks at status and n_draining again soon. */
static void
schedule_notify (GnEngine *self)
{
  if (g_atomic_int_get (&self->finalizing))
    return;
  post_to (self->owner_context, G_PRIORITY_DEFAULT, notify_cb,
           notifier_ref (self->notifier), notifier_unref);
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

  schedule_notify (self);
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
      schedule_notify (self);
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
      post_to (g_task_get_context (op->task), G_PRIORITY_DEFAULT, return_task_cb, op, NULL);
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

  post_to (d->engine->context, G_PRIORITY_HIGH, server_gone_cb, d, NULL);
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

static gboolean
apply_blocklist_cb (gpointer user_data)
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

static gpointer
engine_thread (gpointer data)
{
  GnEngine *self = data;
  guint n_workers;

  g_main_context_push_thread_default (self->context);
  self->registry = gn_connection_registry_new (self->context);
  g_mutex_lock (&self->lock);
  gn_connection_registry_set_rules (self->registry, gn_blocklist_get_n_rules (self->blocklist),
                                    gn_blocklist_get_n_allow_rules (self->blocklist));
  g_mutex_unlock (&self->lock);

  g_mutex_lock (&self->lock);
  n_workers = gn_engine_config_get_n_workers (self->config);
  g_mutex_unlock (&self->lock);
  self->workers = g_ptr_array_new_with_free_func ((GDestroyNotify) gn_worker_free);
  for (guint i = 0; i < n_workers; i++)
    g_ptr_array_add (self->workers,
                     gn_worker_new (i, n_workers == 1 ? self->context : NULL, BUFFER_SIZE,
                                    MAX (MAX_FREE_BUFFERS / n_workers, 4)));
  self->draining = g_ptr_array_new ();
  g_queue_init (&self->stops);

  g_mutex_lock (&self->lock);
  self->thread_ready = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  g_main_loop_run (self->loop);

  g_assert (self->server == NULL);
  g_assert (self->draining->len == 0 && self->count_timer == NULL);
  g_assert (g_queue_is_empty (&self->stops));
  g_clear_pointer (&self->draining, g_ptr_array_unref);
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
  Op op = { self, kind, FALSE, NULL, NULL, 0 };

  post_to (self->context, G_PRIORITY_DEFAULT, run_op_cb, &op, NULL);

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
static void
run_op_async (GnEngine *self,
              OpKind    kind,
              GTask    *task)
{
  Op *op = g_new0 (Op, 1);

  op->engine = self;
  op->kind = kind;
  op->task = task;
  post_to (self->context, G_PRIORITY_DEFAULT, run_op_cb, op, NULL);
}

/* ---- GObject ------------------------------------------------------------- */

static void
gn_engine_finalize (GObject *object)
{
  GnEngine *self = GN_ENGINE (object);

  g_atomic_int_set (&self->finalizing, TRUE);
  run_op_sync (self, OP_QUIT, NULL);
  g_thread_join (self->thread);

  g_clear_pointer (&self->loop, g_main_loop_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->owner_context, g_main_context_unref);
  g_clear_pointer (&self->notifier, notifier_unref);
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
    case PROP_N_DRAINING:
      g_value_set_uint (value, gn_engine_get_n_draining (self));
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
  /* Connections still open on stopped servers; notified on the owner's
   * context at most every N_DRAINING_INTERVAL_MS, and when it reaches 0. */
  properties[PROP_N_DRAINING] =
    g_param_spec_uint ("n-draining", NULL, NULL, 0, G_MAXUINT, 0,
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
  self->notifier = g_new0 (Notifier, 1);
  g_atomic_ref_count_init (&self->notifier->ref_count);
  g_weak_ref_init (&self->notifier->engine, self);
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

void
gn_engine_stop_async (GnEngine            *self,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (GN_IS_ENGINE (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, gn_engine_stop_async);
  run_op_async (self, OP_STOP, task);
}

gboolean
gn_engine_stop_finish (GnEngine      *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == gn_engine_stop_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
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
  GTask *task;

  g_return_if_fail (GN_IS_ENGINE (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, gn_engine_restart_async);
  run_op_async (self, OP_RESTART, task);
}

gboolean
gn_engine_restart_finish (GnEngine      *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == gn_engine_restart_async, FALSE);

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

guint
gn_engine_get_n_draining (GnEngine *self)
{
  guint n;

  g_return_val_if_fail (GN_IS_ENGINE (self), 0);

  g_mutex_lock (&self->lock);
  n = self->n_draining;
  g_mutex_unlock (&self->lock);
  return n;
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

guint
gn_engine_get_max_connections (GnEngine *self)
{
  guint max;

  g_return_val_if_fail (GN_IS_ENGINE (self), 0);

  g_mutex_lock (&self->lock);
  max = self->port != 0 ? self->max_connections : self->config->max_connections;
  g_mutex_unlock (&self->lock);
  return max;
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

  /* New connections pick it up; open ones whose target it now blocks
   * close within a round trip to their workers. */
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
