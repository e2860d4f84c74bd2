/* gn-connection-registry.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The live connection registry: the window's connection table, the headless
 * log and the statistics all read it, and the proxy writes it for every
 * connection. It exists so that those readers never look at the proxy's own
 * connection objects and never get one callback per packet.
 *
 * Threading: records, counters and every per-subscriber cursor live on the
 * engine thread (the GMainContext given to gn_connection_registry_new()) and
 * are plain fields there: a record update is a few stores and, at most once
 * per generation, an O(1) move to the tail of the "recently changed" queue.
 * The only state other threads touch is the subscriber list, guarded by
 * `lock`. snapshot() and close_by_id() marshal to the engine thread with
 * g_main_context_invoke() (which runs at once when the caller can own the
 * engine context, so they also work before the engine loop runs).
 *
 * Change tracking: `gen` is a generation number that advances each time a
 * batch is built for some subscriber. A record touched during generation G
 * gets serial G and moves to the tail of `changed`, so that queue is ordered
 * by serial and a subscriber that last saw generation L reads from the tail
 * back to the first serial <= L. Records created after L are "added", the
 * others "changed". Records freed after their linger time go to a small log
 * of removals that is pruned once every subscriber has seen them.
 *
 * Each subscriber has a timeout source on the engine context that is only
 * armed when something changed, so an idle registry wakes nobody, and a
 * subscriber gets at most one batch per interval.
 */

#include "gn-connection-registry-private.h"

#define GN_DEFAULT_LINGER_MS (60 * 1000)
#define GN_MIN_INTERVAL_MS   50

struct _GnConnectionRecord
{
  GnConnectionRegistry  *registry;          /* (unowned) */
  GList                  link;              /* in registry->changed */
  GList                  closed_link;       /* in registry->closed */
  guint64                serial;            /* generation of the last change */
  guint64                created_gen;
  gint64                 closed_mono;       /* g_get_monotonic_time() when closed */

  guint64                id;
  char                  *client_address;    /* (owned) GRefString */
  guint16                client_port;
  char                  *host;              /* (owned) GRefString (nullable) */
  guint16                port;
  GnConnectionKind       kind;
  GnConnectionState      state;
  gint64                 started_at;
  gint64                 ended_at;
  guint64                bytes_up;
  guint64                bytes_down;
  guint                  status;
  char                  *list_name;         /* (owned) GRefString (nullable) */
  char                  *rule;              /* (owned) GRefString (nullable) */
  char                  *reason;            /* (owned) GRefString (nullable) */

  GnConnectionCloseFunc  close_func;        /* (nullable) cleared once closed */
  gpointer               close_data;
};

typedef struct
{
  guint64 id;
  guint64 created_gen;
  guint64 removed_gen;
} Removal;

typedef struct
{
  gatomicrefcount        ref_count;
  guint                  id;
  GnConnectionRegistry  *registry;   /* (unowned) valid while armed */
  GMainContext          *context;    /* (owned) where batches are delivered */
  guint                  interval_ms;
  GnConnectionBatchFunc  func;
  gpointer               user_data;
  GDestroyNotify         destroy;
  gint                   active;     /* atomic; FALSE once unsubscribed */
  GSource               *source;     /* (owned) (nullable) under registry->lock */
  guint64                last_gen;   /* engine thread only */
} Subscriber;

struct _GnConnectionRegistry
{
  GObject        parent_instance;

  GMainContext  *context;      /* (owned) the engine context */

  /* Engine thread only. */
  GHashTable    *records;      /* id → GnConnectionRecord (owned) */
  GQueue         changed;      /* every record, ordered by serial */
  GQueue         closed;       /* closed records, ordered by close time */
  GArray        *removals;     /* (element-type Removal) */
  guint64        next_id;
  guint64        gen;
  gboolean       gen_dirty;    /* something changed during `gen` */
  guint64        counters_serial;
  GnCounters     total;
  GnCounters     today;
  gint64         next_midnight; /* real time of the next local midnight */
  GSource       *linger_source; /* (owned) (nullable) */
  GSource       *midnight_source; /* (owned) (nullable) */

  /* Any thread. */
  guint          linger_ms;    /* atomic */
  gint           n_open;       /* atomic */

