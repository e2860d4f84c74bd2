/* gn-connection-record.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The proxy's side of the connection registry: opening a record per client
 * connection and updating it (target, state, verdict, error, bytes) as the
 * connection goes, plus the immutable GnConnectionInfo / GnConnectionBatch
 * copies handed to subscribers. Kept apart from gn-connection-registry.c
 * (subscribers, batching, linger, cross-thread calls) because this is the
 * hot path: every update is the registry's lock around a few plain stores
 * and, at most once per batch interval, an O(1) queue move — no allocation
 * per byte count, no cross-thread call.
 *
 * Threading: any thread (the engine's workers), under the registry's lock;
 * a record is only updated by the thread that opened it. The boxed types'
 * ref/unref are atomic.
 */

#include "gn-connection-registry-private.h"

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
  g_clear_pointer (&info->app, g_ref_string_release);
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

GnConnectionInfo *
_gn_connection_info_new_from_record (const GnConnectionRecord *record)
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
  info->app = acquire (record->app);
  info->app_lookup = record->app_lookup;

  return info;
}

GnConnectionBatch *
_gn_connection_batch_new (void)
{
  GnConnectionBatch *batch = g_new0 (GnConnectionBatch, 1);

  g_atomic_ref_count_init (&batch->ref_count);
  batch->added = g_ptr_array_new_with_free_func ((GDestroyNotify) gn_connection_info_unref);
  batch->changed = g_ptr_array_new_with_free_func ((GDestroyNotify) gn_connection_info_unref);
  batch->removed = g_array_new (FALSE, FALSE, sizeof (guint64));
  return batch;
}

void
_gn_connection_record_free (GnConnectionRecord *record)
{
  if (record->context != NULL)
    g_main_context_unref (record->context);
  g_clear_pointer (&record->client_address, g_ref_string_release);
  g_clear_pointer (&record->host, g_ref_string_release);
  g_clear_pointer (&record->list_name, g_ref_string_release);
  g_clear_pointer (&record->rule, g_ref_string_release);
  g_clear_pointer (&record->reason, g_ref_string_release);
  g_clear_pointer (&record->app, g_ref_string_release);
  g_free (record);
}

/* ------------------------------------------------------------------------ */
/* Record updates (any thread, under the lock)                              */

GnConnectionRecord *
gn_connection_registry_open (GnConnectionRegistry  *self,
                             const char            *client_address,
                             guint16                client_port,
                             GnConnectionCloseFunc  close_func,
                             gpointer               close_data)
{
  GnConnectionRecord *record;

  g_return_val_if_fail (GN_IS_CONNECTION_REGISTRY (self), NULL);

  record = g_new0 (GnConnectionRecord, 1);
  record->registry = self;
  record->link.data = record;
  record->closed_link.data = record;
  record->client_address = g_ref_string_new (client_address != NULL ? client_address : "");
  record->client_port = client_port;
  record->state = GN_CONNECTION_STATE_READING;
  record->started_at = g_get_real_time ();
  record->close_func = close_func;
  record->close_data = close_data;
  /* close_by_id() runs close_func here, on the connection's own thread. */
  record->context = close_func != NULL ? g_main_context_ref_thread_default () : NULL;

  g_mutex_lock (&self->lock);
  _gn_connection_registry_check_midnight (self);
  record->id = self->next_id++;
  record->created_gen = self->gen;
  record->serial = self->gen;
  g_hash_table_insert (self->records, &record->id, record);
  g_queue_push_tail_link (&self->changed, &record->link);
  g_atomic_int_inc (&self->n_open);
  self->total.connections++;
  self->today.connections++;
  self->counters_serial = self->gen;
  _gn_connection_registry_mark_dirty (self);
  g_mutex_unlock (&self->lock);

  return record;
}

void
gn_connection_registry_count_rejected (GnConnectionRegistry *self)
{
  g_return_if_fail (GN_IS_CONNECTION_REGISTRY (self));

  g_mutex_lock (&self->lock);
  _gn_connection_registry_check_midnight (self);
  self->total.rejected++;
  self->today.rejected++;
  _gn_connection_registry_counters_touch (self);
  g_mutex_unlock (&self->lock);
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

  g_mutex_lock (&record->registry->lock);
  replace_string (&record->host, host);
  record->port = port;
  record->kind = kind;
  _gn_connection_record_touch (record);
  g_mutex_unlock (&record->registry->lock);
}

