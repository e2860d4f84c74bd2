/* gn-engine.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GnEngine (see gn-engine.h): the proxy on its own thread. This file has
 * the object, its thread, the owner-side notifications and the public
 * calls; the operations, drains and blocklist swaps that run on the engine
 * thread are in gn-engine-ops.c, the shared inside in gn-engine-private.h.
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
 * swaps), and n_workers worker threads (gn-worker.h), each with its own
 * GMainContext, buffer pool and GSocketClient, which on Linux accept for
 * themselves (each on its own SO_REUSEPORT socket; elsewhere the engine
 * thread accepts and hands each connection to a worker, see
 * gn-proxy-accept.c), and on which connections live from accept to close — those
 * of a draining server as well as those of the running one. With
 * n_workers = 1 the only worker is the engine thread itself, as before
 * workers existed. The workers are created when the engine thread starts
 * and joined when it ends, after the last server stopped; what they share
 * (connection counts, drain, registry) is described in gn-proxy-server.c
 * and gn-connection-registry.c.
 */

#include "gn-buffer-pool.h"
#include "gn-engine-private.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#define BUFFER_SIZE (256 * 1024)
#define MAX_FREE_BUFFERS 32

enum {
  PROP_0,
  PROP_STATUS,
  PROP_N_DRAINING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (GnEngine, gn_engine, G_TYPE_OBJECT)

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
void
gn_engine_schedule_notify (GnEngine *self)
{
  if (g_atomic_int_get (&self->finalizing))
    return;
  gn_engine_post_to (self->owner_context, G_PRIORITY_DEFAULT, notify_cb,
           notifier_ref (self->notifier), notifier_unref);
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
/* ---- GObject ------------------------------------------------------------- */

static void
gn_engine_finalize (GObject *object)
{
  GnEngine *self = GN_ENGINE (object);

  g_atomic_int_set (&self->finalizing, TRUE);
  gn_engine_run_op_sync (self, OP_QUIT, NULL);
  g_thread_join (self->thread);

  g_clear_pointer (&self->loop, g_main_loop_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->owner_context, g_main_context_unref);
  g_clear_pointer (&self->notifier, notifier_unref);
  g_clear_pointer (&self->config, gn_engine_config_unref);
  g_clear_object (&self->peer_identifier);
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

/* glibc's malloc, for a proxy's pattern (threads that allocate many small
 * objects in bursts, then go quiet): fixed thresholds instead of the
 * dynamic ones. After the first free of a large block glibc raises its mmap
 * threshold up to 32 MB and its trim threshold to twice that, and a worker
 * thread's arena never gives back the free space at its top below the trim
 * threshold (malloc_trim() does not trim the top of a thread's arena
 * either): after 60,000 setups each worker arena held 5-12 MB with a few
 * KB in use (bench/README.md, "Memory after a burst"). Process-wide, set
 * once; harmless for the rest of the program. */
static void
tune_malloc (void)
{
#ifdef __GLIBC__
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      mallopt (M_MMAP_THRESHOLD, 128 * 1024);
      mallopt (M_TRIM_THRESHOLD, 128 * 1024);
      g_once_init_leave (&done, 1);
    }
#endif
}

GnEngine *
gn_engine_new (GnEngineConfig *config)
{
  GnEngine *self;

  tune_malloc ();
  self = g_object_new (GN_TYPE_ENGINE, NULL);

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

void
gn_engine_set_peer_identifier (GnEngine         *self,
                               GnPeerIdentifier *identifier)
{
  g_return_if_fail (GN_IS_ENGINE (self));
  g_return_if_fail (identifier == NULL || GN_IS_PEER_IDENTIFIER (identifier));

  g_mutex_lock (&self->lock);
  g_set_object (&self->peer_identifier, identifier);
  g_mutex_unlock (&self->lock);
}

gboolean
gn_engine_start (GnEngine  *self,
                 GError   **error)
{
  g_return_val_if_fail (GN_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return gn_engine_run_op_sync (self, OP_START, error);
}

void
gn_engine_stop (GnEngine *self)
{
  g_return_if_fail (GN_IS_ENGINE (self));

  gn_engine_run_op_sync (self, OP_STOP, NULL);
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
  gn_engine_run_op_async (self, OP_STOP, task);
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

  return gn_engine_run_op_sync (self, OP_RESTART, error);
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
  gn_engine_run_op_async (self, OP_RESTART, task);
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
  g_main_context_invoke (self->context, gn_engine_apply_blocklist_cb, self);
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

void
gn_engine_get_worker_accepted (GnEngine *self,
                               guint     index,
                               guint    *by_worker,
                               guint    *handed)
{
  g_return_if_fail (GN_IS_ENGINE (self));
  g_return_if_fail (index < self->workers->len);

  gn_worker_get_accepted (g_ptr_array_index (self->workers, index), by_worker, handed);
}

GnConnectionRegistry *
gn_engine_get_registry (GnEngine *self)
{
  g_return_val_if_fail (GN_IS_ENGINE (self), NULL);

  return self->registry;
}