  GMutex         lock;         /* guards the fields below */
  GPtrArray     *subscribers;  /* (element-type Subscriber) */
  guint          next_sub_id;
};

G_DEFINE_FINAL_TYPE (GnConnectionRegistry, gn_connection_registry, G_TYPE_OBJECT)

/* ------------------------------------------------------------------------ */
/* Boxed types                                                              */

G_DEFINE_BOXED_TYPE (GnConnectionInfo, gn_connection_info,
                     gn_connection_info_ref, gn_connection_info_unref)
G_DEFINE_BOXED_TYPE (GnConnectionBatch, gn_connection_batch,
                     gn_connection_batch_ref, gn_connection_batch_unref)

GnConnectionInfo *
gn_connection_info_ref (GnConnectionInfo *info)
{
  g_return_val_if_fail (info != NULL, NULL);
  g_atomic_ref_count_inc (&info->ref_count);
  return info;
}

void
gn_connection_info_unref (GnConnectionInfo *info)
{
  g_return_if_fail (info != NULL);
  if (!g_atomic_ref_count_dec (&info->ref_count))
    return;
  g_clear_pointer (&info->client_address, g_ref_string_release);
  g_clear_pointer (&info->host, g_ref_string_release);
  g_clear_pointer (&info->list_name, g_ref_string_release);
  g_clear_pointer (&info->rule, g_ref_string_release);
  g_clear_pointer (&info->reason, g_ref_string_release);
  g_free (info);
}

GnConnectionBatch *
gn_connection_batch_ref (GnConnectionBatch *batch)
{
  g_return_val_if_fail (batch != NULL, NULL);
  g_atomic_ref_count_inc (&batch->ref_count);
  return batch;
}

void
gn_connection_batch_unref (GnConnectionBatch *batch)
{
  g_return_if_fail (batch != NULL);
  if (!g_atomic_ref_count_dec (&batch->ref_count))
    return;
  g_ptr_array_unref (batch->added);
  g_ptr_array_unref (batch->changed);
  g_array_unref (batch->removed);
  g_free (batch);
}

/* Record and info strings are GRefStrings, so a batch of thousands of
 * records copies pointers, not text. */
static inline char *
acquire (char *ref_string)
{
  return ref_string != NULL ? g_ref_string_acquire (ref_string) : NULL;
}

static GnConnectionInfo *
info_new_from_record (const GnConnectionRecord *record)
{
  GnConnectionInfo *info = g_new0 (GnConnectionInfo, 1);

  g_atomic_ref_count_init (&info->ref_count);
  info->id = record->id;
  info->client_address = acquire (record->client_address);
  info->client_port = record->client_port;
  info->host = acquire (record->host);
  info->port = record->port;
  info->kind = record->kind;
  info->state = record->state;
  info->started_at = record->started_at;
  info->ended_at = record->ended_at;
  info->bytes_up = record->bytes_up;
  info->bytes_down = record->bytes_down;
  info->status = record->status;
  info->list_name = acquire (record->list_name);
  info->rule = acquire (record->rule);
  info->reason = acquire (record->reason);

  return info;
}

static GnConnectionBatch *
batch_new (void)
{
  GnConnectionBatch *batch = g_new0 (GnConnectionBatch, 1);

  g_atomic_ref_count_init (&batch->ref_count);
  batch->added = g_ptr_array_new_with_free_func ((GDestroyNotify) gn_connection_info_unref);
  batch->changed = g_ptr_array_new_with_free_func ((GDestroyNotify) gn_connection_info_unref);
  batch->removed = g_array_new (FALSE, FALSE, sizeof (guint64));
  return batch;
}

/* ------------------------------------------------------------------------ */
/* Subscribers                                                              */

static Subscriber *
subscriber_ref (Subscriber *sub)
{
  g_atomic_ref_count_inc (&sub->ref_count);
  return sub;
}

static void
subscriber_unref (Subscriber *sub)
{
  if (!g_atomic_ref_count_dec (&sub->ref_count))
    return;
  g_assert (sub->source == NULL);
  if (sub->destroy != NULL)
    sub->destroy (sub->user_data);
  g_main_context_unref (sub->context);
  g_free (sub);
}

