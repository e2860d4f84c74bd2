/* gn-peer-lookup.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GnPeerLookup (see gn-peer-lookup.h). Each question is a Job in a list
 * under a lock; one GThreadPool thread (at most) takes the whole list and
 * answers it with one gn_process_lookup_connections(), at most one such
 * scan per MIN_GAP_US. A job is answered
 * exactly once: by that thread, or, if its cancellable fires first, by
 * the cancelling thread at once — whoever claims it first (an atomic flag),
 * as GTask's return-on-cancel does. So a stopping worker never waits for
 * a scan, and nothing is left to arrive on a context nobody iterates.
 *
 * The tasks have no source object: a GnPeerLookup can be dropped with
 * questions in flight (its pool is freed, waiting for the scan under way,
 * from the thread that drops the last reference, never from the pool's
 * own thread).
 *
 * Threading: see gn-peer-lookup.h.
 */

#include "gn-peer-lookup.h"
#include "gn-process-table.h"

/* At most one scan per this many microseconds: in a burst of thousands of
 * connections a second, each scan answers the questions of the last few
 * milliseconds together (and skips the connections gone meanwhile)
 * instead of one scan per handful; a blocked answer waits this much more
 * at worst. */
#define MIN_GAP_US (10 * 1000)

typedef struct
{
  gatomicrefcount  ref_count;
  GTask           *task;        /* (owned) (nullable) once returned on cancel */
  GSocketAddress  *client;      /* (owned) */
  GSocketAddress  *server;      /* (owned) */
  GCancellable    *cancellable; /* (unowned) (nullable) the task's */
  gulong           handler;     /* on cancellable; 0 once disconnected */
  gint             claimed;     /* atomic: answered (or being answered) */
} Job;

struct _GnPeerLookup
{
  GObject      parent_instance;

  GMutex       lock;
  GPtrArray   *pending;    /* (owned) (element-type Job) under lock */
  gboolean     scheduled;  /* under lock: a run is queued in the pool */
  GThreadPool *pool;       /* (owned) one thread */
  gint64       last_run;   /* the pool's thread: when the last scan started */
  guint        n_scans;    /* atomic */
};