void
gn_connection_record_set_state (GnConnectionRecord *record,
                                GnConnectionState   state)
{
  g_return_if_fail (record != NULL);
  /* CLOSED only through gn_connection_registry_close(). */
  g_return_if_fail (state != GN_CONNECTION_STATE_CLOSED);

  /* Only the opening thread writes state: reading it unlocked is safe. */
  if (record->state == state || record->state == GN_CONNECTION_STATE_CLOSED)
    return;
  g_mutex_lock (&record->registry->lock);
  record->state = state;
  _gn_connection_record_touch (record);
  g_mutex_unlock (&record->registry->lock);
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
  g_mutex_lock (&self->lock);
  replace_string (&record->list_name, list_name);
  replace_string (&record->rule, rule);
  if (rule != NULL)
    {
      _gn_connection_registry_count_blocked (self, list_name);
      self->total.blocked++;
      self->today.blocked++;
      self->counters_serial = self->gen;
    }
  _gn_connection_record_touch (record);
  g_mutex_unlock (&self->lock);
}

/* The rules changed under an open connection and now block its target:
 * the verdict that did it and a reason, counted neither as a block (no
 * request was refused) nor as an error. */
void
gn_connection_record_set_now_blocked (GnConnectionRecord *record,
                                      const char         *list_name,
                                      const char         *rule,
                                      const char         *reason)
{
  g_return_if_fail (record != NULL);

  g_mutex_lock (&record->registry->lock);
  replace_string (&record->list_name, list_name);
  replace_string (&record->rule, rule);
  replace_string (&record->reason, reason);
  record->registry->n_cut++;
  _gn_connection_record_touch (record);
  g_mutex_unlock (&record->registry->lock);
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
  g_mutex_lock (&self->lock);
  record->status = status;
  replace_string (&record->reason, reason);
  _gn_connection_registry_count_error (self, status);
  self->total.errors++;
  self->today.errors++;
  self->counters_serial = self->gen;
  _gn_connection_record_touch (record);
  g_mutex_unlock (&self->lock);
}

void
gn_connection_record_set_status (GnConnectionRecord *record,
                                 guint               status)
{
  g_return_if_fail (record != NULL);

  if (record->status == status)
    return;
  g_mutex_lock (&record->registry->lock);
  record->status = status;
  _gn_connection_record_touch (record);
  g_mutex_unlock (&record->registry->lock);
}

void
gn_connection_record_start_app_lookup (GnConnectionRecord *record)
{
  g_return_if_fail (record != NULL);

  g_mutex_lock (&record->registry->lock);
  record->app_lookup = GN_APP_LOOKUP_PENDING;
  _gn_connection_record_touch (record);
  g_mutex_unlock (&record->registry->lock);
}

void
gn_connection_record_set_app (GnConnectionRecord *record,
                              const char         *app)
{
  g_return_if_fail (record != NULL);

  g_mutex_lock (&record->registry->lock);
  replace_string (&record->app, app);
  record->app_lookup = GN_APP_LOOKUP_DONE;
  _gn_connection_record_touch (record);
  g_mutex_unlock (&record->registry->lock);
}

void
gn_connection_record_count_request (GnConnectionRecord *record)
{
  GnConnectionRegistry *self;

  g_return_if_fail (record != NULL);

  self = record->registry;
  g_mutex_lock (&self->lock);
  self->total.requests++;
  self->today.requests++;
  _gn_connection_registry_counters_touch (self);
  g_mutex_unlock (&self->lock);
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
  g_mutex_lock (&self->lock);
  record->bytes_up += up;
  record->bytes_down += down;
  self->total.bytes_up += up;
  self->total.bytes_down += down;
  self->today.bytes_up += up;
  self->today.bytes_down += down;
  self->counters_serial = self->gen;
  _gn_connection_record_touch (record);
  g_mutex_unlock (&self->lock);
}

void
gn_connection_registry_close (GnConnectionRegistry *self,
                              GnConnectionRecord   *record)
{
  GMainContext *context;

  g_return_if_fail (GN_IS_CONNECTION_REGISTRY (self));
  g_return_if_fail (record != NULL && record->registry == self);

  if (record->state == GN_CONNECTION_STATE_CLOSED)
    return;
  g_mutex_lock (&self->lock);
  record->state = GN_CONNECTION_STATE_CLOSED;
  record->ended_at = g_get_real_time ();
  record->closed_mono = g_get_monotonic_time ();
  record->close_func = NULL;
  record->close_data = NULL;
  context = g_steal_pointer (&record->context);
  g_atomic_int_add (&self->n_open, -1);
  g_queue_push_tail_link (&self->closed, &record->closed_link);
  self->counters_serial = self->gen;   /* open_now changed */
  _gn_connection_record_touch (record);
  _gn_connection_registry_linger_arm (self);
  g_mutex_unlock (&self->lock);

  if (context != NULL)
    g_main_context_unref (context);
}