/* Caller holds self->lock. */
static void
subscriber_disarm (Subscriber *sub)
{
  if (sub->source == NULL)
    return;
  g_source_destroy (sub->source);
  g_clear_pointer (&sub->source, g_source_unref);
}

/* ------------------------------------------------------------------------ */
/* Local midnight                                                           */

static gint64
next_local_midnight (gint64 now_real)
{
  g_autoptr(GDateTime) now = g_date_time_new_from_unix_local (now_real / G_USEC_PER_SEC);
  g_autoptr(GDateTime) today = NULL;
  g_autoptr(GDateTime) tomorrow = NULL;

  if (now == NULL)
    return G_MAXINT64;
  today = g_date_time_new_local (g_date_time_get_year (now), g_date_time_get_month (now),
                                 g_date_time_get_day_of_month (now), 0, 0, 0);
  tomorrow = today != NULL ? g_date_time_add_days (today, 1) : NULL;
  if (tomorrow == NULL)
    return G_MAXINT64;
  return g_date_time_to_unix (tomorrow) * G_USEC_PER_SEC;
}

static void registry_mark_dirty (GnConnectionRegistry *self);
static void midnight_arm (GnConnectionRegistry *self);

/* Resets the "today" counters when the local date changed. Engine thread. */
static void
check_midnight (GnConnectionRegistry *self)
{
  gint64 now = g_get_real_time ();

  if (G_LIKELY (now < self->next_midnight))
    return;
  self->today = (GnCounters) { 0 };
  self->next_midnight = next_local_midnight (now);
  self->counters_serial = self->gen;
  registry_mark_dirty (self);
}

static gboolean
midnight_cb (gpointer data)
{
  GnConnectionRegistry *self = data;

  check_midnight (self);
  g_clear_pointer (&self->midnight_source, g_source_unref);
  midnight_arm (self);
  return G_SOURCE_REMOVE;
}

static void
midnight_arm (GnConnectionRegistry *self)
{
  gint64 wait_us = self->next_midnight - g_get_real_time ();
  guint wait_s;

  if (self->midnight_source != NULL || self->next_midnight == G_MAXINT64)
    return;
  /* Wake a second late rather than early; re-check at most hourly so that
   * a suspended laptop or a clock change is noticed. */
  wait_s = (guint) CLAMP (wait_us / G_USEC_PER_SEC + 1, 1, 3600);
  self->midnight_source = g_timeout_source_new (wait_s * 1000);
  g_source_set_static_name (self->midnight_source, "[guardnest] registry midnight");
  g_source_set_callback (self->midnight_source, midnight_cb, self, NULL);
  g_source_attach (self->midnight_source, self->context);
}

void
_gn_connection_registry_set_next_midnight (GnConnectionRegistry *self,
                                           gint64                real_time)
{
  g_return_if_fail (GN_IS_CONNECTION_REGISTRY (self));

  self->next_midnight = real_time;
  if (self->midnight_source != NULL)
    g_source_destroy (self->midnight_source);
  g_clear_pointer (&self->midnight_source, g_source_unref);
  midnight_arm (self);
}

/* ------------------------------------------------------------------------ */
/* Change tracking (engine thread)                                          */

static gboolean flush_cb (gpointer data);

/* Arms the batch timer of every subscriber that has none pending. Runs once
 * per generation at most. */
static void
registry_mark_dirty (GnConnectionRegistry *self)
{
  if (self->gen_dirty)
    return;
  self->gen_dirty = TRUE;

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->subscribers->len; i++)
    {
      Subscriber *sub = g_ptr_array_index (self->subscribers, i);

      if (sub->source != NULL)
        continue;
      sub->source = g_timeout_source_new (sub->interval_ms);
      g_source_set_static_name (sub->source, "[guardnest] registry batch");
      g_source_set_callback (sub->source, flush_cb, subscriber_ref (sub),
                             (GDestroyNotify) subscriber_unref);
      g_source_attach (sub->source, self->context);
    }
  g_mutex_unlock (&self->lock);
}

static inline void
record_touch (GnConnectionRecord *record)
{
  GnConnectionRegistry *self = record->registry;

  if (record->serial == self->gen)
    return;
  record->serial = self->gen;
  g_queue_unlink (&self->changed, &record->link);
  g_queue_push_tail_link (&self->changed, &record->link);
  registry_mark_dirty (self);
}