static void gn_peer_lookup_identifier_init (GnPeerIdentifierInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (GnPeerLookup, gn_peer_lookup, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (GN_TYPE_PEER_IDENTIFIER,
                                                      gn_peer_lookup_identifier_init))

static Job *
job_ref (Job *job)
{
  g_atomic_ref_count_inc (&job->ref_count);
  return job;
}

static void
job_unref (gpointer data)
{
  Job *job = data;

  if (!g_atomic_ref_count_dec (&job->ref_count))
    return;
  g_clear_object (&job->task);
  g_clear_object (&job->client);
  g_clear_object (&job->server);
  g_free (job);
}

static gboolean
job_claim (Job *job)
{
  return g_atomic_int_compare_and_exchange (&job->claimed, FALSE, TRUE);
}

/* From g_cancellable_cancel(), on the cancelling thread. */
static void
job_cancelled (GCancellable *cancellable,
               gpointer      data)
{
  Job *job = data;

  if (job_claim (job))
    {
      g_task_return_new_error (job->task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");
      /* The task holds the cancellable, which holds the job until it is
       * finalized: no cycle. */
      g_clear_object (&job->task);
    }
}

/* The pool's thread: everything asked so far, in one lookup. */
static void
run_lookups (gpointer data,
             gpointer user_data)
{
  GnPeerLookup *self = user_data;
  g_autoptr(GPtrArray) jobs = NULL;
  g_autofree GSocketAddress **clients = NULL;
  g_autofree GSocketAddress **servers = NULL;
  g_autofree GnProcessInfo **owners = NULL;
  guint n = 0;
  gint64 since = g_get_monotonic_time () - self->last_run;

  if (since >= 0 && since < MIN_GAP_US)
    g_usleep (MIN_GAP_US - since);
  self->last_run = g_get_monotonic_time ();

  g_mutex_lock (&self->lock);
  jobs = g_steal_pointer (&self->pending);
  self->pending = g_ptr_array_new_with_free_func (job_unref);
  self->scheduled = FALSE;
  g_mutex_unlock (&self->lock);

  clients = g_new (GSocketAddress *, jobs->len);
  servers = g_new (GSocketAddress *, jobs->len);
  owners = g_new0 (GnProcessInfo *, jobs->len);
  for (guint i = 0; i < jobs->len; i++)
    {
      Job *job = g_ptr_array_index (jobs, i);

      /* Not the ones cancelled meanwhile (their connection is gone). */
      if (g_atomic_int_get (&job->claimed))
        continue;
      clients[n] = job->client;
      servers[n] = job->server;
      n++;
    }
  if (n > 0)
    {
      gn_process_lookup_connections (clients, servers, n, owners);
      g_atomic_int_inc (&self->n_scans);
    }

  for (guint i = 0, k = 0; i < jobs->len; i++)
    {
      Job *job = g_ptr_array_index (jobs, i);
      GnProcessInfo *owner = NULL;

      if (k < n && clients[k] == job->client)
        owner = owners[k++];
      if (job_claim (job))
        {
          g_task_return_pointer (job->task, owner != NULL ? g_strdup (owner->name) : NULL, g_free);
          /* The handler has nothing more to do (it would find the job
           * claimed); waits if it is running. */
          if (job->handler != 0)
            g_cancellable_disconnect (job->cancellable, job->handler);
          job->handler = 0;
        }
      gn_process_info_free (owner);
    }
}

static void
identify_async (GnPeerIdentifier    *identifier,
                GSocketAddress      *client,
                GSocketAddress      *server,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             user_data)
{
  GnPeerLookup *self = GN_PEER_LOOKUP (identifier);
  Job *job = g_new0 (Job, 1);
  gboolean schedule;

  g_atomic_ref_count_init (&job->ref_count);
  job->task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (job->task, identify_async);
  job->client = g_object_ref (client);
  job->server = g_object_ref (server);
  if (cancellable != NULL)
    {
      job->cancellable = cancellable;
      /* Runs at once if already cancelled. */
      job->handler = g_cancellable_connect (cancellable, G_CALLBACK (job_cancelled),
                                            job_ref (job), job_unref);
      if (g_atomic_int_get (&job->claimed))
        {
          job_unref (job);
          return;
        }
    }

  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->pending, job);
  schedule = !self->scheduled;
  self->scheduled = TRUE;
  g_mutex_unlock (&self->lock);
  if (schedule)
    g_thread_pool_push (self->pool, GINT_TO_POINTER (1), NULL);
}

static char *
identify_finish (GnPeerIdentifier  *identifier,
                 GAsyncResult      *result,
                 GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
gn_peer_lookup_identifier_init (GnPeerIdentifierInterface *iface)
{
  iface->identify_async = identify_async;
  iface->identify_finish = identify_finish;
}

guint
gn_peer_lookup_get_n_scans (GnPeerLookup *self)
{
  g_return_val_if_fail (GN_IS_PEER_LOOKUP (self), 0);
  return (guint) g_atomic_int_get (&self->n_scans);
}

static void
gn_peer_lookup_finalize (GObject *object)
{
  GnPeerLookup *self = GN_PEER_LOOKUP (object);

  g_thread_pool_free (self->pool, FALSE, TRUE);
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (gn_peer_lookup_parent_class)->finalize (object);
}

static void
gn_peer_lookup_class_init (GnPeerLookupClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = gn_peer_lookup_finalize;
}

static void
gn_peer_lookup_init (GnPeerLookup *self)
{
  g_mutex_init (&self->lock);
  self->pending = g_ptr_array_new_with_free_func (job_unref);
  self->pool = g_thread_pool_new (run_lookups, self, 1, FALSE, NULL);
}

GnPeerLookup *
gn_peer_lookup_new (void)
{
  return g_object_new (GN_TYPE_PEER_LOOKUP, NULL);
}
