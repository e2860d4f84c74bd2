/* gn-connection-registry.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The live connection registry: the window's connection table, the headless
 * log and the statistics all read it, and the proxy writes it for every
 * connection. It exists so that those readers never look at the proxy's own
 * connection objects and never get one callback per packet.
 *
 * Threading: the proxy's connections run on several worker threads (see
 * gn-engine.c), so every record, counter and per-subscriber cursor is
 * guarded by the registry's one mutex, `lock` (one per registry, never
 * global). A record update is the lock, a few stores and, at most once per
 * generation, an O(1) move to the tail of the "recently changed" queue: the
 * lock is held for a few dozen nanoseconds and never across a callback. The
 * timers (batches, linger, midnight) run on the registry's context (the
 * engine thread), take the lock to build their output and release it before
 * handing anything to a subscriber. snapshot() copies under the lock from
 * the calling thread. close_by_id() dispatches to the context that opened
 * the record (the worker owning the connection), where the connection's
 * close function runs, because only that thread may touch the connection.
 *
 * Change tracking: `gen` is a generation number that advances each time a
 * batch is built for some subscriber. A record touched during generation G
 * gets serial G and moves to the tail of `changed`, so that queue is ordered
 * by serial and a subscriber that last saw generation L reads from the tail
 * back to the first serial <= L. Records created after L are "added", the
 * others "changed". Records freed after their linger time go to a small log
 * of removals that is pruned once every subscriber has seen them. Closed
 * records are also capped by count (max_closed): past it the oldest go at
 * once, so a burst of thousands of connections a second costs a bounded
 * amount of memory, and after a large purge the heap is handed back to the
 * system (malloc_trim on glibc).
 *
 * Each subscriber has a timeout source on the engine context that is only
 * armed when something changed, so an idle registry wakes nobody, and a
 * subscriber gets at most one batch per interval.
 */

#include "gn-connection-registry-private.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#define GN_DEFAULT_LINGER_MS (60 * 1000)
#define GN_DEFAULT_MAX_CLOSED 2000
/* A purge this large gives the freed heap back to the system. */
#define GN_TRIM_AFTER 4096
#define GN_MIN_INTERVAL_MS   50

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
  guint64                last_gen;   /* under registry->lock */
} Subscriber;

G_DEFINE_FINAL_TYPE (GnConnectionRegistry, gn_connection_registry, G_TYPE_OBJECT)

/* ------------------------------------------------------------------------ */
/* Subscribers                                                              */

static Subscriber *
subscriber_ref (Subscriber *sub)
{
  g_atomic_ref_count_inc (&sub->ref_count);
  return sub;
}

static gboolean
subscriber_free_cb (gpointer data)
{
  Subscriber *sub = data;

  if (sub->destroy != NULL)
    sub->destroy (sub->user_data);
  g_main_context_unref (sub->context);
  g_free (sub);
  return G_SOURCE_REMOVE;
}

/* The last reference may be dropped on the engine thread (a batch being
 * built there when the subscriber unsubscribes), but @destroy belongs to the
 * subscriber: it runs on the subscriber's context, at once when that is the
 * calling thread's (the usual unsubscribe), else as soon as it iterates. */