static inline void
counters_touch (GnConnectionRegistry *self)
{
  if (self->counters_serial == self->gen)
    return;
  self->counters_serial = self->gen;
  registry_mark_dirty (self);
}

/* The smallest generation some subscriber has not seen yet is
 * min(last_gen) + 1; removals at or below min(last_gen) are not needed. */
static void
prune_removals (GnConnectionRegistry *self)
{
  guint64 min_seen = self->gen;
  guint keep_from = 0;

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->subscribers->len; i++)
    {
      Subscriber *sub = g_ptr_array_index (self->subscribers, i);
      min_seen = MIN (min_seen, sub->last_gen);
    }
  g_mutex_unlock (&self->lock);

  while (keep_from < self->removals->len &&
         g_array_index (self->removals, Removal, keep_from).removed_gen <= min_seen)
    keep_from++;
  if (keep_from > 0)
    g_array_remove_range (self->removals, 0, keep_from);
}

typedef struct
{
  Subscriber        *sub;    /* (owned) */
  GnConnectionBatch *batch;  /* (owned) */
} Delivery;

static void
delivery_free (gpointer data)
{
  Delivery *delivery = data;

  subscriber_unref (delivery->sub);
  gn_connection_batch_unref (delivery->batch);
  g_free (delivery);
}

static gboolean
deliver_cb (gpointer data)
{
  Delivery *delivery = data;

  if (g_atomic_int_get (&delivery->sub->active))
    delivery->sub->func (delivery->batch, delivery->sub->user_data);
  return G_SOURCE_REMOVE;
}

static gboolean
flush_cb (gpointer data)
{
  Subscriber *sub = data;
  GnConnectionRegistry *self;
  GnConnectionBatch *batch;
  Delivery *delivery;
  gboolean counters_changed;

  if (!g_atomic_int_get (&sub->active))
    return G_SOURCE_REMOVE;

  self = sub->registry;
  g_mutex_lock (&self->lock);
  g_clear_pointer (&sub->source, g_source_unref);
  g_mutex_unlock (&self->lock);

  check_midnight (self);
  batch = batch_new ();
  for (GList *l = self->changed.tail; l != NULL; l = l->prev)
    {
      GnConnectionRecord *record = l->data;

      if (record->serial <= sub->last_gen)
        break;
      if (record->created_gen > sub->last_gen)
        g_ptr_array_add (batch->added, info_new_from_record (record));
      else
        g_ptr_array_add (batch->changed, info_new_from_record (record));
    }
  for (guint i = self->removals->len; i > 0; i--)
    {
      const Removal *removal = &g_array_index (self->removals, Removal, i - 1);

      if (removal->removed_gen <= sub->last_gen)
        break;
      /* Never seen by this subscriber: nothing to remove. */
      if (removal->created_gen <= sub->last_gen)
        g_array_append_val (batch->removed, removal->id);
    }
  counters_changed = self->counters_serial > sub->last_gen;

  sub->last_gen = self->gen;
  self->gen++;
  self->gen_dirty = FALSE;
  prune_removals (self);

  if (batch->added->len == 0 && batch->changed->len == 0 &&
      batch->removed->len == 0 && !counters_changed)
    {
      gn_connection_batch_unref (batch);
      return G_SOURCE_REMOVE;
    }

  batch->total = self->total;
  batch->today = self->today;
  batch->open_now = (guint) g_atomic_int_get (&self->n_open);

  delivery = g_new0 (Delivery, 1);
  delivery->sub = subscriber_ref (sub);
  delivery->batch = batch;
  g_main_context_invoke_full (sub->context, G_PRIORITY_DEFAULT,
                              deliver_cb, delivery, delivery_free);
  return G_SOURCE_REMOVE;
}

/* ------------------------------------------------------------------------ */
/* Lingering closed records                                                 */

static void
record_free (GnConnectionRecord *record)
{
  g_clear_pointer (&record->client_address, g_ref_string_release);
  g_clear_pointer (&record->host, g_ref_string_release);
  g_clear_pointer (&record->list_name, g_ref_string_release);
  g_clear_pointer (&record->rule, g_ref_string_release);
  g_clear_pointer (&record->reason, g_ref_string_release);
  g_free (record);
}