static void
subscriber_unref (Subscriber *sub)
{
  if (!g_atomic_ref_count_dec (&sub->ref_count))
    return;
  g_assert (sub->source == NULL);
  g_main_context_invoke_full (sub->context, G_PRIORITY_DEFAULT, subscriber_free_cb, sub, NULL);
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

static void midnight_arm (GnConnectionRegistry *self);

/* Resets the "today" counters when the local date changed. Caller holds
 * self->lock. */
void
_gn_connection_registry_check_midnight (GnConnectionRegistry *self)
{
  gint64 now = g_get_real_time ();

  if (G_LIKELY (now < self->next_midnight))
    return;
  self->today = (GnCounters) { 0 };
  self->next_midnight = next_local_midnight (now);
  self->counters_serial = self->gen;
  _gn_connection_registry_mark_dirty (self);
}

static gboolean
midnight_cb (gpointer data)
{
  GnConnectionRegistry *self = data;

  g_mutex_lock (&self->lock);
  _gn_connection_registry_check_midnight (self);
  g_clear_pointer (&self->midnight_source, g_source_unref);
  midnight_arm (self);
  g_mutex_unlock (&self->lock);
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

  g_mutex_lock (&self->lock);
  self->next_midnight = real_time;
  if (self->midnight_source != NULL)
    g_source_destroy (self->midnight_source);
  g_clear_pointer (&self->midnight_source, g_source_unref);
  midnight_arm (self);
  g_mutex_unlock (&self->lock);
}

/* ------------------------------------------------------------------------ */
/* Change tracking (caller holds self->lock)                                */

static gboolean flush_cb (gpointer data);

/* Arms the batch timer of every subscriber that has none pending. Runs once
 * per generation at most. */
void
_gn_connection_registry_mark_dirty (GnConnectionRegistry *self)
{
  if (self->gen_dirty)
    return;
  self->gen_dirty = TRUE;

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
}


/* The smallest generation some subscriber has not seen yet is
 * min(last_gen) + 1; removals at or below min(last_gen) are not needed. */
static void
prune_removals (GnConnectionRegistry *self)
{
  guint64 min_seen = self->gen;
  guint keep_from = 0;

  for (guint i = 0; i < self->subscribers->len; i++)
    {
      Subscriber *sub = g_ptr_array_index (self->subscribers, i);
      min_seen = MIN (min_seen, sub->last_gen);
    }

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

  _gn_connection_registry_check_midnight (self);
  batch = _gn_connection_batch_new ();
  for (GList *l = self->changed.tail; l != NULL; l = l->prev)
    {
      GnConnectionRecord *record = l->data;

      if (record->serial <= sub->last_gen)
        break;
      if (record->created_gen > sub->last_gen)
        g_ptr_array_add (batch->added, _gn_connection_info_new_from_record (record));
      else
        g_ptr_array_add (batch->changed, _gn_connection_info_new_from_record (record));
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

  batch->total = self->total;
  batch->today = self->today;
  batch->open_now = (guint) g_atomic_int_get (&self->n_open);
  g_mutex_unlock (&self->lock);

  if (batch->added->len == 0 && batch->changed->len == 0 &&
      batch->removed->len == 0 && !counters_changed)
    {
      gn_connection_batch_unref (batch);
      return G_SOURCE_REMOVE;
    }

  /* Outside the lock: the subscriber's callback may call us back. */
  delivery = g_new0 (Delivery, 1);
  delivery->sub = subscriber_ref (sub);
  delivery->batch = batch;
  g_main_context_invoke_full (sub->context, G_PRIORITY_DEFAULT,
                              deliver_cb, delivery, delivery_free);
  return G_SOURCE_REMOVE;
}

/* ------------------------------------------------------------------------ */
/* Lingering closed records                                                 */

static gboolean linger_cb (gpointer data);

/* Caller holds self->lock. */
void
_gn_connection_registry_linger_arm (GnConnectionRegistry *self)
{
  GnConnectionRecord *head;
  gint64 due, now;

  if (self->closed.head == NULL)
    return;
  head = self->closed.head->data;
  now = g_get_monotonic_time ();
  /* Over the cap: the oldest go at once. */
  if (self->closed.length > (guint) g_atomic_int_get (&self->max_closed))
    due = now;
  else
    due = head->closed_mono + (gint64) g_atomic_int_get (&self->linger_ms) * 1000;
  if (self->linger_source != NULL)
    {
      if (self->linger_due <= due)
        return;
      /* Due sooner than armed (the cap was passed): again, earlier. */
      g_source_destroy (self->linger_source);
      g_clear_pointer (&self->linger_source, g_source_unref);
    }
  self->linger_due = due;
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
  guint max_closed = (guint) g_atomic_int_get (&self->max_closed);
  gboolean have_subscribers;
  guint freed = 0;

  g_mutex_lock (&self->lock);
  have_subscribers = self->subscribers->len > 0;

  while (self->closed.head != NULL)
    {
      GnConnectionRecord *record = self->closed.head->data;

      if (record->closed_mono + linger_us > now && self->closed.length <= max_closed)
        break;
      freed++;
      g_queue_unlink (&self->closed, &record->closed_link);
      g_queue_unlink (&self->changed, &record->link);
      if (have_subscribers)
        {
          Removal removal = { record->id, record->created_gen, self->gen };
          g_array_append_val (self->removals, removal);
          _gn_connection_registry_mark_dirty (self);
        }
      g_hash_table_remove (self->records, &record->id);
    }

  /* A close on a worker may have re-armed it sooner meanwhile: that source
   * is the live one. */
  if (self->linger_source == g_main_current_source ())
    g_clear_pointer (&self->linger_source, g_source_unref);
  _gn_connection_registry_linger_arm (self);
  g_mutex_unlock (&self->lock);
#ifdef __GLIBC__
  if (freed >= GN_TRIM_AFTER)
    malloc_trim (0);
#endif
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
  g_hash_table_unref (self->blocked_by_list);
  g_hash_table_unref (self->errors_by_status);

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
                                         NULL, (GDestroyNotify) _gn_connection_record_free);
  self->removals = g_array_new (FALSE, FALSE, sizeof (Removal));
  self->subscribers = g_ptr_array_new_with_free_func ((GDestroyNotify) subscriber_unref);
  self->blocked_by_list = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->errors_by_status = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  self->next_id = 1;
  self->gen = 1;
  self->linger_ms = GN_DEFAULT_LINGER_MS;
  self->max_closed = GN_DEFAULT_MAX_CLOSED;
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

/* Any thread. At most @max_closed closed records are kept (the oldest go
 * first, before their linger time); applies from the next close. */
void
gn_connection_registry_set_max_closed (GnConnectionRegistry *self,
                                       guint                 max_closed)
{
  g_return_if_fail (GN_IS_CONNECTION_REGISTRY (self));
  g_atomic_int_set (&self->max_closed, max_closed);
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

static int
compare_info_id (gconstpointer a,
                 gconstpointer b)
{
  const GnConnectionInfo *ia = *(GnConnectionInfo * const *) a;
  const GnConnectionInfo *ib = *(GnConnectionInfo * const *) b;

  return ia->id < ib->id ? -1 : ia->id > ib->id;
}

/**
 * gn_connection_registry_snapshot:
 * @total: (out) (optional): the counters since start
 * @today: (out) (optional): the counters since local midnight
 *
 * Any thread. Copies every record under the lock, so the copy is
 * consistent even while workers update records.
 *
 * Returns: (transfer container) (element-type GnConnectionInfo): every
 *   record, open ones and those still lingering, sorted by id
 */
GPtrArray *
gn_connection_registry_snapshot (GnConnectionRegistry *self,
                                 GnCounters           *total,
                                 GnCounters           *today)
{
  GPtrArray *infos;

  g_return_val_if_fail (GN_IS_CONNECTION_REGISTRY (self), NULL);

  g_mutex_lock (&self->lock);
  _gn_connection_registry_check_midnight (self);
  infos = g_ptr_array_new_full (self->changed.length, (GDestroyNotify) gn_connection_info_unref);
  for (GList *l = self->changed.head; l != NULL; l = l->next)
    g_ptr_array_add (infos, _gn_connection_info_new_from_record (l->data));
  if (total != NULL)
    *total = self->total;
  if (today != NULL)
    *today = self->today;
  g_mutex_unlock (&self->lock);

  g_ptr_array_sort (infos, compare_info_id);
  return infos;
}

typedef struct
{
  GnConnectionRegistry *self;   /* (owned) */
  guint64               id;
} CloseData;

/* On the context that opened the record: the only thread that may touch
 * the connection, so close_data is valid as long as close_func is set
 * (gn_connection_registry_close() clears it on this same thread). */
static gboolean
close_by_id_cb (gpointer data)
{
  CloseData *close = data;
  GnConnectionRegistry *self = close->self;
  GnConnectionRecord *record;
  GnConnectionCloseFunc func = NULL;
  gpointer func_data = NULL;

  g_mutex_lock (&self->lock);
  record = g_hash_table_lookup (self->records, &close->id);
  if (record != NULL && record->close_func != NULL)
    {
      /* Once: the close_func may finish the connection right away or later. */
      func = g_steal_pointer (&record->close_func);
      func_data = record->close_data;
    }
  g_mutex_unlock (&self->lock);

  if (func != NULL)
    func (func_data);
  return G_SOURCE_REMOVE;
}

static void
close_data_free (gpointer data)
{
  CloseData *close = data;

  g_object_unref (close->self);
  g_free (close);
}

/* Any thread. Asks the thread that owns the connection to close it; does
 * nothing if it is already closed or unknown. */
void
gn_connection_registry_close_by_id (GnConnectionRegistry *self,
                                    guint64               id)
{
  g_autoptr(GMainContext) owner = NULL;
  GnConnectionRecord *record;
  CloseData *close;

  g_return_if_fail (GN_IS_CONNECTION_REGISTRY (self));

  g_mutex_lock (&self->lock);
  record = g_hash_table_lookup (self->records, &id);
  if (record != NULL && record->close_func != NULL && record->context != NULL)
    owner = g_main_context_ref (record->context);
  g_mutex_unlock (&self->lock);
  if (owner == NULL)
    return;

  close = g_new0 (CloseData, 1);
  close->self = g_object_ref (self);
  close->id = id;
  g_main_context_invoke_full (owner, G_PRIORITY_HIGH, close_by_id_cb, close, close_data_free);
}

guint
gn_connection_registry_get_n_open (GnConnectionRegistry *self)
{
  g_return_val_if_fail (GN_IS_CONNECTION_REGISTRY (self), 0);
  return (guint) g_atomic_int_get (&self->n_open);
}

/* ---- metrics ------------------------------------------------------------- */

static guint64 *
count_slot (GHashTable *table,
            gpointer    key,
            gboolean    dup_key)
{
  guint64 *count = g_hash_table_lookup (table, key);

  if (count == NULL)
    {
      count = g_new0 (guint64, 1);
      g_hash_table_insert (table, dup_key ? g_strdup (key) : key, count);
    }
  return count;
}

void
_gn_connection_registry_count_blocked (GnConnectionRegistry *self,
                                       const char           *list_name)
{
  (*count_slot (self->blocked_by_list, (gpointer) (list_name ? list_name : ""), TRUE))++;
}

void
_gn_connection_registry_count_error (GnConnectionRegistry *self,
                                     guint                 status)
{
  (*count_slot (self->errors_by_status, GUINT_TO_POINTER (status), FALSE))++;
}

void
gn_connection_registry_set_rules (GnConnectionRegistry *self,
                                  guint64               n_rules,
                                  guint64               n_allow_rules)
{
  g_return_if_fail (GN_IS_CONNECTION_REGISTRY (self));

  g_mutex_lock (&self->lock);
  self->n_rules = n_rules;
  self->n_allow_rules = n_allow_rules;
  self->rules_since = g_get_real_time ();
  g_mutex_unlock (&self->lock);
}

void
gn_connection_registry_set_engine_state (GnConnectionRegistry *self,
                                         guint                 restarts,
                                         guint                 n_draining)
{
  g_return_if_fail (GN_IS_CONNECTION_REGISTRY (self));

  g_mutex_lock (&self->lock);
  self->restarts = restarts;
  self->n_draining = n_draining;
  g_mutex_unlock (&self->lock);
}

static GHashTable *
copy_counts (GHashTable *table,
             gboolean    string_keys)
{
  GHashTable *copy = string_keys
                     ? g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free)
                     : g_hash_table_new_full (NULL, NULL, NULL, g_free);
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (copy, string_keys ? g_strdup (key) : key,
                         g_memdup2 (value, sizeof (guint64)));
  return copy;
}

void
gn_connection_registry_get_metrics (GnConnectionRegistry *self,
                                    GnRegistryMetrics    *metrics)
{
  g_return_if_fail (GN_IS_CONNECTION_REGISTRY (self));
  g_return_if_fail (metrics != NULL);

  g_mutex_lock (&self->lock);
  metrics->total = self->total;
  metrics->open_now = (guint) g_atomic_int_get (&self->n_open);
  metrics->n_cut = self->n_cut;
  metrics->n_rules = self->n_rules;
  metrics->n_allow_rules = self->n_allow_rules;
  metrics->rules_since = self->rules_since;
  metrics->restarts = self->restarts;
  metrics->n_draining = self->n_draining;
  metrics->blocked_by_list = copy_counts (self->blocked_by_list, TRUE);
  metrics->errors_by_status = copy_counts (self->errors_by_status, FALSE);
  g_mutex_unlock (&self->lock);
}

void
gn_registry_metrics_clear (GnRegistryMetrics *metrics)
{
  g_clear_pointer (&metrics->blocked_by_list, g_hash_table_unref);
  g_clear_pointer (&metrics->errors_by_status, g_hash_table_unref);
}