static gboolean linger_cb (gpointer data);

static void
linger_arm (GnConnectionRegistry *self)
{
  GnConnectionRecord *head;
  gint64 due, now;

  if (self->linger_source != NULL || self->closed.head == NULL)
    return;
  head = self->closed.head->data;
  due = head->closed_mono + (gint64) g_atomic_int_get (&self->linger_ms) * 1000;
  now = g_get_monotonic_time ();
  self->linger_source = g_timeout_source_new ((guint) CLAMP ((due - now + 999) / 1000, 0, G_MAXUINT));
  g_source_set_static_name (self->linger_source, "[guardnest] registry linger");
  g_source_set_callback (self->linger_source, linger_cb, self, NULL);
  g_source_attach (self->linger_source, self->context);
}

static gboolean
linger_cb (gpointer data)
{
  GnConnectionRegistry *self = data;
  gint64 now = g_get_monotonic_time ();
  gint64 linger_us = (gint64) g_atomic_int_get (&self->linger_ms) * 1000;
  gboolean have_subscribers;

  g_mutex_lock (&self->lock);
  have_subscribers = self->subscribers->len > 0;
  g_mutex_unlock (&self->lock);

  while (self->closed.head != NULL)
    {
      GnConnectionRecord *record = self->closed.head->data;

      if (record->closed_mono + linger_us > now)
        break;
      g_queue_unlink (&self->closed, &record->closed_link);
      g_queue_unlink (&self->changed, &record->link);
      if (have_subscribers)
        {
          Removal removal = { record->id, record->created_gen, self->gen };
          g_array_append_val (self->removals, removal);
          registry_mark_dirty (self);
        }
      g_hash_table_remove (self->records, &record->id);
    }

  g_clear_pointer (&self->linger_source, g_source_unref);
  linger_arm (self);
  return G_SOURCE_REMOVE;
}

/* ------------------------------------------------------------------------ */
/* GObject                                                                  */

static void
gn_connection_registry_finalize (GObject *object)
{
  GnConnectionRegistry *self = GN_CONNECTION_REGISTRY (object);

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->subscribers->len; i++)
    {
      Subscriber *sub = g_ptr_array_index (self->subscribers, i);
      g_atomic_int_set (&sub->active, FALSE);
      subscriber_disarm (sub);
    }
  g_mutex_unlock (&self->lock);
  g_ptr_array_unref (self->subscribers);

  if (self->linger_source != NULL)
    g_source_destroy (self->linger_source);
  g_clear_pointer (&self->linger_source, g_source_unref);
  if (self->midnight_source != NULL)
    g_source_destroy (self->midnight_source);
  g_clear_pointer (&self->midnight_source, g_source_unref);

  g_hash_table_unref (self->records);
  g_array_unref (self->removals);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (gn_connection_registry_parent_class)->finalize (object);
}

static void
gn_connection_registry_class_init (GnConnectionRegistryClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = gn_connection_registry_finalize;
}

static void
gn_connection_registry_init (GnConnectionRegistry *self)
{
  self->records = g_hash_table_new_full (g_int64_hash, g_int64_equal,
                                         NULL, (GDestroyNotify) record_free);
  self->removals = g_array_new (FALSE, FALSE, sizeof (Removal));
  self->subscribers = g_ptr_array_new_with_free_func ((GDestroyNotify) subscriber_unref);
  self->next_id = 1;
  self->gen = 1;
  self->linger_ms = GN_DEFAULT_LINGER_MS;
  self->next_midnight = next_local_midnight (g_get_real_time ());
  g_mutex_init (&self->lock);
}

/**
 * gn_connection_registry_new:
 * @engine_context: (nullable): the engine thread's context, or %NULL for the
 *   thread-default context of the caller
 *
 * The registry must be finalized on the engine thread, or after it stopped
 * iterating @engine_context.
 */
GnConnectionRegistry *
gn_connection_registry_new (GMainContext *engine_context)
{
  GnConnectionRegistry *self = g_object_new (GN_TYPE_CONNECTION_REGISTRY, NULL);

  self->context = engine_context != NULL ? g_main_context_ref (engine_context)
                                         : g_main_context_ref_thread_default ();
  midnight_arm (self);
  return self;
}

/* Any thread. Applies to records closed from now on and to the next expiry
 * check of those already lingering. */
void
gn_connection_registry_set_linger (GnConnectionRegistry *self,
                                   guint                 linger_ms)
{
  g_return_if_fail (GN_IS_CONNECTION_REGISTRY (self));
  g_atomic_int_set (&self->linger_ms, linger_ms);
}

guint
gn_connection_registry_subscribe (GnConnectionRegistry  *self,
                                  GMainContext          *context,
                                  guint                  interval_ms,
                                  GnConnectionBatchFunc  func,
                                  gpointer               user_data,
                                  GDestroyNotify         destroy)
{
  Subscriber *sub;
  guint id;

  g_return_val_if_fail (GN_IS_CONNECTION_REGISTRY (self), 0);
  g_return_val_if_fail (func != NULL, 0);

  sub = g_new0 (Subscriber, 1);
  g_atomic_ref_count_init (&sub->ref_count);
  sub->registry = self;
  sub->context = context != NULL ? g_main_context_ref (context)
                                 : g_main_context_ref_thread_default ();
  sub->interval_ms = MAX (interval_ms, GN_MIN_INTERVAL_MS);
  sub->func = func;
  sub->user_data = user_data;
  sub->destroy = destroy;
  sub->active = TRUE;
  sub->last_gen = 0;   /* the first batch carries every current record */

  g_mutex_lock (&self->lock);
  id = sub->id = ++self->next_sub_id;
  g_ptr_array_add (self->subscribers, sub);
  /* Deliver the current state once, even if nothing changes afterwards. */
  sub->source = g_timeout_source_new (sub->interval_ms);
  g_source_set_static_name (sub->source, "[guardnest] registry batch");
  g_source_set_callback (sub->source, flush_cb, subscriber_ref (sub),
                         (GDestroyNotify) subscriber_unref);
  g_source_attach (sub->source, self->context);
  g_mutex_unlock (&self->lock);

  return id;
}

/* Any thread. Called on the subscriber's own context thread, no batch is
 * delivered after it returns. @destroy runs when the last pending delivery
 * is gone (possibly on that context). */
void
gn_connection_registry_unsubscribe (GnConnectionRegistry *self,
                                    guint                 subscription)
{
  Subscriber *found = NULL;

  g_return_if_fail (GN_IS_CONNECTION_REGISTRY (self));

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->subscribers->len; i++)
    {
      Subscriber *sub = g_ptr_array_index (self->subscribers, i);

      if (sub->id != subscription)
        continue;
      g_atomic_int_set (&sub->active, FALSE);
      subscriber_disarm (sub);
      found = g_ptr_array_steal_index_fast (self->subscribers, i);
      break;
    }
  g_mutex_unlock (&self->lock);

  if (found == NULL)
    g_critical ("%s: no subscription %u", G_STRFUNC, subscription);
  else
    subscriber_unref (found);
}

typedef struct
{
  GnConnectionRegistry *self;
  GPtrArray            *infos;
  GnCounters            total;
  GnCounters            today;
  gboolean              done;
  GMutex                mutex;
  GCond                 cond;
} SnapshotData;

static int
compare_info_id (gconstpointer a,
                 gconstpointer b)
{
  const GnConnectionInfo *ia = *(GnConnectionInfo * const *) a;
  const GnConnectionInfo *ib = *(GnConnectionInfo * const *) b;

  return ia->id < ib->id ? -1 : ia->id > ib->id;
}

static gboolean
snapshot_cb (gpointer data)
{
  SnapshotData *snap = data;
  GnConnectionRegistry *self = snap->self;
  GPtrArray *infos;

  check_midnight (self);
  infos = g_ptr_array_new_full (self->changed.length, (GDestroyNotify) gn_connection_info_unref);
  for (GList *l = self->changed.head; l != NULL; l = l->next)
    g_ptr_array_add (infos, info_new_from_record (l->data));
  g_ptr_array_sort (infos, compare_info_id);

  g_mutex_lock (&snap->mutex);
  snap->infos = infos;
  snap->total = self->total;
  snap->today = self->today;
  snap->done = TRUE;
  g_cond_signal (&snap->cond);
  g_mutex_unlock (&snap->mutex);
  return G_SOURCE_REMOVE;
}

/**
 * gn_connection_registry_snapshot:
 * @total: (out) (optional): the counters since start
 * @today: (out) (optional): the counters since local midnight
 *
 * Any thread. Blocks until the engine thread has copied its records (or
 * copies them at once if the caller can own the engine context).
 *
 * Returns: (transfer container) (element-type GnConnectionInfo): every
 *   record, open ones and those still lingering, sorted by id
 */
GPtrArray *
gn_connection_registry_snapshot (GnConnectionRegistry *self,
                                 GnCounters           *total,
                                 GnCounters           *today)
{
  SnapshotData snap = { .self = self };

  g_return_val_if_fail (GN_IS_CONNECTION_REGISTRY (self), NULL);

  g_mutex_init (&snap.mutex);
  g_cond_init (&snap.cond);
  g_main_context_invoke (self->context, snapshot_cb, &snap);
  g_mutex_lock (&snap.mutex);
  while (!snap.done)
    g_cond_wait (&snap.cond, &snap.mutex);
  g_mutex_unlock (&snap.mutex);
  g_mutex_clear (&snap.mutex);
  g_cond_clear (&snap.cond);

  if (total != NULL)
    *total = snap.total;
  if (today != NULL)
    *today = snap.today;
  return snap.infos;
}

typedef struct
{
  GnConnectionRegistry *self;   /* (owned) */
  guint64               id;
} CloseData;

static gboolean
close_by_id_cb (gpointer data)
{
  CloseData *close = data;
  GnConnectionRecord *record = g_hash_table_lookup (close->self->records, &close->id);
  GnConnectionCloseFunc func;

  if (record == NULL || record->close_func == NULL)
    return G_SOURCE_REMOVE;
  /* Once: the close_func may finish the connection right away or later. */
  func = g_steal_pointer (&record->close_func);
  func (record->close_data);
  return G_SOURCE_REMOVE;
}

static void
close_data_free (gpointer data)
{
  CloseData *close = data;

  g_object_unref (close->self);
  g_free (close);
}

/* Any thread. Asks the engine thread to close the connection; does nothing
 * if it is already closed or unknown. */
void
gn_connection_registry_close_by_id (GnConnectionRegistry *self,
                                    guint64               id)
{
  CloseData *close;

  g_return_if_fail (GN_IS_CONNECTION_REGISTRY (self));

  close = g_new0 (CloseData, 1);
  close->self = g_object_ref (self);
  close->id = id;
  g_main_context_invoke_full (self->context, G_PRIORITY_HIGH,
                              close_by_id_cb, close, close_data_free);
}

guint
gn_connection_registry_get_n_open (GnConnectionRegistry *self)
{
  g_return_val_if_fail (GN_IS_CONNECTION_REGISTRY (self), 0);
  return (guint) g_atomic_int_get (&self->n_open);
}

/* ------------------------------------------------------------------------ */
/* Engine thread                                                            */

GnConnectionRecord *
gn_connection_registry_open (GnConnectionRegistry  *self,
                             const char            *client_address,
                             guint16                client_port,
                             GnConnectionCloseFunc  close_func,
                             gpointer               close_data)
{
  GnConnectionRecord *record;

  g_return_val_if_fail (GN_IS_CONNECTION_REGISTRY (self), NULL);

  check_midnight (self);
  record = g_new0 (GnConnectionRecord, 1);
  record->registry = self;
  record->link.data = record;
  record->closed_link.data = record;
  record->id = self->next_id++;
  record->created_gen = self->gen;
  record->serial = self->gen;
  record->client_address = g_ref_string_new (client_address != NULL ? client_address : "");
  record->client_port = client_port;
  record->state = GN_CONNECTION_STATE_READING;
  record->started_at = g_get_real_time ();
  record->close_func = close_func;
  record->close_data = close_data;

  g_hash_table_insert (self->records, &record->id, record);
  g_queue_push_tail_link (&self->changed, &record->link);
  g_atomic_int_inc (&self->n_open);
  self->total.connections++;
  self->today.connections++;
  self->counters_serial = self->gen;
  registry_mark_dirty (self);

  return record;
}

void
gn_connection_registry_count_rejected (GnConnectionRegistry *self)
{
  g_return_if_fail (GN_IS_CONNECTION_REGISTRY (self));

  check_midnight (self);
  self->total.rejected++;
  self->today.rejected++;
  counters_touch (self);
}

guint64
gn_connection_record_get_id (GnConnectionRecord *record)
{
  g_return_val_if_fail (record != NULL, 0);
  return record->id;
}

static void
replace_string (char       **field,
                const char  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_clear_pointer (field, g_ref_string_release);
  *field = value != NULL ? g_ref_string_new (value) : NULL;
}

void
gn_connection_record_set_target (GnConnectionRecord *record,
                                 const char         *host,
                                 guint16             port,
                                 GnConnectionKind    kind)
{
  g_return_if_fail (record != NULL);

  replace_string (&record->host, host);
  record->port = port;
  record->kind = kind;
  record_touch (record);
}

void
gn_connection_record_set_state (GnConnectionRecord *record,
                                GnConnectionState   state)
{
  g_return_if_fail (record != NULL);
  /* CLOSED only through gn_connection_registry_close(). */
  g_return_if_fail (state != GN_CONNECTION_STATE_CLOSED);

  if (record->state == state || record->state == GN_CONNECTION_STATE_CLOSED)
    return;
  record->state = state;
  record_touch (record);
}

/* Counts one blocked request when @rule is set. */
void
gn_connection_record_set_verdict (GnConnectionRecord *record,
                                  const char         *list_name,
                                  const char         *rule)
{
  GnConnectionRegistry *self;

  g_return_if_fail (record != NULL);

  self = record->registry;
  replace_string (&record->list_name, list_name);
  replace_string (&record->rule, rule);
  if (rule != NULL)
    {
      self->total.blocked++;
      self->today.blocked++;
      self->counters_serial = self->gen;
    }
  record_touch (record);
}

/* Counts one error. */
void
gn_connection_record_set_error (GnConnectionRecord *record,
                                guint               status,
                                const char         *reason)
{
  GnConnectionRegistry *self;

  g_return_if_fail (record != NULL);

  self = record->registry;
  record->status = status;
  replace_string (&record->reason, reason);
  self->total.errors++;
  self->today.errors++;
  self->counters_serial = self->gen;
  record_touch (record);
}

void
gn_connection_record_set_status (GnConnectionRecord *record,
                                 guint               status)
{
  g_return_if_fail (record != NULL);

  if (record->status == status)
    return;
  record->status = status;
  record_touch (record);
}

void
gn_connection_record_count_request (GnConnectionRecord *record)
{
  GnConnectionRegistry *self;

  g_return_if_fail (record != NULL);

  self = record->registry;
  self->total.requests++;
  self->today.requests++;
  counters_touch (self);
}

/* The hot path: called for every chunk copied. */
void
gn_connection_record_add_bytes (GnConnectionRecord *record,
                                guint64             up,
                                guint64             down)
{
  GnConnectionRegistry *self;

  g_return_if_fail (record != NULL);

  self = record->registry;
  record->bytes_up += up;
  record->bytes_down += down;
  self->total.bytes_up += up;
  self->total.bytes_down += down;
  self->today.bytes_up += up;
  self->today.bytes_down += down;
  self->counters_serial = self->gen;
  record_touch (record);
}

void
gn_connection_registry_close (GnConnectionRegistry *self,
                              GnConnectionRecord   *record)
{
  g_return_if_fail (GN_IS_CONNECTION_REGISTRY (self));
  g_return_if_fail (record != NULL && record->registry == self);

  if (record->state == GN_CONNECTION_STATE_CLOSED)
    return;
  record->state = GN_CONNECTION_STATE_CLOSED;
  record->ended_at = g_get_real_time ();
  record->closed_mono = g_get_monotonic_time ();
  record->close_func = NULL;
  record->close_data = NULL;
  g_atomic_int_add (&self->n_open, -1);
  g_queue_push_tail_link (&self->closed, &record->closed_link);
  self->counters_serial = self->gen;   /* open_now changed */
  record_touch (record);
  linger_arm (self);
}
